"""DOD-10 CRUD: create, read, update and delete work on every table; remote runs leave no
trace (everything in a transaction that is rolled back)."""

import asyncpg
import pytest

from fixtures.expected import load
from fixtures.rows import quote
from fixtures.verdict import differ, finding, verdict

pytestmark = pytest.mark.dod("DOD-10")


@pytest.mark.parametrize("table", load().tables)
async def test_create_read_update_delete_work(rows, tx, table):
    pk, col = rows.pk(table), rows.mutable_column(table)
    try:
        created = await rows.insert(table)
        key = created[pk]
        read = await rows.get(table, key)
        new = rows.tag()
        await tx.execute(
            f"UPDATE {quote(table)} SET {quote(col)} = $1 WHERE {quote(pk)} = $2", new, key
        )
        updated = await rows.get(table, key)
        await tx.execute(f"DELETE FROM {quote(table)} WHERE {quote(pk)} = $1", key)
        deleted = await rows.get(table, key)
    except asyncpg.PostgresError as exc:
        finding("DOD-10", f"{table}: CRUD have error {exc.sqlstate} ({exc}), want success")
    verdict(
        "DOD-10",
        [
            differ(f"{table} read after create", "row", dict(read or {}), dict(created)),
            differ(f"{table}.{col} after update", "value", updated and updated[col], new),
            differ(f"{table} after delete", "row", "present" if deleted else "gone", "gone"),
        ],
    )
