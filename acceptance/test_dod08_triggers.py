"""DOD-08 Triggers: update_updated_at_column() exists; update_users_updated_at and
update_tenants_updated_at are BEFORE UPDATE FOR EACH ROW, enabled, and call it; an UPDATE moves
updated_at to the statement time and leaves created_at alone, on both tables."""

import pytest
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.probes import Probe, managed_column, outcome, typed
from supabase_acceptance.structure import SCHEMA_LEVEL, check
from supabase_acceptance.verdict import differ, verdict

pytestmark = pytest.mark.dod("DOD-08")


def test_triggers_are_as_in_the_ddl_and_no_other(structure, evidence, table):
    """Timing, events, UPDATE OF columns, WHEN, level, enabled, function and arguments."""
    check(structure, evidence, "DOD-08", table, "triggers as in the DDL")


def test_trigger_function_is_as_in_the_ddl(structure, evidence):
    """Language, arguments, result, volatility, security, SET options and body."""
    check(structure, evidence, "DOD-08", SCHEMA_LEVEL, "functions as in the DDL")


async def test_update_of_each_column_and_a_no_op_update_move_updated_at_only(
    probe: Probe, expected: Expected, evidence: Evidence, trigger_table: str
) -> None:
    table = trigger_table
    """One row per column, each UPDATEd on that column alone (so `BEFORE UPDATE OF <one
    column>` is caught), plus a no-op UPDATE: the trigger's column moves to now(), the
    updated columns hold what was sent, every other column keeps its value."""
    tally = "UPDATEs that moved updated_at only"
    r = outcome(probe, evidence, "DOD-08", table, tally)
    managed, now = managed_column(expected, table), r["now"]
    have: dict[str, object] = {}
    want: dict[str, object] = {}
    for case, c in r["cases"].items():
        what = f"{table}.{{}} after UPDATE {'OF ' + case if c['set'] is not None else case}"
        if "sqlstate" in c["update"]:
            have[what.format("row")] = f"error {c['update']['sqlstate']} {c['update']['message']}"
            want[what.format("row")] = "updated"
            continue
        before, after, sent = c["before"], c["after"] or {}, c["set"] or {}
        have[f"{table}.{managed} after INSERT ({case})"] = before[managed]
        want[f"{table}.{managed} after INSERT ({case})"] = r["old"][managed]
        for col, value in after.items():
            have[what.format(col)] = value
            want[what.format(col)] = now if col == managed else sent.get(col, before[col])
    evidence.have_want(have, want)
    evidence.tally(tally, have == want, 1)
    verdict("DOD-08", [differ(k, "value", typed(have[k]), typed(want[k])) for k in want])
