"""Catalog size is not a limit: the session's one read (catalog, role, advisories, validation)
comes back whole however many objects the database holds, within the statement timeout.

Round 2 read the catalog as one CSV field, and Python's csv reader stops at 128 KB: the
canonical schema plus 100 small tables in `public` gave 111 errors."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from supabase_acceptance import databases
from supabase_acceptance.client import connect
from supabase_acceptance.report.signoff import EXIT

from .conftest import SCHEMA, pooler_on

pooler = pooler_on(7)

# Each batch in its own transaction: one lock per relation, and a container's server keeps
# the default max_locks_per_transaction.
_BATCH = """
DO $$ BEGIN
  FOR i IN {first}..{last} LOOP
    EXECUTE format('CREATE TABLE {schema}.extra_%s (id serial PRIMARY KEY, name text NOT NULL,
                    note text DEFAULT ''n/a'', created_at timestamptz DEFAULT now())', i);
    EXECUTE format('CREATE INDEX ON {schema}.extra_%s (name)', i);
    EXECUTE format('COMMENT ON TABLE {schema}.extra_%s IS %L', i, repeat('x', 200));
  END LOOP;
END $$"""


async def _grow(dsn: str, schema: str, count: int) -> None:
    conn = await connect(dsn)
    try:
        if schema != "public":
            await conn.execute(f"CREATE SCHEMA {schema}")
        for first in range(0, count, 250):
            last = min(first + 250, count) - 1
            await conn.execute(_BATCH.format(first=first, last=last, schema=schema))
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("extra", "failing"),
    [
        # 2,000 tables (6,000 relations and more) in another schema: nothing of the DDL's
        # changes, the run is green
        ({"archive": 2000}, []),
        # the issue's case: extra tables in public are DOD-04's finding, nothing else fails
        ({"public": 100, "archive": 200}, ["DOD-04"]),
    ],
    ids=["2000-in-another-schema", "100-in-public"],
)
def test_a_big_catalog_is_read_whole_and_judged_right(
    extra, failing, server, pooler, run_acceptance, pytester
):
    database = f"big_{len(failing)}_{os.getpid()}"

    async def make() -> None:
        await databases.create(server, database, ddl=SCHEMA)
        for schema, count in extra.items():
            await _grow(server.dsn(database), schema, count)

    asyncio.run(make())
    try:
        result = run_acceptance("-m", "supabase", "--database-url", pooler.dsn(server, database))
    finally:
        asyncio.run(databases.drop(databases.Database(server, database)))
    summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors", 0) == 0, result.stdout.str()[-3000:]
    have = sorted({t["item"] for t in summary["tests"] if t["outcome"] in ("failed", "error")})
    assert have == failing, result.stdout.str()[-3000:]
    assert result.ret == EXIT[summary["status"]] == (1 if failing else 0)
    assert outcomes["passed"] >= 90
