"""The behaviour probe (probes.py): one round trip for every behaviour check, nothing
left behind, and DOD-14 fails on a sample block that a second load changes."""

from __future__ import annotations

import asyncio
import json
import sys

import asyncpg
from supabase_acceptance import probes
from supabase_acceptance.apply import apply_file
from supabase_acceptance.client import POOLER_SAFE
from supabase_acceptance.expected import load_from

from .conftest import PATHS, ROOT, SCHEMA

sys.path.insert(0, str(ROOT / "bench"))
from turns import counting_proxy

COUNT = "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM tenants)"


async def test_every_behaviour_check_costs_one_round_trip_and_leaves_nothing(server, fresh_db):
    conn = await fresh_db()
    await apply_file(conn, SCHEMA)
    database = await conn.fetchval("SELECT current_database()")
    with counting_proxy(("127.0.0.1", 0), (server.host, server.port), 0.01) as ledger:
        where = f"127.0.0.1:{ledger.port}"
        url = server.dsn(database).replace(f"{server.host}:{server.port}", where)
        remote = await asyncpg.connect(url, **POOLER_SAFE)
        before = ledger.depth
        probe = await probes.run(remote, load_from(PATHS), "abc123", SCHEMA)
        cost = ledger.depth - before
        await remote.close()
    assert probe.error is None
    assert cost == 1
    assert not [k for k, r in probe.results.items() if "error" in r]
    assert len(probe.results) == len(probes.cases(load_from(PATHS), []))
    assert await conn.fetchval(COUNT) == 0  # rolled back, sample rows included


def test_a_sample_block_a_second_load_changes_fails_dod14(run_acceptance, pytester, tmp_path):
    ddl = SCHEMA.read_text()
    marker = "ON CONFLICT (id) DO NOTHING;\n*/"
    assert marker in ddl
    copy = tmp_path / "schema.sql"
    copy.write_text(
        ddl.replace(
            marker,
            marker[:-3] + "\nINSERT INTO lock_audit (lock_key, "
            "event_type) VALUES ('demo', 'acquired');\n*/",
        )
    )
    result = run_acceptance("-m", "local", "--schema-file", str(copy), "-k", "dod14")
    summary = json.loads((pytester.path / "reports" / "latest-local.json").read_text())
    failed = [t for t in summary["tests"] if t["outcome"] == "failed"]
    assert result.ret != 0
    assert [t["item"] for t in failed] == ["DOD-14"]
    assert "rows the second load inserted: rows have [0, 0, 0, 1]" in failed[0]["message"]


def test_the_probe_script_is_one_simple_query_inside_a_rolled_back_transaction():
    script = probes.script(probes.cases(load_from(PATHS), None), "abc123")
    assert script.startswith("BEGIN;\n")
    assert script.rstrip().endswith("ROLLBACK;")
    assert asyncio.iscoroutinefunction(probes.run)
