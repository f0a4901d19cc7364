"""DOD-08 Triggers: update_updated_at_column() exists; update_users_updated_at and
update_tenants_updated_at are BEFORE UPDATE FOR EACH ROW, enabled, and call it; an UPDATE moves
updated_at to the statement time and leaves created_at alone, on both tables."""

import asyncpg
import pytest

from fixtures.catalog import ENABLED, trigger_events, trigger_level, trigger_timing
from fixtures.expected import load
from fixtures.rows import OLD, quote
from fixtures.verdict import differ, finding, verdict

pytestmark = pytest.mark.dod("DOD-08")
EXPECTED = load()


@pytest.mark.parametrize("name", EXPECTED.functions)
def test_trigger_function_exists(catalog, name):
    want = EXPECTED.functions[name]
    have = next((f for f in catalog.functions if f["name"] == name), None)
    if have is None:
        finding(
            "DOD-08",
            f"function {name}(): have missing, want {want['language']} returning {want['returns']}",
        )
    verdict("DOD-08", [differ(f"function {name}()", k, have[k], want[k]) for k in want])


@pytest.mark.parametrize("name", EXPECTED.triggers)
def test_trigger_is_before_update_for_each_row_enabled_and_calls_the_function(catalog, name):
    want = EXPECTED.triggers[name]
    have = next((t for t in catalog.triggers if t["name"] == name), None)
    if have is None:
        finding("DOD-08", f"trigger {name}: have missing, want BEFORE UPDATE ON {want['table']}")
    facts = {
        "table": have["table"],
        "timing": trigger_timing(have["type"]),
        "events": trigger_events(have["type"]),
        "level": trigger_level(have["type"]),
        "function": have["function"],
        "enabled": ENABLED[have["enabled"]],
    }
    verdict("DOD-08", [differ(f"trigger {name}", k, facts[k], want[k]) for k in want])


@pytest.mark.parametrize("table", sorted({t["table"] for t in EXPECTED.triggers.values()}))
async def test_update_moves_updated_at_and_leaves_created_at(rows, tx, table):
    row = await rows.insert(table, created_at=OLD, updated_at=OLD)
    key, pk, col = row[rows.pk(table)], quote(rows.pk(table)), rows.mutable_column(table)
    verdict("DOD-08", [differ(f"{table}.updated_at after INSERT", "value", row["updated_at"], OLD)])
    try:
        async with tx.transaction():
            await tx.execute(
                f"UPDATE {quote(table)} SET {quote(col)} = $1 WHERE {pk} = $2", rows.tag(), key
            )
    except asyncpg.PostgresError as exc:
        finding("DOD-08", f"{table}: UPDATE have error {exc.sqlstate} ({exc}), want success")
    after = await tx.fetchrow(
        f"SELECT updated_at, created_at, now()::timestamp AS now FROM {quote(table)} "
        f"WHERE {pk} = $1",
        key,
    )
    verdict(
        "DOD-08",
        [
            differ(f"{table}.updated_at after UPDATE", "value", after["updated_at"], after["now"]),
            differ(f"{table}.created_at after UPDATE", "value", after["created_at"], OLD),
        ],
    )
