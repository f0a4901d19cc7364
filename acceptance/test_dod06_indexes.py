"""DOD-06 Named indexes: every idx_* index of the DDL exists under its exact name, on its table
with its method, keys or expressions, operator classes, collations, sort and NULLS order,
INCLUDE columns, predicate and uniqueness, valid and ready; the implicit unique / primary key
indexes too."""

import pytest
from supabase_acceptance.structure import check

pytestmark = pytest.mark.dod("DOD-06")


def test_indexes_exist_with_their_exact_name_and_definition(structure, evidence, table):
    check(structure, evidence, "DOD-06", table, "indexes as in the DDL")
