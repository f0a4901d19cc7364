"""Named indexes: every named index of the DDL exists under its exact name, on its table with
its method, keys or expressions, operator classes, collations, sort and NULLS order, INCLUDE
columns, predicate and uniqueness, valid and ready; the implicit unique / primary key indexes
too."""

import pytest
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.structure import Structure, check

pytestmark = pytest.mark.dod("DOD-06")


def test_indexes_exist_with_their_exact_name_and_definition(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    check(structure, evidence, table, "indexes as in the DDL")
