"""DOD-05 Columns: each column's type (and length), nullability, default and primary key as
in the canonical DDL; no extra columns."""

import pytest

from fixtures.expected import load
from fixtures.verdict import differ, verdict

pytestmark = pytest.mark.dod("DOD-05")
EXPECTED = load()


@pytest.mark.parametrize("table", EXPECTED.tables)
def test_every_column_has_its_type_nullability_and_default(catalog, expected, table):
    have = catalog.columns_of(table)
    if not have:
        verdict("DOD-05", [f"table {table}: no columns (table missing from public)"])
    findings = []
    for name, want in expected.tables[table]["columns"].items():
        col = have.get(name)
        if col is None:
            findings.append(f"{table}.{name}: have missing, want {want['type']}")
            continue
        findings += [differ(f"{table}.{name}", k, col[k], want[k]) for k in want]
    verdict("DOD-05", findings)


@pytest.mark.parametrize("table", EXPECTED.tables)
def test_primary_key_is_the_canonical_one(catalog, expected, table):
    want = expected.tables[table]["primary_key"]
    verdict("DOD-05", [differ(f"{table}", "primary key", catalog.primary_key(table), want)])


@pytest.mark.parametrize("table", EXPECTED.tables)
def test_table_has_no_extra_column(catalog, expected, table):
    extra = [c for c in catalog.columns_of(table) if c not in expected.tables[table]["columns"]]
    verdict("DOD-05", [f"{table}: extra columns have {extra}, want none" if extra else None])
