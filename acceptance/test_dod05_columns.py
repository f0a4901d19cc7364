"""Columns: every column of the canonical DDL with its type (and length), collation,
nullability, default, identity or generation; the primary key; CHECK constraints; the
sequences behind the columns; no extra column or CHECK."""

import pytest
from supabase_acceptance.asserts import holds
from supabase_acceptance.diagnosis.check import check_causes
from supabase_acceptance.diagnosis.diagnose import Diagnosis
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.structure import Structure

pytestmark = pytest.mark.dod("DOD-05")


def test_columns_primary_key_checks_and_sequences_are_as_in_the_ddl(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    what = "columns, keys and sequences as in the DDL"
    holds(evidence, structure.judge(evidence.dod, table, what))


def test_settings_names_and_rows_keep_the_columns_promises(
    diagnosis: Diagnosis, evidence: Evidence
) -> None:
    """The zone the TIMESTAMP defaults are taken in, the built-ins the defaults call, and the
    rows themselves (CHECK, NOT NULL, sequences ahead of their column's maximum)."""
    check_causes(diagnosis, evidence)
