"""DOD-05 Columns: each column's type (and length), nullability, default and primary key as
in the canonical DDL; no extra columns."""

import pytest

from fixtures.expected import load
from fixtures.verdict import differ, verdict

pytestmark = pytest.mark.dod("DOD-05")
EXPECTED = load()


@pytest.mark.parametrize("table", EXPECTED.tables)
def test_every_column_has_its_type_nullability_and_default(catalog, expected, evidence, table):
    want_cols = expected.tables[table]["columns"]
    have = {n: {k: c[k] for k in ("type", "nullable", "default")}
            for n, c in catalog.columns_of(table).items()}  # fmt: skip
    evidence.catalog("columns", have, want_cols)
    findings = []
    for name, want in want_cols.items():
        if name not in have:
            findings.append(f"{table}.{name}: have missing, want {want['type']}")
            continue
        findings += [differ(f"{table}.{name}", k, have[name][k], want[k]) for k in want]
    ok = sum(1 for n, w in want_cols.items() if have.get(n) == w)
    evidence.tally("columns as specified", ok, len(want_cols))
    verdict("DOD-05", findings)


@pytest.mark.parametrize("table", EXPECTED.tables)
def test_primary_key_is_the_canonical_one(catalog, expected, evidence, table):
    want, have = expected.tables[table]["primary_key"], catalog.primary_key(table)
    evidence.catalog("constraints", {"primary key": have}, {"primary key": want})
    evidence.tally("primary keys", have == want, 1)
    verdict("DOD-05", [differ(f"{table}", "primary key", have, want)])


@pytest.mark.parametrize("table", EXPECTED.tables)
def test_table_has_no_extra_column(catalog, expected, evidence, table):
    have, want = list(catalog.columns_of(table)), list(expected.tables[table]["columns"])
    evidence.catalog("columns", have, want)
    extra = [c for c in have if c not in want]
    verdict("DOD-05", [f"{table}: extra columns have {extra}, want none" if extra else None])
