"""Shared pieces of the harness's own tests: one throwaway server, fresh databases, and a
runner for the acceptance suite in a subprocess (as a user would run it)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from fixtures.client import connect
from fixtures.provision import Request, Server, choose, provision

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema" / "schema.sql"
IMAGE = os.environ.get("HARNESS_TEST_IMAGE", "postgres:17")


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


@pytest.fixture
def run_acceptance(pytester: pytest.Pytester) -> Callable[..., pytest.RunResult]:
    """Run the real acceptance suite (or some of its modules) in a subprocess."""

    def run(*args: str, modules: tuple[str, ...] = ()) -> pytest.RunResult:
        paths = [str(ROOT / "acceptance" / m) for m in modules] or [str(ROOT / "acceptance")]
        return pytester.runpytest_subprocess(
            "-c",
            str(ROOT / "pytest.ini"),
            "--rootdir",
            str(ROOT),
            "-p",
            "no:cacheprovider",
            "--report-dir",
            str(pytester.path / "reports"),
            "--pg-image",
            IMAGE,
            *args,
            *paths,
            timeout=300,
        )

    return run
