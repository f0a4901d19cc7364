"""Sample data (dev/staging only): the DDL's commented sample block (under the header
schema/samples.yaml names) loads, and loads idempotently (a second load changes nothing);
never on production. Run server-side inside a transaction that is rolled back, so a shared
staging database keeps what it had. The rows are the block's own, read from its statements."""

from typing import Any

import pytest
from supabase_acceptance.asserts import differ, finding, holds, verdict
from supabase_acceptance.config import HarnessConfig
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.probe_results import SampleResult
from supabase_acceptance.probes import Probe, outcome, sample_block, sample_implies

pytestmark = pytest.mark.dod("DOD-14")


async def test_sample_block_loads_idempotently(
    probe: Probe, harness_config: HarnessConfig, expected: Expected, evidence: Evidence
) -> None:
    """Only what the check's own transaction did is compared, never whole tables (other
    sessions commit meanwhile): each statement's row count, the rows each load wrote per table
    (the transaction's own counters), and the rows the loads wrote, read back by key after
    each load. The first load must add what the block's statements insert; the second, no
    row anywhere."""
    header = expected.samples.block
    block = sample_block(harness_config.schema_file.read_text(), header)
    if block is None:
        name = harness_config.schema_file.name
        finding(evidence, f"{name}: sample block have none, want the one under {header!r}")
    r: SampleResult = holds(evidence, outcome(probe, "sample", "block", "sample loads idempotent"))
    implied = sample_implies(block)
    first, second = r.first, r.second
    inserted: dict[str, int] = {}
    for (table, _), n in zip(implied, first.rows_per_statement, strict=True):
        inserted[table] = inserted.get(table, 0) + n
    have: dict[str, Any] = {}
    want: dict[str, Any] = {}
    if r.track_counts:  # the transaction's own write counters: no other session's writes
        added = {t: w.get("inserted", 0) - w.get("deleted", 0) for t, w in first.written.items()}
        have["rows added by the first load"] = {t: n for t, n in added.items() if n}
        want["rows added by the first load"] = {t: n for t, n in inserted.items() if n}
        have["rows the second load wrote"] = second.written
        want["rows the second load wrote"] = {}
    else:
        evidence.facts("track_counts", "off: writes per table not counted; rows compared by key")
    have["rows the second load inserted"] = second.rows_per_statement
    want["rows the second load inserted"] = [0] * len(implied)
    # the rows the loads wrote, read by key after each load: uncommitted, so no other session
    # changes them (one state, whatever commits around it); no other row is read
    have["rows the loads wrote, after the second load"] = second.rows
    want["rows the loads wrote, after the second load"] = first.rows
    counts = first.rows_per_statement
    if any(counts):  # the samples were not there yet: each statement adds what it says
        names = [f"statement {i + 1} ({t})" for i, (t, _) in enumerate(implied)]
        have["rows each statement inserted"] = dict(zip(names, counts, strict=True))
        want["rows each statement inserted"] = {  # INSERT ... SELECT: at least one row
            name: n if n is not None else max(got, 1)
            for name, (_, n), got in zip(names, implied, counts, strict=True)
        }
    evidence.have_want(have, want)
    shown = ", ".join(f"+{n} {t}" for t, n in inserted.items() if n)
    first_load = f"first load {shown or 'added nothing (already there)'}"
    held = f"the sample's keys held {r.keys_held_ms:.1f} ms"
    ok = have == want
    evidence.key(
        f"{len(implied)} statements; {first_load}; second load changed nothing; {held}"
        if ok
        else f"{len(implied)} statements; a second load changed the data; {held}"
    )
    evidence.tally("sample loads idempotent", ok, 1)
    verdict(evidence, [differ(f"sample data {k}", "rows", have[k], want[k]) for k in want])
