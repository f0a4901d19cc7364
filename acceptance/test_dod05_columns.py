"""Columns: every column of the canonical DDL with its type (and length), collation,
nullability, default, identity or generation; the primary key; CHECK constraints; the
sequences behind the columns; no extra column or CHECK."""

import pytest
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.structure import Structure, check

pytestmark = pytest.mark.dod("DOD-05")


def test_columns_primary_key_checks_and_sequences_are_as_in_the_ddl(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    check(structure, evidence, table, "columns, keys and sequences as in the DDL")
