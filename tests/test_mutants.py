"""The mutation suite: every check can fail, and fails for the right item. Each broken copy of
schema.sql is applied to a fresh database on one shared server and checked through the pooler
(-m supabase, PgBouncer + TLS on port 6543), as a drifted staging would be. The table of
results is printed at the end of the session (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from fixtures.apply import apply_file
from fixtures.client import connect
from fixtures.provision.pooler import pgbouncer

from ._services import delaying_proxy
from .conftest import SCHEMA

MUTANTS: dict[str, dict] = yaml.safe_load((Path(__file__).parent / "mutants.yaml").read_text())
RESULTS: list[dict] = []  # printed by conftest.pytest_terminal_summary
FAILED = ("failed", "error")


def mutate(ddl: str, mutant: dict) -> str:
    for find, replace in mutant.get("edits", []):
        assert find in ddl, f"mutant edit does not apply: {find[:60]!r}"
        ddl = ddl.replace(find, replace)
    return ddl + ("\n" + mutant["append"] if "append" in mutant else "")


def _host(n: int) -> str:
    return f"127.1.{os.getpid() % 250 + 1}.{n}"


@pytest.fixture(scope="module")
def pooler(server) -> Iterator:
    """One PgBouncer in front of the shared server for every mutant database."""
    with pgbouncer(server, host=_host(1), port=6543) as bouncer:
        yield bouncer


async def _fresh(server, name: str, ddl: str, tmp: Path) -> None:
    admin = await connect(server.dsn())
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    path = tmp / f"{name}.sql"
    path.write_text(ddl)
    conn = await connect(server.dsn(name))
    try:
        await apply_file(conn, path)
    finally:
        await conn.close()


async def _drop(server, name: str) -> None:
    admin = await connect(server.dsn())
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@contextlib.contextmanager
def _path_to(mutant: dict, server, pooler, database: str) -> Iterator[str]:
    """The URL a check run uses: the shared pooler, or the deployment defect the mutant is."""
    if mutant.get("kind") == "network":
        with delaying_proxy(_host(2), 6543, (pooler.host, pooler.port), mutant["delay_ms"] / 1000):
            yield pooler.dsn(server, database).replace(pooler.host, _host(2))
    elif mutant.get("kind") == "pooler":
        with pgbouncer(server, host=_host(3), port=6543, settings=mutant["pgbouncer"]) as other:
            yield other.dsn(server, database)
    else:
        yield pooler.dsn(server, database)


@pytest.mark.parametrize("name", MUTANTS)
def test_mutant_is_caught_by_the_item_it_targets(name, server, pooler, run_acceptance, pytester):
    mutant = MUTANTS[name]
    item, allowed = mutant["item"], {mutant["item"], *mutant.get("also", [])}
    database = f"mut_{list(MUTANTS).index(name)}_{os.getpid()}"
    asyncio.run(_fresh(server, database, mutate(SCHEMA.read_text(), mutant), pytester.path))
    try:
        with _path_to(mutant, server, pooler, database) as url:
            result = run_acceptance("-m", "supabase", "--database-url", url)
    finally:
        asyncio.run(_drop(server, database))
    summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    failing = sorted({t["item"] for t in summary["tests"] if t["outcome"] in FAILED})
    said = "\n".join(t["message"] for t in summary["tests"]
                     if t["outcome"] in FAILED and t["item"] == item)  # fmt: skip
    unnamed = [word for word in mutant["names"] if word not in said]
    caught = result.ret == 1 and item in failing and set(failing) <= allowed and not unnamed
    RESULTS.append({"mutant": name, "item": item, "failed": failing, "caught": caught})
    assert result.ret == 1, f"{name} survived: the run passed"
    assert item in failing, f"{name} survived: {item} did not fail (failed: {failing})"
    assert set(failing) <= allowed, f"{name}: false alarm in {sorted(set(failing) - allowed)}"
    assert not unnamed, f"{name}: the {item} messages lack {unnamed}:\n{said}"


def test_the_suite_covers_every_structural_item_at_least_twice():
    from collections import Counter

    counts = Counter(m["item"] for m in MUTANTS.values())
    assert len(MUTANTS) >= 40
    assert {f"DOD-{n:02d}" for n in range(4, 13)} <= {i for i, c in counts.items() if c >= 2}


@pytest.mark.parametrize("supabase_like", [False, True], ids=["plain", "supabase-like"])
def test_canonical_schema_raises_no_alarm_through_the_pooler(
    supabase_like, server, pooler, run_acceptance, pytester
):
    database = f"canon_{int(supabase_like)}_{os.getpid()}"
    ddl = SCHEMA.read_text()
    if supabase_like:
        ddl = (SCHEMA.parent / "supabase_like.sql").read_text() + "\n" + ddl
    asyncio.run(_fresh(server, database, ddl, pytester.path))
    try:
        result = run_acceptance("-m", "supabase", "--database-url", pooler.dsn(server, database))
    finally:
        asyncio.run(_drop(server, database))
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0
    assert outcomes["passed"] >= 100
