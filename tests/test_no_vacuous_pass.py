"""No vacuous pass (issue 8): the whole acceptance suite, run through the pooler against a
database that holds none of the schema, must fail every DoD item (the optional DOD-13 and the
dev-only DOD-14 aside). A check whose list of objects comes out empty must fail, not pass or
skip: an empty database and one holding only unrelated tables are both wrong databases."""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from supabase_acceptance.compare import Rules
from supabase_acceptance.provision.pooler import pgbouncer

from ._mutation import drop, fresh, host
from .conftest import PATHS

EXEMPT = {"DOD-13", "DOD-14"}
DATABASES = {
    "empty": "",
    "unrelated-tables": "CREATE TABLE widgets (id int PRIMARY KEY, name text);\n"
    "CREATE TABLE gadgets (id serial PRIMARY KEY, widget_id int REFERENCES widgets (id));\n"
    "CREATE INDEX idx_gadgets_widget_id ON gadgets (widget_id);\n"
    "COMMENT ON TABLE widgets IS 'not the hotel schema';",
}


@pytest.fixture(scope="module")
def pooler(server):
    with pgbouncer(server, host=host(4), port=6543) as bouncer:
        yield bouncer


@pytest.mark.parametrize("kind", DATABASES)
def test_every_item_fails_on_a_database_without_the_schema(
    kind, server, pooler, run_acceptance, pytester
):
    database = f"vacuous_{list(DATABASES).index(kind)}_{os.getpid()}"
    asyncio.run(fresh(server, database, DATABASES[kind], pytester.path))
    try:
        result = run_acceptance("-m", "supabase", "--database-url", pooler.dsn(server, database))
    finally:
        asyncio.run(drop(server, database))
    summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    verdicts = {r["item"]: r["verdict"] for r in summary["signoff"]}
    wrong = {
        i: f"{v} ({r['why'][:120]})"
        for r in summary["signoff"]
        if (i := r["item"]) not in EXEMPT and (v := r["verdict"]) != "fail"
    }
    items = Rules.load(PATHS.dod_file, PATHS.equivalences_file, None).items
    assert set(verdicts) == set(items), f"sign-off rows {sorted(verdicts)}"
    assert result.ret == 1, f"the run exited {result.ret} on the {kind} database"
    assert not wrong, f"{kind} database: items that did not fail: {json.dumps(wrong, indent=1)}"
