"""Foreign keys with cascade: declared ON DELETE CASCADE in the catalog AND shown by behaviour:
deleting a parent removes its children and spares other rows; an orphan fails with 23503.
Writes happen in a transaction that is rolled back."""

import pytest
from supabase_acceptance.asserts import differ, finding, holds, verdict
from supabase_acceptance.diagnosis.check import check_causes
from supabase_acceptance.diagnosis.diagnose import Diagnosis
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.probe_results import FkResult
from supabase_acceptance.probes import Probe, outcome
from supabase_acceptance.structure import Structure

pytestmark = pytest.mark.dod("DOD-07")


def test_foreign_keys_are_declared_as_in_the_ddl_and_no_other(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    """ON DELETE and ON UPDATE actions, MATCH, deferrability, validated; no extra FK."""
    holds(evidence, structure.judge(evidence.dod, table, "foreign keys as in the DDL"))


KEPT = {True: "kept", False: "deleted"}


async def test_deleting_a_parent_removes_its_children_and_spares_other_rows(
    probe: Probe, evidence: Evidence, fk_case: str
) -> None:
    tally = "cascades shown by a DELETE"
    r: FkResult = holds(evidence, outcome(probe, "fk", fk_case, tally))
    if r.delete.failed:
        evidence.tally(tally, 0, 1)
        want_cascade = "want its children deleted with it (ON DELETE CASCADE)"
        finding(
            evidence, f"{fk_case}: deleting a parent have error {r.delete.error}, {want_cascade}"
        )
    have = {k: KEPT[kept] for k, kept in r.rows().items()}
    want = dict(zip(r.rows(), ("deleted", "kept", "kept"), strict=True))
    evidence.have_want(have, want)
    evidence.tally(tally, have == want, 1)
    verdict(evidence, [differ(f"{fk_case} {k}", "row", have[k], want[k]) for k in want])


async def test_inserting_an_orphan_fails_with_23503(
    probe: Probe, evidence: Evidence, fk_case: str
) -> None:
    tally = "orphans rejected (23503)"
    r: FkResult = holds(evidence, outcome(probe, "fk", fk_case, tally))
    orphan = r.orphan
    label = f"{fk_case} orphan insert ({r.orphan_values})"
    have = {"sqlstate": orphan.sqlstate, "message": orphan.message, "ok": orphan.ok}
    evidence.have_want(have, {"sqlstate": "23503"})
    evidence.tally(tally, orphan.sqlstate == "23503", 1)
    if not orphan.failed:
        finding(evidence, f"{label}: have accepted, want 23503")
    verdict(evidence, [differ(label, "SQLSTATE", orphan.sqlstate, "23503")])


def test_no_row_breaks_a_foreign_key_and_none_waits_validation(
    diagnosis: Diagnosis, evidence: Evidence
) -> None:
    """Rows loaded with triggers disabled or under a NOT VALID constraint can break a key
    the catalog declares."""
    check_causes(diagnosis, evidence)
