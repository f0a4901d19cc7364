"""Shared pieces of the harness's own tests: one throwaway server, fresh databases, and a
runner for the acceptance suite in a subprocess (as a user would run it)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from supabase_acceptance import databases
from supabase_acceptance.client import connect
from supabase_acceptance.paths import Paths
from supabase_acceptance.provision import Request, Server, choose, embedded, native, provision
from supabase_acceptance.provision.pooler import Pooler, pgbouncer

ROOT = Path(__file__).resolve().parent.parent
PATHS = Paths.under(ROOT)  # the files a default run reads, as the harness derives them
SCHEMA = PATHS.schema_file
IMAGE = os.environ.get("HARNESS_TEST_IMAGE", "postgres:17")
STAGING_ROWS = Path(__file__).parent / "data" / "staging_rows.sql"


def pg_tool(name: str) -> str:
    """The newest `name` (pg_dump, ...) on this machine: it can read any older server."""
    dirs = native.candidates()
    emb = embedded.bindir(Request(embedded_major=18))
    dirs += [emb] if emb else []

    def major(d: Path) -> int:
        out = subprocess.run([str(d / name), "--version"], capture_output=True, text=True)
        return int(out.stdout.split()[-1].split(".")[0])

    return str(max((d for d in dirs if (d / name).is_file()), key=major) / name)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    req = Request(image=IMAGE)
    with provision(req, choose(req)) as srv:
        yield srv


@pytest.fixture
async def fresh_db(server: Server) -> AsyncIterator[Callable[[], Awaitable[asyncpg.Connection]]]:
    """Factory: an empty database on the shared test server, dropped afterwards."""
    async with contextlib.AsyncExitStack() as stack:

        async def make() -> asyncpg.Connection:
            db = await stack.enter_async_context(databases.scratch(server, "t"))
            conn = await connect(db.dsn)
            stack.push_async_callback(conn.close)
            return conn

        yield make


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
        dump = [pg_tool("pg_dump"), "--data-only", "--no-owner", self.server.dsn(self.database)]
        out = subprocess.run(dump, capture_output=True, text=True, check=True).stdout
        noise = ("--", "\\restrict", "\\unrestrict")  # comments, pg_dump's per-run key
        return [ln for ln in out.splitlines() if "setval(" not in ln and not ln.startswith(noise)]


@contextlib.asynccontextmanager
async def make_staging(
    server: Server, settings: dict[str, object] | None = None
) -> AsyncIterator[Staging]:
    async def rows(conn: asyncpg.Connection) -> None:
        await conn.execute(STAGING_ROWS.read_text())

    host = f"127.0.{os.getpid() % 200 + 20}.{os.getpid() % 250 + 2}"
    async with databases.scratch(server, "staging", ddl=SCHEMA, setup=rows) as db:
        with pgbouncer(server, host=host, port=6543, settings=settings) as pooler:
            yield Staging(server, pooler, db.name)


@pytest.fixture
async def staging(server: Server) -> AsyncIterator[Staging]:
    async with make_staging(server) as stage:
        yield stage


def loopback(block: int, n: int) -> str:
    """A loopback address of this process in `block` (one per test module), so the test
    poolers can all listen on Supabase's port 6543."""
    return f"127.{block}.{os.getpid() % 250 + 1}.{n}"


def pooler_on(block: int) -> Any:
    """A module's PgBouncer (TLS, transaction mode, port 6543) in front of the shared server."""

    @pytest.fixture(scope="module")
    def pooler(server: Server) -> Iterator[Pooler]:
        with pgbouncer(server, host=loopback(block, 1), port=6543) as bouncer:
            yield bouncer

    return pooler


def cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m supabase_acceptance.cli ...`, the Makefile targets' command."""
    command = [sys.executable, "-m", "supabase_acceptance.cli", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, env=env)


def make(target: str, *args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    """A Makefile target of the seeds, with this venv's Python."""
    command = ["make", "-s", target, *args, f"PYTHON={sys.executable}"]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )


@contextlib.contextmanager
def temp_base(base: Path) -> Iterator[Path]:
    """The harness's directories under `base` in this process: $TMPDIR (else the RAM disk is
    taken, workspace.base_dir) and tempfile's cached value."""
    real_env, real = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = str(base), str(base)
    try:
        yield base
    finally:
        tempfile.tempdir = real
        if real_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = real_env


def suite_args(*args: str) -> list[str]:
    """Arguments that run the real acceptance suite from anywhere, as a user would (with the
    test image: no registry is reachable where CI builds its own)."""
    where = ["-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT)]
    return [*where, "-p", "no:cacheprovider", "--pg-image", IMAGE, *args]


def start_acceptance(*args: str, env: dict | None = None) -> subprocess.Popen:
    """The acceptance suite in a child process whose output is read line by line."""
    command = [sys.executable, "-m", "pytest", *suite_args(*args)]
    out = subprocess.PIPE
    return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)


@pytest.fixture
def run_acceptance(pytester: pytest.Pytester) -> Callable[..., pytest.RunResult]:
    """Run the real acceptance suite (or some of its modules) in a subprocess."""

    def run(*args: str, modules: tuple[str, ...] = ()) -> pytest.RunResult:
        paths = [str(ROOT / "acceptance" / m) for m in modules] or [str(ROOT / "acceptance")]
        reports = str(pytester.path / "reports")
        return pytester.runpytest_subprocess(
            *suite_args("--report-dir", reports, *args, *paths), timeout=300
        )

    return run


def _row(name: str, item: str | None, failed: list[str], *verdicts: bool) -> str:
    """One line of the mutation or equal-meaning table, columns aligned."""
    said = " ".join(f"{'yes' if v else 'NO':<6}" for v in verdicts).rstrip()
    head = f"{name:<46} " + (f"{item:<7} " if item is not None else "")
    return f"{head}{', '.join(failed) or '-':<34} {said}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "golden: in-process tier, no server or pooler (tests/golden; run alone: -m golden)",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The mutation table (mutant, expected item, items that failed, caught or not) and the
    equal-meaning table (variant, items that failed, divergence listed, passed or not)."""
    from .test_heal import HEAL_RESULTS
    from .test_mutants import EQUAL_RESULTS, RESULTS

    lines: list[str] = []
    if RESULTS:
        lines += [f"{'mutant':<46} {'item':<7} {'items that failed':<34} caught"]
        lines += [_row(r["mutant"], r["item"], r["failed"], r["caught"]) for r in RESULTS]
        lines.append(f"{sum(r['caught'] for r in RESULTS)}/{len(RESULTS)} mutants caught")
    if EQUAL_RESULTS:
        lines += ["", f"{'equal-meaning variant':<46} {'items that failed':<34} listed passed"]
        lines += [
            _row(r["variant"], None, r["failed"], r["listed"], r["passed"]) for r in EQUAL_RESULTS
        ]
        passed = sum(r["passed"] for r in EQUAL_RESULTS)
        lines.append(f"{passed}/{len(EQUAL_RESULTS)} equal-meaning variants passed")
    if HEAL_RESULTS:
        n = len(HEAL_RESULTS)
        lines += [
            "",
            f"{'remediation plan applied':<46} named  healed decisions",
            *(
                f"{r['mutant']:<46} {'yes' if r['named'] else 'NO':<6} "
                f"{'yes' if r['healed'] else 'no':<6} {r['decisions']}"
                for r in HEAL_RESULTS
            ),
            f"named {sum(r['named'] for r in HEAL_RESULTS)}/{n}, "
            f"healed {sum(r['healed'] for r in HEAL_RESULTS)}/{n}, "
            f"decisions {sum(r['decisions'] > 0 for r in HEAL_RESULTS)}",
        ]
    if not lines:
        return
    terminalreporter.write_sep("=", "mutation table")
    for line in lines:
        terminalreporter.write_line(line)
    (ROOT / "reports" / "mutation-table.txt").write_text("\n".join(lines) + "\n")
