"""DOD-08 Triggers: update_updated_at_column() exists; update_users_updated_at and
update_tenants_updated_at are BEFORE UPDATE FOR EACH ROW, enabled, and call it; an UPDATE moves
updated_at to the statement time and leaves created_at alone, on both tables."""

import asyncpg
import pytest

from fixtures.catalog import trigger_facts
from fixtures.expected import load
from fixtures.rows import OLD, quote
from fixtures.verdict import declared, differ, finding, verdict

pytestmark = pytest.mark.dod("DOD-08")
EXPECTED = load()


@pytest.mark.parametrize("name", EXPECTED.functions)
def test_trigger_function_exists(catalog, evidence, name):
    want = EXPECTED.functions[name]
    found = next((f for f in catalog.functions if f["name"] == name), None)
    have = {k: found[k] for k in want} if found else None
    declared(evidence, "DOD-08", "functions", f"function {name}()", have, want,
             tally="trigger function as specified",
             missing=f"{want['language']} returning {want['returns']}")  # fmt: skip


@pytest.mark.parametrize("name", EXPECTED.triggers)
def test_trigger_is_before_update_for_each_row_enabled_and_calls_the_function(
    catalog, evidence, name
):
    want = EXPECTED.triggers[name]
    found = next((t for t in catalog.triggers if t["name"] == name), None)
    have = trigger_facts(found) if found else None
    declared(evidence, "DOD-08", "triggers", f"trigger {name}", have, want,
             tally="triggers BEFORE UPDATE FOR EACH ROW, enabled",
             missing=f"BEFORE UPDATE ON {want['table']}")  # fmt: skip


@pytest.mark.parametrize("table", sorted({t["table"] for t in EXPECTED.triggers.values()}))
async def test_update_moves_updated_at_and_leaves_created_at(rows, tx, evidence, table):
    row = await rows.insert(table, created_at=OLD, updated_at=OLD)
    key, pk, col = row[rows.pk(table)], quote(rows.pk(table)), rows.mutable_column(table)
    verdict("DOD-08", [differ(f"{table}.updated_at after INSERT", "value", row["updated_at"], OLD)])
    try:
        async with tx.transaction():
            sql = f"UPDATE {quote(table)} SET {quote(col)} = $1 WHERE {pk} = $2"
            await rows.execute(sql, rows.tag(), key)
    except asyncpg.PostgresError as exc:
        evidence.tally("UPDATEs that moved updated_at only", 0, 1)
        finding("DOD-08", f"{table}: UPDATE have error {exc.sqlstate} ({exc}), want success")
    after = await rows.fetchrow(
        f"SELECT updated_at, created_at, now()::timestamp AS now FROM {quote(table)} "
        f"WHERE {pk} = $1",
        key,
    )
    have = {"updated_at": after["updated_at"], "created_at": after["created_at"]}
    want = {"updated_at": after["now"], "created_at": OLD}
    evidence.have_want(have, want)
    evidence.tally("UPDATEs that moved updated_at only", have == want, 1)
    verdict(
        "DOD-08", [differ(f"{table}.{k} after UPDATE", "value", have[k], want[k]) for k in want]
    )
