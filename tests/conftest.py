"""Shared pieces of the harness's own tests: one throwaway server, fresh databases, and a
runner for the acceptance suite in a subprocess (as a user would run it)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from supabase_acceptance.apply import apply_file
from supabase_acceptance.client import connect
from supabase_acceptance.provision import Request, Server, choose, embedded, native, provision
from supabase_acceptance.provision.pooler import Pooler, pgbouncer

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema" / "schema.sql"
IMAGE = os.environ.get("HARNESS_TEST_IMAGE", "postgres:17")
STAGING_ROWS = Path(__file__).parent / "data" / "staging_rows.sql"


def pg_tool(name: str) -> str:
    """The newest `name` (pg_dump, ...) on this machine: it can read any older server."""
    dirs = native.candidates()
    emb = embedded.bindir(Request(embedded_major=18))
    dirs += [emb] if emb else []
    best = max(
        (d for d in dirs if (d / name).is_file()),
        key=lambda d: int(subprocess.run([str(d / name), "--version"], capture_output=True,
                                         text=True).stdout.split()[-1].split(".")[0]),
    )  # fmt: skip
    return str(best / name)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    req = Request(image=IMAGE)
    with provision(req, choose(req)) as srv:
        yield srv


@pytest.fixture
async def fresh_db(server: Server) -> AsyncIterator[Callable]:
    """Factory: an empty database on the shared test server, dropped afterwards."""
    made: list[str] = []
    admin = await connect(server.dsn())

    async def make() -> asyncpg.Connection:
        name = f"t{os.getpid()}_{len(made)}"
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        conn = await connect(server.dsn(name))
        conns.append(conn)
        return conn

    conns: list[asyncpg.Connection] = []
    yield make
    for conn in conns:
        await conn.close()
    for name in made:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@dataclass
class Staging:
    """A stand-in for a shared staging database: schema applied, rows already there, reached
    through PgBouncer (transaction mode, TLS required) on port 6543 of a loopback address."""

    server: Server
    pooler: Pooler
    database: str

    @property
    def url(self) -> str:
        return self.pooler.dsn(self.server, self.database)

    def dump(self) -> list[str]:
        """pg_dump --data-only, minus sequence positions (a rolled-back insert may advance
        them; that is the cost the DoD accepts) and the dump's own per-run lines."""
        out = subprocess.run(
            [pg_tool("pg_dump"), "--data-only", "--no-owner", self.server.dsn(self.database)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        noise = ("--", "\\restrict", "\\unrestrict")  # comments, pg_dump's per-run key
        return [ln for ln in out.splitlines() if "setval(" not in ln and not ln.startswith(noise)]


@contextlib.asynccontextmanager
async def make_staging(
    server: Server, settings: dict[str, object] | None = None
) -> AsyncIterator[Staging]:
    name = f"staging_{os.getpid()}"
    admin = await connect(server.dsn())
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await connect(server.dsn(name))
    await apply_file(conn, SCHEMA)
    await conn.execute(STAGING_ROWS.read_text())
    await conn.close()
    host = f"127.0.{os.getpid() % 200 + 20}.{os.getpid() % 250 + 2}"
    try:
        with pgbouncer(server, host=host, port=6543, settings=settings) as pooler:
            yield Staging(server, pooler, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def staging(server: Server) -> AsyncIterator[Staging]:
    async with make_staging(server) as stage:
        yield stage


def suite_args(*args: str) -> list[str]:
    """Arguments that run the real acceptance suite from anywhere, as a user would (with the
    test image: no registry is reachable where CI builds its own)."""
    return ["-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), "-p", "no:cacheprovider",
            "--pg-image", IMAGE, *args]  # fmt: skip


def start_acceptance(*args: str, env: dict | None = None) -> subprocess.Popen:
    """The acceptance suite in a child process whose output is read line by line."""
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", *suite_args(*args)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip


@pytest.fixture
def run_acceptance(pytester: pytest.Pytester) -> Callable[..., pytest.RunResult]:
    """Run the real acceptance suite (or some of its modules) in a subprocess."""

    def run(*args: str, modules: tuple[str, ...] = ()) -> pytest.RunResult:
        paths = [str(ROOT / "acceptance" / m) for m in modules] or [str(ROOT / "acceptance")]
        reports = str(pytester.path / "reports")
        return pytester.runpytest_subprocess(
            *suite_args("--report-dir", reports, "--pg-image", IMAGE, *args, *paths), timeout=300
        )

    return run


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The mutation table (mutant, expected item, items that failed, caught or not) and the
    equal-meaning table (variant, items that failed, divergence listed, passed or not)."""
    from .test_mutants import EQUAL_RESULTS, RESULTS

    lines: list[str] = []
    if RESULTS:
        lines += [f"{'mutant':<46} {'item':<7} {'items that failed':<34} caught"]
        lines += [f"{r['mutant']:<46} {r['item']:<7} {', '.join(r['failed']) or '-':<34} "
                  f"{'yes' if r['caught'] else 'NO'}" for r in RESULTS]  # fmt: skip
        lines.append(f"{sum(r['caught'] for r in RESULTS)}/{len(RESULTS)} mutants caught")
    if EQUAL_RESULTS:
        lines += ["", f"{'equal-meaning variant':<46} {'items that failed':<34} listed passed"]
        lines += [f"{r['variant']:<46} {', '.join(r['failed']) or '-':<34} "
                  f"{'yes' if r['listed'] else 'NO':<6} {'yes' if r['passed'] else 'NO'}"
                  for r in EQUAL_RESULTS]  # fmt: skip
        passed = sum(r["passed"] for r in EQUAL_RESULTS)
        lines.append(f"{passed}/{len(EQUAL_RESULTS)} equal-meaning variants passed")
    if not lines:
        return
    terminalreporter.write_sep("=", "mutation table")
    for line in lines:
        terminalreporter.write_line(line)
    (ROOT / "reports" / "mutation-table.txt").write_text("\n".join(lines) + "\n")
