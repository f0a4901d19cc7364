"""Faults of a shared database: other clients' session state behind a pool of size 1 survives a
run; a held lock and a low timeout end in one line, quickly, with the sign-off INTERRUPTED."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import asyncpg
import pytest
from supabase_acceptance.client import pool as harness_pool
from supabase_acceptance.provision import Request, provision
from supabase_acceptance.report.signoff import EXIT

from .conftest import make_staging

ONE_SERVER_CONNECTION = {"default_pool_size": 1, "server_idle_timeout": 5}
# what would change another client's session on a shared server connection
SESSION_CHANGE = re.compile(
    r"^\s*(RESET|UNLISTEN|DISCARD|CLOSE\s+ALL|SET\s+(?!LOCAL\b)|SELECT\s+pg_advisory_unlock"
    r"|.*set_config\([^)]*,\s*false\))",
    re.I,
)


async def _other_client(url: str) -> asyncpg.Connection:
    """A client of the pooler that keeps session state on the one server connection."""
    conn = await asyncpg.connect(url, statement_cache_size=0)
    await conn.execute("SELECT pg_advisory_lock(4242)")
    await conn.execute("SET statement_timeout = '123s'")
    return conn


async def _state(conn: asyncpg.Connection) -> tuple[int, str]:
    locks = await conn.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242"
    )
    return locks, await conn.fetchval("SHOW statement_timeout")


# PgBouncer's own parameter tracking (it sets each client's startup parameters on the server
# connection it hands out, quoted its own way): the pooler's doing, not the harness's
POOLER_OWN = re.compile(r"^SET \w+='''.*''';$")


def _statements(log: Path, start: int, database: str) -> list[str]:
    with log.open() as f:
        f.seek(start)
        lines = [ln for ln in f if f" {database} " in ln]
    return [m[2] for ln in lines if (m := re.search(r"LOG:  (statement|execute [^:]*): (.*)", ln))]


@pytest.fixture(scope="module")
def logged_server():
    """A server that logs every statement (log_statement=all), for the proofs below."""
    with provision(Request(backend="native")) as server:

        async def log_all() -> None:
            conn = await asyncpg.connect(server.dsn())
            await conn.execute("ALTER SYSTEM SET log_statement = 'all'")
            await conn.execute("ALTER SYSTEM SET log_line_prefix = '%p %d '")
            await conn.execute("SELECT pg_reload_conf()")
            await conn.close()

        asyncio.run(log_all())
        yield server


def test_another_clients_session_state_survives_a_production_run(logged_server, run_acceptance):
    async def scenario() -> tuple:
        async with make_staging(logged_server, ONE_SERVER_CONNECTION) as stage:
            other = await _other_client(stage.url)
            before = await _state(other)
            log = Path(logged_server.details["log"])
            start = log.stat().st_size
            result = run_acceptance(
                "-m", "supabase", "--env", "production", "--database-url", stage.url
            )
            statements = _statements(log, start, stage.database)
            after = await _state(other)
            await other.close()
            return result, before, after, statements

    result, before, after, statements = asyncio.run(scenario())
    assert result.ret == EXIT["PARTIAL"], result.stdout.str()[-3000:]  # writes not run
    assert before == (1, "123s")
    assert after == before, "the run changed another client's session state"
    assert len(statements) > 50
    changes = [s for s in statements if SESSION_CHANGE.match(s) and not POOLER_OWN.match(s)]
    assert changes == []
    assert any("SET LOCAL lock_timeout" in s for s in statements)


def test_the_counter_proof_asyncpg_default_pool_reset_wipes_it(logged_server):
    """Without the harness's no-op reset the same pool of size 1 loses the other client's
    state: the test above can fail."""

    async def scenario() -> tuple:
        async with make_staging(logged_server, ONE_SERVER_CONNECTION) as stage:
            other = await _other_client(stage.url)
            plain = await asyncpg.create_pool(
                stage.url, min_size=0, max_size=1, statement_cache_size=0
            )
            async with plain.acquire() as conn:
                await conn.fetchval("SELECT 1")
            await plain.close()
            wiped = await _state(other)
            await other.execute("SELECT pg_advisory_lock(4242)")
            await other.execute("SET statement_timeout = '123s'")
            ours = await harness_pool(stage.url, 1)
            async with ours.acquire() as conn:
                await conn.fetchval("SELECT 1")
            await ours.close()
            kept = await _state(other)
            await other.close()
            return wiped, kept

    wiped, kept = asyncio.run(scenario())
    assert wiped != (1, "123s")
    assert kept == (1, "123s")


def _summary(reports: Path) -> dict:
    return json.loads(next(reports.glob("acceptance-staging-*.json")).read_text())


def test_a_held_lock_ends_in_one_line_naming_lock_table_and_what_to_do(
    staging, run_acceptance, pytester
):
    async def scenario():
        holder = await asyncpg.connect(staging.server.dsn(staging.database))
        await holder.execute("SET application_name = 'migration-in-progress'")
        await holder.execute("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        pid = holder.get_server_pid()
        t0 = time.monotonic()
        result = await asyncio.to_thread(
            run_acceptance, "-m", "supabase", "--database-url", staging.url, "--lock-timeout", "1"
        )
        elapsed = time.monotonic() - t0
        await holder.close()
        return result, pid, elapsed

    result, pid, elapsed = asyncio.run(scenario())
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == EXIT["INTERRUPTED"], out[-3000:]  # INTERRUPTED
    lines = [ln for ln in out.splitlines() if "waited lock_timeout = 1000 ms" in ln]
    assert lines, out[-3000:]
    assert "table public.users is held in ACCESS EXCLUSIVE mode" in lines[0]
    assert f"by pid {pid} (migration-in-progress)" in lines[0]
    assert f"pg_terminate_backend({pid})" in lines[0]
    assert "Traceback" not in out
    assert len(out.splitlines()) < 80
    assert elapsed < 20
    summary = _summary(pytester.path / "reports")
    assert summary["status"] == "INTERRUPTED"
    assert "waited lock_timeout" in summary["interrupted"]
    assert not [r for r in summary["signoff"] if r["verdict"] == "fail"]


def test_a_server_statement_timeout_does_not_break_the_run(staging, run_acceptance):
    """ALTER DATABASE ... SET statement_timeout = '5ms': the harness sets its own bounds per
    transaction (SET LOCAL), so the run is judged as usual, not 5,000 lines of tracebacks."""

    async def alter(value: str) -> None:
        conn = await asyncpg.connect(staging.server.dsn())
        await conn.execute(f'ALTER DATABASE "{staging.database}" SET statement_timeout = {value}')
        await conn.close()

    asyncio.run(alter("'5ms'"))
    try:
        result = run_acceptance("-m", "supabase", "--database-url", staging.url)
    finally:
        asyncio.run(alter("DEFAULT"))
    assert result.ret == 0, result.stdout.str()[-3000:]


def test_a_statement_timeout_names_the_setting_in_one_line(staging, run_acceptance, pytester):
    t0 = time.monotonic()
    result = run_acceptance(
        "-m", "supabase", "--database-url", staging.url, "--statement-timeout", "0.001"
    )
    elapsed = time.monotonic() - t0
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == EXIT["INTERRUPTED"], out[-3000:]
    lines = [ln for ln in out.splitlines() if "ran past statement_timeout = 1 ms" in ln]
    assert lines, out[-3000:]
    assert "--statement-timeout" in lines[0]
    assert "Traceback" not in out
    assert len(out.splitlines()) < 80
    assert elapsed < 20
    assert _summary(pytester.path / "reports")["status"] == "INTERRUPTED"
