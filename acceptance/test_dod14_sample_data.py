"""Sample data (dev/staging only): the DDL's commented sample block (under the header
schema/samples.yaml names) loads, and loads idempotently (a second load changes nothing);
never on production. Run server-side inside a transaction that is rolled back, so a shared
staging database keeps what it had. The rows are the block's own, read from its statements."""

import pytest
from supabase_acceptance.asserts import differ, finding, holds, verdict
from supabase_acceptance.config import HarnessConfig
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.probes import Probe, outcome, sample_block, sample_implies

pytestmark = pytest.mark.dod("DOD-14")


async def test_sample_block_loads_idempotently(
    probe: Probe, harness_config: HarnessConfig, expected: Expected, evidence: Evidence
) -> None:
    """The state after the second load is read on its own and compared with the state read
    after the first; the first load must add what the block's statements insert."""
    header = expected.samples.block
    block = sample_block(harness_config.schema_file.read_text(), header)
    if block is None:
        name = harness_config.schema_file.name
        finding(evidence, f"{name}: sample block have none, want the one under {header!r}")
    r = holds(evidence, outcome(probe, "sample", "block", "sample loads idempotent"))
    implied = sample_implies(block)
    before, first, second = r["before"], r["first"]["state"], r["second"]["state"]
    added = {t: first[t]["rows"] - before[t]["rows"] for t in first}
    inserted: dict[str, int] = {}
    for (table, _), n in zip(implied, r["first"]["rows per statement"], strict=True):
        inserted[table] = inserted.get(table, 0) + n
    have = {
        "rows added by the first load": {t: n for t, n in added.items() if n},
        "rows the second load inserted": r["second"]["rows per statement"],
        "state after the second load": second,
    }
    want = {
        "rows added by the first load": {t: n for t, n in inserted.items() if n},
        "rows the second load inserted": [0] * len(implied),
        "state after the second load": first,
    }
    counts = r["first"]["rows per statement"]
    if any(counts):  # the samples were not there yet: each statement adds what it says
        names = [f"statement {i + 1} ({t})" for i, (t, _) in enumerate(implied)]
        have["rows each statement inserted"] = dict(zip(names, counts, strict=True))
        want["rows each statement inserted"] = {  # INSERT ... SELECT: at least one row
            name: n if n is not None else max(got, 1)
            for name, (_, n), got in zip(names, implied, counts, strict=True)
        }
    evidence.have_want(have, want)
    shown = ", ".join(f"+{n} {t}" for t, n in have["rows added by the first load"].items())
    first_load = f"first load {shown or 'added nothing (already there)'}"
    ok = have == want
    evidence.key(
        f"{len(implied)} statements; {first_load}; second load changed nothing"
        if ok
        else f"{len(implied)} statements; a second load changed the data"
    )
    evidence.tally("sample loads idempotent", ok, 1)
    verdict(evidence, [differ(f"sample data {k}", "rows", have[k], want[k]) for k in want])
