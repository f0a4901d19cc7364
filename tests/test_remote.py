"""Remote mode (-m supabase) rehearsed against a stand-in staging database behind PgBouncer
(transaction mode, TLS) on port 6543: same bodies, nothing left behind, production writes
nothing, and the client is safe behind a transaction pooler."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import signal
import time
from pathlib import Path

import asyncpg
from supabase_acceptance.client import connect
from supabase_acceptance.provision import Request, provision
from supabase_acceptance.report.signoff import EXIT

from .conftest import ROOT, make_staging, start_acceptance

# COPY (query) TO STDOUT is how the harness reads in one round trip; COPY ... FROM writes.
WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|DROP|ALTER|TRUNCATE|COMMENT|GRANT"
    r"|REVOKE|COPY(?!\s*\(.*\)\s*TO\s+STDOUT)|SELECT\s+setval"
    r"|SELECT\s+nextval)\b",
    re.I | re.S,
)


def test_full_supabase_run_passes_and_leaves_no_trace(staging, run_acceptance):
    before = staging.dump()
    assert any("hotel-demo" in line for line in before)
    result = run_acceptance("-m", "supabase", "--database-url", staging.url)
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert outcomes["passed"] > 90
    assert staging.dump() == before


def test_no_output_of_a_run_holds_the_password(staging, run_acceptance, pytester):
    """stdout, stderr, the HTML report, the JUnit XML and every log under the report dir."""
    secret = staging.server.password
    result = run_acceptance("-m", "supabase", "--database-url", staging.url, "-v", "-rA")
    assert result.ret == 0
    outputs = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for path in (pytester.path / "reports").rglob("*"):
        if path.is_file():
            outputs[path.name] = path.read_text(errors="replace")
    assert {
        "latest-staging.html",
        "latest-staging.xml",
        "latest-staging.json",
        "latest-staging.md",
    } <= set(outputs)
    assert [name for name, text in outputs.items() if secret in text] == []
    assert any(":***@" in text for text in outputs.values())


def test_sigkill_in_the_middle_of_the_behavioural_checks_leaves_no_trace(staging, tmp_path):
    before = staging.dump()
    proc = start_acceptance(
        *("-v", "-m", "supabase", "--database-url", staging.url, "--report-dir", str(tmp_path)),
        str(ROOT / "acceptance"),
    )
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "test_dod09_uniqueness.py::test_duplicate_insert" in line:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    deadline = time.monotonic() + 15
    while staging.dump() != before and time.monotonic() < deadline:
        time.sleep(0.2)  # the server rolls back once it notices the client is gone
    assert staging.dump() == before


def test_production_profile_writes_nothing(run_acceptance):
    """The server logs every statement; none of a production run's is a write, and every
    statement runs inside a READ ONLY transaction."""
    with provision(Request(backend="native")) as server:

        async def log_everything() -> None:
            conn = await connect(server.dsn())
            await conn.execute("ALTER SYSTEM SET log_statement = 'all'")
            await conn.execute("ALTER SYSTEM SET log_line_prefix = '%p %d '")
            await conn.execute("SELECT pg_reload_conf()")
            await conn.close()

        asyncio.run(log_everything())

        async def run() -> tuple:
            async with make_staging(server) as stage:
                log = Path(server.details["log"])
                start = log.stat().st_size
                result = run_acceptance(
                    "-m", "supabase", "--env", "production", "--database-url", stage.url
                )
                with log.open() as f:
                    f.seek(start)
                    lines = [ln for ln in f if f" {stage.database} " in ln]
                return result, lines

        result, lines = asyncio.run(run())
    outcomes = result.parseoutcomes()
    assert result.ret == EXIT["PARTIAL"], result.stdout.str()[-3000:]  # writes not run
    assert outcomes["skipped"] >= 20
    result.stdout.fnmatch_lines(["*not run on production: this check writes*"])
    statements = [
        m.group(2) for ln in lines if (m := re.search(r"LOG:  (statement|execute [^:]*): (.*)", ln))
    ]
    assert len(statements) > 50
    assert [s for s in statements if WRITE.match(s)] == []
    begins = [s for s in statements if re.match(r"BEGIN", s, re.I)]
    assert begins
    assert all("READ ONLY" in s.upper() for s in begins)


def _worker(args: tuple[str, str, int, bool]) -> tuple[int, int]:
    """Run `op` n times through the pooler; return (wrong answers, errors). Bounded: a broken
    protocol state can stall a connection, which then counts as errors."""
    dsn, op, n, safe = args

    async def main() -> tuple[int, int]:
        options = {"command_timeout": 5}
        conn = await (connect(dsn, **options) if safe else asyncpg.connect(dsn, **options))
        wrong = errors = 0
        for i in range(n):
            want = i * 2 if op == "*" else i + 1
            try:
                have = await conn.fetchval(f"SELECT $1::int {op} {2 if op == '*' else 1}", i)
                wrong += have != want
            except (asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                errors += 1
                if conn.is_closed():
                    return wrong, errors + (n - i - 1)
        await conn.close(timeout=5)
        return wrong, errors

    return asyncio.run(main())


def _two_processes(dsn: str, safe: bool, n: int = 1000) -> tuple[int, int]:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.map(_worker, [(dsn, "*", n, safe), (dsn, "+", n, safe)])
    return sum(r[0] for r in results), sum(r[1] for r in results)


def test_two_processes_through_the_transaction_pooler_get_only_correct_answers(staging):
    assert _two_processes(staging.url, safe=True) == (0, 0)


def test_asyncpg_default_statement_cache_is_what_the_harness_avoids(staging):
    """The counter-proof: the same workload with asyncpg's default cache goes wrong."""
    wrong, errors = _two_processes(staging.url, safe=False)
    assert wrong + errors > 0


def test_the_session_connection_closes_while_dod11_waits_only_when_no_later_test_uses_it(
    pytester,
):
    """Its polite close costs a round trip after the samples otherwise: it starts when DOD-11
    waits, provided every other test that uses `db` ran before (collection sorts DOD-11 last;
    another plugin may reorder)."""
    from supabase_acceptance.fixtures import _queried_before_dod11

    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = session\n")
    a, b, c, d = pytester.getitems(
        """
import pytest

@pytest.fixture
def db(): pass

@pytest.fixture
def latency_sampler(db): pass

@pytest.fixture
def catalog(db): pass

def test_a(catalog): pass
def test_b(latency_sampler): pass
def test_c(db): pass
def test_d(): pass
"""
    )
    assert _queried_before_dod11([a, d, b])
    assert _queried_before_dod11([b, d])
    assert not _queried_before_dod11([a, b, c])  # test_c would find it closed
    assert not _queried_before_dod11([a, c, d])  # no DOD-11: closed at the end as usual
