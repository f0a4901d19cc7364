"""DOD-07 Foreign keys with cascade: declared ON DELETE CASCADE in the catalog AND shown by
behaviour: deleting a parent removes its children and spares other rows; an orphan fails
with 23503. Writes happen in a transaction that is rolled back."""

import asyncpg
import pytest

from fixtures.catalog import ON_DELETE
from fixtures.expected import load
from fixtures.rows import quote
from fixtures.verdict import differ, finding, verdict

pytestmark = pytest.mark.dod("DOD-07")
FKS = {f"{f['table']}.{f['columns'][0]}->{f['ref_table']}": f for f in load().foreign_keys}


@pytest.mark.parametrize("fk", FKS)
def test_foreign_key_is_declared_on_delete_cascade(catalog, fk):
    want = FKS[fk]
    have = [
        c
        for c in catalog.constraints
        if c["type"] == "f" and c["table"] == want["table"] and c["columns"] == want["columns"]
    ]
    if not have:
        finding(
            "DOD-07",
            f"foreign key {fk}: have none, want -> "
            f"{want['ref_table']}({', '.join(want['ref_columns'])}) ON DELETE CASCADE",
        )
    con = have[0]
    verdict(
        "DOD-07",
        [
            differ(
                f"foreign key {fk}",
                "target",
                (con["ref_table"], con["ref_columns"]),
                (want["ref_table"], want["ref_columns"]),
            ),
            differ(
                f"foreign key {fk}", "ON DELETE", ON_DELETE[con["on_delete"]], want["on_delete"]
            ),
            differ(f"foreign key {fk}", "validated", con["validated"], True),
        ],
    )


@pytest.mark.parametrize("fk", FKS)
async def test_deleting_a_parent_removes_its_children_and_spares_other_rows(rows, tx, fk):
    f = FKS[fk]
    col, ref = f["columns"][0], f["ref_columns"][0]
    parent, other_parent = await rows.insert(f["ref_table"]), await rows.insert(f["ref_table"])
    child = await rows.insert(f["table"], **{col: parent[ref]})
    other_child = await rows.insert(f["table"], **{col: other_parent[ref]})
    try:
        async with tx.transaction():
            await tx.execute(
                f"DELETE FROM {quote(f['ref_table'])} WHERE {quote(ref)} = $1", parent[ref]
            )
    except asyncpg.PostgresError as exc:
        finding(
            "DOD-07",
            f"{fk}: deleting a parent have error {exc.sqlstate} ({exc}), "
            "want its children deleted with it (ON DELETE CASCADE)",
        )
    table = f["table"]
    verdict(
        "DOD-07",
        [
            differ(
                f"{fk} child of the deleted parent",
                "row",
                "kept" if await rows.get(table, child[rows.pk(table)]) else "deleted",
                "deleted",
            ),
            differ(
                f"{fk} child of another parent",
                "row",
                "kept" if await rows.get(table, other_child[rows.pk(table)]) else "deleted",
                "kept",
            ),
            differ(
                f"{fk} other parent",
                "row",
                "kept"
                if await rows.get(f["ref_table"], other_parent[rows.pk(f["ref_table"])])
                else "deleted",
                "kept",
            ),
        ],
    )


@pytest.mark.parametrize("fk", FKS)
async def test_inserting_an_orphan_fails_with_23503(rows, tx, fk):
    f = FKS[fk]
    col = f["columns"][0]
    missing = await rows.absent_key(f["ref_table"], f["ref_columns"][0])
    try:
        async with tx.transaction():
            await rows.insert(f["table"], **{col: missing})
    except asyncpg.PostgresError as exc:
        verdict("DOD-07", [differ(f"{fk} orphan insert", "SQLSTATE", exc.sqlstate, "23503")])
        return
    finding("DOD-07", f"{fk}: orphan insert ({col}={missing!r}) have accepted, want 23503")
