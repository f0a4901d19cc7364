"""CRUD: create, read, update and delete work on every table; remote runs leave no trace
(everything in a transaction that is rolled back)."""

import pytest
from supabase_acceptance.asserts import differ, holds, verdict
from supabase_acceptance.diagnosis.check import check_causes
from supabase_acceptance.diagnosis.diagnose import Diagnosis
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.probe_results import CrudResult
from supabase_acceptance.probes import Probe, outcome
from supabase_acceptance.structure import Structure

pytestmark = pytest.mark.dod("DOD-10")


async def test_create_read_update_delete_work(probe: Probe, evidence: Evidence, table: str) -> None:
    """Each step read back by its own SELECT and compared with what was sent (not RETURNING)."""
    tally = "tables with working CRUD"
    r: CrudResult = holds(evidence, outcome(probe, "crud", table, tally, what="CRUD"))
    read, updated = r.read or {}, r.updated or {}
    have: dict[str, object] = {f"{table} UPDATE": r.update.json, f"{table} DELETE": r.delete.json}
    want: dict[str, object] = {f"{table} UPDATE": {"ok": 1}, f"{table} DELETE": {"ok": 1}}
    for col, value in r.sent.items():
        have[f"{table} {col} after INSERT"] = read.get(col, "no row")
        want[f"{table} {col} after INSERT"] = value
    for col, value in r.update_sent.items():
        have[f"{table} {col} after UPDATE"] = updated.get(col, "no row")
        want[f"{table} {col} after UPDATE"] = value
    have[f"{table} after delete"] = "gone" if r.after_delete is None else "present"
    want[f"{table} after delete"] = "gone"
    evidence.have_want(have, want)
    evidence.tally(tally, have == want, 1)
    verdict(evidence, [differ(k, "value", have[k], want[k]) for k in want])


def test_no_rule_rewrites_what_the_application_sends(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    """A RULE (DO INSTEAD / DO ALSO) on a table changes what CRUD stores or returns."""
    holds(evidence, structure.judge(evidence.dod, table, "tables without rules", empty_ok=True))


def test_the_role_s_transactions_can_write_as_the_application_expects(
    diagnosis: Diagnosis, evidence: Evidence
) -> None:
    """default_transaction_read_only and default_transaction_isolation as the DDL assumes."""
    check_causes(diagnosis, evidence)
