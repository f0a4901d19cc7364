"""Named indexes: every named index of the DDL exists under its exact name, on its table with
its method, keys or expressions, operator classes, collations, sort and NULLS order, INCLUDE
columns, predicate and uniqueness, valid and ready; the implicit unique / primary key indexes
too."""

import pytest
from supabase_acceptance.asserts import holds
from supabase_acceptance.diagnosis.check import check_causes
from supabase_acceptance.diagnosis.diagnose import Diagnosis
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.structure import Structure

pytestmark = pytest.mark.dod("DOD-06")


def test_indexes_exist_with_their_exact_name_and_definition(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    holds(evidence, structure.judge(evidence.dod, table, "indexes as in the DDL"))


def test_every_index_of_the_ddl_is_valid_and_usable(
    diagnosis: Diagnosis, evidence: Evidence
) -> None:
    """An index left invalid by a failed CREATE INDEX CONCURRENTLY exists but serves nothing."""
    check_causes(diagnosis, evidence)
