"""DOD-14 Sample data (dev/staging only): the DDL's commented sample block loads, and loads
idempotently (a second load changes nothing); never on production. Inside a transaction that
is rolled back, so a shared staging database keeps what it had."""

import re

import asyncpg
import pytest

from fixtures.apply import split
from fixtures.verdict import differ, finding, verdict

pytestmark = pytest.mark.dod("DOD-14")
COUNT_SQL = (
    "SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM tenant_user_identifiers), "
    "(SELECT count(*) FROM users)"
)


def sample_block(ddl: str) -> str:
    """The /* ... */ block under the DDL's "DATOS DE EJEMPLO" header."""
    match = re.search(r"DATOS DE EJEMPLO.*?/\*(.*?)\*/", ddl, re.S)
    assert match, "DOD-14 schema.sql: sample block have none, want the commented block"
    return match.group(1)


async def test_sample_block_loads_idempotently(rows, harness_config, evidence):
    statements = split(sample_block(harness_config.schema_file.read_text()))
    counts = []
    for load in ("first", "second"):
        for st in statements:
            try:
                await rows.execute(st.text)
            except asyncpg.PostgresError as exc:
                finding("DOD-14", f"sample block statement {st.number} ({st.head}) on the {load} "
                        f"load: have error {exc.sqlstate} ({exc}), want success")  # fmt: skip
        counts.append(tuple(await rows.fetchrow(COUNT_SQL)))
    demo = await rows.fetchrow("SELECT count(*) AS n FROM tenants WHERE tenant_id = 'hotel-demo'")
    have = {"after first load": counts[0], "after second load": counts[1], "hotel-demo": demo["n"]}
    want = {"after first load": counts[0], "after second load": counts[0], "hotel-demo": 1}
    evidence.have_want(have, want)
    evidence.key(f"{len(statements)} statements, second load changed nothing")
    verdict("DOD-14", [differ(f"sample data {k}", "rows", have[k], want[k]) for k in want])
