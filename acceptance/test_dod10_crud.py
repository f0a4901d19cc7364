"""DOD-10 CRUD: create, read, update and delete work on every table; remote runs leave no
trace (everything in a transaction that is rolled back)."""

import asyncpg
import pytest

from fixtures.expected import load
from fixtures.rows import quote
from fixtures.verdict import differ, finding, verdict

pytestmark = pytest.mark.dod("DOD-10")


@pytest.mark.parametrize("table", load().tables)
async def test_create_read_update_delete_work(rows, evidence, table):
    pk, col = rows.pk(table), rows.mutable_column(table)
    try:
        created = await rows.insert(table)
        if created is None:
            evidence.tally("tables with working CRUD", 0, 1)
            finding("DOD-10", f"{table}: insert returned no row, want the row it inserted")
        key = created[pk]
        read = await rows.get(table, key)
        new = rows.tag()
        await rows.execute(f"UPDATE {quote(table)} SET {quote(col)} = $1 WHERE {quote(pk)} = $2",
                           new, key)  # fmt: skip
        updated = await rows.get(table, key)
        await rows.execute(f"DELETE FROM {quote(table)} WHERE {quote(pk)} = $1", key)
        deleted = await rows.get(table, key)
    except asyncpg.PostgresError as exc:
        evidence.tally("tables with working CRUD", 0, 1)
        finding("DOD-10", f"{table}: CRUD have error {exc.sqlstate} ({exc}), want success")
    have = {"read": dict(read or {}), col: updated and updated[col],
            "after delete": "present" if deleted else "gone"}  # fmt: skip
    want = {"read": dict(created), col: new, "after delete": "gone"}
    evidence.have_want(have, want)
    evidence.tally("tables with working CRUD", have == want, 1)
    verdict("DOD-10", [differ(f"{table} {k}", "value", have[k], want[k]) for k in want])
