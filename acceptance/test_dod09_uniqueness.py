"""Uniqueness: every UNIQUE of the DDL (on exactly its columns: alone where the DDL says alone,
not per tenant) is declared AND a duplicate insert fails with 23505."""

import pytest
from supabase_acceptance.asserts import differ, finding, holds, verdict
from supabase_acceptance.diagnosis.check import check_causes
from supabase_acceptance.diagnosis.diagnose import Diagnosis
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.probe_results import UniqueResult
from supabase_acceptance.probes import Probe, outcome
from supabase_acceptance.structure import Structure

pytestmark = pytest.mark.dod("DOD-09")


def test_unique_constraints_are_declared_and_nothing_else_constrains(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    """Each UNIQUE on exactly its columns, not deferrable; no extra UNIQUE, EXCLUDE or unique
    index (they change what the application can store)."""
    holds(evidence, structure.judge(evidence.dod, table, "unique constraints as in the DDL"))


async def test_duplicate_insert_fails_with_23505(
    probe: Probe, evidence: Evidence, unique_case: str
) -> None:
    """The duplicate differs in every other column, including its parent row (another tenant)."""
    tally = "duplicates rejected (23505)"
    r: UniqueResult = holds(evidence, outcome(probe, "unique", unique_case, tally))
    dup, label = r.duplicate, f"duplicate {unique_case} {r.values} (other columns differ)"
    evidence.have_want(dup.json, {"sqlstate": "23505"})
    evidence.tally(tally, dup.sqlstate == "23505", 1)
    if not dup.failed:
        finding(evidence, f"{label}: have accepted, want 23505")
    verdict(evidence, [differ(label, "SQLSTATE", dup.sqlstate, "23505")])


async def test_on_conflict_do_nothing_skips_a_duplicate(
    probe: Probe, evidence: Evidence, unique_case: str
) -> None:
    """What the application writes (`INSERT ... ON CONFLICT (cols) DO NOTHING`) works: a
    DEFERRABLE unique cannot be its arbiter (55000), a missing one matches nothing (42P10)."""
    tally = "ON CONFLICT DO NOTHING skipped the duplicate"
    r: UniqueResult = holds(evidence, outcome(probe, "unique", unique_case, tally))
    cols = unique_case.split(".", 1)[1].replace("+", ", ")
    label = f"{unique_case}: INSERT ... ON CONFLICT ({cols}) DO NOTHING of {r.values}"
    tried = r.on_conflict
    error = tried.sqlstate and f"{tried.sqlstate} {tried.message}"
    have = {"error": error, "rows inserted": tried.ok, "rows with the values": r.rows_after}
    want = {"error": None, "rows inserted": 0, "rows with the values": r.rows_before}
    evidence.have_want(have, want)
    evidence.tally(tally, have == want, 1)
    verdict(evidence, [differ(label, k, have[k], want[k]) for k in want])


def test_no_rows_break_a_uniqueness_the_ddl_declares(
    diagnosis: Diagnosis, evidence: Evidence
) -> None:
    """Duplicates loaded while a unique index was missing or invalid."""
    check_causes(diagnosis, evidence)
