"""DOD-07 Foreign keys with cascade: declared ON DELETE CASCADE in the catalog AND shown by
behaviour: deleting a parent removes its children and spares other rows; an orphan fails
with 23503. Writes happen in a transaction that is rolled back."""

import asyncpg
import pytest

from fixtures.catalog import ON_DELETE
from fixtures.expected import load
from fixtures.rows import quote
from fixtures.verdict import declared, differ, finding, rejected, verdict

pytestmark = pytest.mark.dod("DOD-07")
FKS = {f"{f['table']}.{f['columns'][0]}->{f['ref_table']}": f for f in load().foreign_keys}


@pytest.mark.parametrize("fk", FKS)
def test_foreign_key_is_declared_on_delete_cascade(catalog, evidence, fk):
    want = FKS[fk]
    on_cols = [c for c in catalog.constraints if c["type"] == "f"
               and c["table"] == want["table"] and c["columns"] == want["columns"]]  # fmt: skip
    have = {"target": (on_cols[0]["ref_table"], on_cols[0]["ref_columns"]),
            "on_delete": ON_DELETE[on_cols[0]["on_delete"]],
            "validated": on_cols[0]["validated"]} if on_cols else None  # fmt: skip
    expect = {"target": (want["ref_table"], want["ref_columns"]),
              "on_delete": want["on_delete"], "validated": True}  # fmt: skip
    target = f"{want['ref_table']}({', '.join(want['ref_columns'])})"
    declared(evidence, "DOD-07", "constraints", f"foreign key {fk}", have, expect,
             tally="foreign keys declared ON DELETE CASCADE",
             missing=f"-> {target} ON DELETE CASCADE")  # fmt: skip


def _kept(row) -> str:
    return "kept" if row else "deleted"


@pytest.mark.parametrize("fk", FKS)
async def test_deleting_a_parent_removes_its_children_and_spares_other_rows(rows, tx, evidence, fk):
    f = FKS[fk]
    col, ref, child_t, parent_t = f["columns"][0], f["ref_columns"][0], f["table"], f["ref_table"]
    parent, other_parent = await rows.insert(parent_t), await rows.insert(parent_t)
    child = await rows.insert(child_t, **{col: parent[ref]})
    other_child = await rows.insert(child_t, **{col: other_parent[ref]})
    try:
        async with tx.transaction():
            await rows.execute(
                f"DELETE FROM {quote(parent_t)} WHERE {quote(ref)} = $1", parent[ref]
            )
    except asyncpg.PostgresError as exc:
        evidence.tally("cascades shown by a DELETE", 0, 1)
        finding("DOD-07", f"{fk}: deleting a parent have error {exc.sqlstate} ({exc}), "
                "want its children deleted with it (ON DELETE CASCADE)")  # fmt: skip
    have = {
        "child of the deleted parent": _kept(await rows.get(child_t, child[rows.pk(child_t)])),
        "child of another parent": _kept(await rows.get(child_t, other_child[rows.pk(child_t)])),
        "other parent": _kept(await rows.get(parent_t, other_parent[rows.pk(parent_t)])),
    }
    want = {"child of the deleted parent": "deleted", "child of another parent": "kept",
            "other parent": "kept"}  # fmt: skip
    evidence.have_want(have, want)
    evidence.tally("cascades shown by a DELETE", have == want, 1)
    verdict("DOD-07", [differ(f"{fk} {k}", "row", have[k], want[k]) for k in want])


@pytest.mark.parametrize("fk", FKS)
async def test_inserting_an_orphan_fails_with_23503(rows, tx, evidence, fk):
    f = FKS[fk]
    col = f["columns"][0]
    missing = await rows.absent_key(f["ref_table"], f["ref_columns"][0])
    await rejected(evidence, "DOD-07", f"{fk} orphan insert ({col}={missing!r})", tx,
                   lambda: rows.insert(f["table"], **{col: missing}), "23503",
                   tally="orphans rejected (23503)")  # fmt: skip
