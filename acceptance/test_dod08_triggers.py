"""Triggers: the DDL's trigger functions and triggers exist as it defines them (timing, events,
level, enabled, the function they call); an UPDATE moves the column the trigger function sets
to the statement time and leaves every other column alone, on each table with such a trigger.
The tables, triggers and columns are the DDL's (expected.yaml), none is named here."""

import pytest
from supabase_acceptance.asserts import differ, holds, verdict
from supabase_acceptance.diagnosis.check import check_causes
from supabase_acceptance.diagnosis.diagnose import Diagnosis
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.probe_results import TriggerResult
from supabase_acceptance.probes import Probe, managed_column, outcome, typed
from supabase_acceptance.structure import SCHEMA_LEVEL, Structure

pytestmark = pytest.mark.dod("DOD-08")


def test_triggers_are_as_in_the_ddl_and_no_other(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    """Timing, events, UPDATE OF columns, WHEN, level, enabled, function and arguments."""
    holds(evidence, structure.judge(evidence.dod, table, "triggers as in the DDL"))


def test_trigger_function_is_as_in_the_ddl(structure: Structure, evidence: Evidence) -> None:
    """Language, arguments, result, volatility, security, SET options and body."""
    holds(evidence, structure.judge(evidence.dod, SCHEMA_LEVEL, "functions as in the DDL"))


async def test_update_of_each_column_and_a_no_op_update_move_updated_at_only(
    probe: Probe, expected: Expected, evidence: Evidence, trigger_table: str
) -> None:
    """One row per column, each UPDATEd on that column alone (so `BEFORE UPDATE OF <one
    column>` is caught), plus a no-op UPDATE: the trigger's column (the one its function sets,
    read from the DDL's function body) moves to now(), the updated columns hold what was sent,
    every other column keeps its value."""
    table = trigger_table
    managed = managed_column(expected, table)
    tally = f"UPDATEs that moved {managed or 'the trigger column'} only"
    r: TriggerResult = holds(evidence, outcome(probe, "trigger", table, tally))
    column = managed or ""  # a table has a trigger case only when its function sets a column
    have: dict[str, object] = {}
    want: dict[str, object] = {}
    for case, c in r.cases.items():
        what = f"{table}.{{}} after UPDATE {'OF ' + case if c.set is not None else case}"
        if c.update.failed:
            have[what.format("row")] = f"error {c.update.sqlstate} {c.update.message}"
            want[what.format("row")] = "updated"
            continue
        before, after, sent = c.before, c.after or {}, c.set or {}
        have[f"{table}.{managed} after INSERT ({case})"] = before[column]
        want[f"{table}.{managed} after INSERT ({case})"] = r.old[column]
        for col, value in after.items():
            have[what.format(col)] = value
            want[what.format(col)] = r.now if col == column else sent.get(col, before[col])
    evidence.have_want(have, want)
    evidence.tally(tally, have == want, 1)
    verdict(evidence, [differ(k, "value", typed(have[k]), typed(want[k])) for k in want])


def test_triggers_fire_for_the_connecting_role_and_call_the_ddl_function(
    diagnosis: Diagnosis, evidence: Evidence
) -> None:
    """session_replication_role = replica silences every trigger; a function earlier in the
    search_path captures the name the trigger body calls."""
    check_causes(diagnosis, evidence)
