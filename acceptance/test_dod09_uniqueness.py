"""DOD-09 Uniqueness: users.username, users.email, user_sessions.token_jti, tenants.tenant_id,
tenant_user_identifiers.identifier (alone, not per tenant) are declared unique AND a duplicate
insert fails with 23505."""

import pytest

from fixtures.expected import load
from fixtures.verdict import finding, rejected

pytestmark = pytest.mark.dod("DOD-09")
UNIQUES = {f"{u['table']}.{'+'.join(u['columns'])}": u for u in load().unique_constraints}


@pytest.mark.parametrize("key", UNIQUES)
def test_unique_constraint_is_declared_on_exactly_its_columns(catalog, evidence, key):
    want = UNIQUES[key]
    on_table = [c for c in catalog.constraints if c["table"] == want["table"] and c["type"] == "u"]
    have = [f"{c['name']}({', '.join(c['columns'])})" for c in on_table]
    evidence.catalog("constraints", {"unique constraints on the table": have},
                     {"unique on": want["columns"]})  # fmt: skip
    ok = any(c["columns"] == want["columns"] for c in on_table)
    evidence.tally("unique constraints declared", ok, 1)
    if not ok:
        finding("DOD-09", f"unique {key}: have {have or 'none'}, "
                f"want UNIQUE ({', '.join(want['columns'])})")  # fmt: skip


@pytest.mark.parametrize("key", UNIQUES)
async def test_duplicate_insert_fails_with_23505(rows, tx, evidence, key):
    """The duplicate differs in every other column, including its parent row (another tenant)."""
    want = UNIQUES[key]
    first = await rows.insert(want["table"])
    dup = {c: first[c] for c in want["columns"]}
    label = f"duplicate {key} {dup} (other columns differ)"
    await rejected(evidence, "DOD-09", label, tx, lambda: rows.insert(want["table"], **dup),
                   "23505", tally="duplicates rejected (23505)")  # fmt: skip
