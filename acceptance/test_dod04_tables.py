"""DOD-04 Six tables: public holds exactly the six tables; no out-of-scope table exists."""

import pytest

from fixtures.expected import load
from fixtures.verdict import verdict

pytestmark = pytest.mark.dod("DOD-04")
EXPECTED = load()


@pytest.mark.parametrize("table", EXPECTED.tables)
def test_canonical_table_exists_in_public(catalog, evidence, table):
    schemas = catalog.schemas_of(table)
    evidence.catalog("tables", {"schemas holding it": schemas}, {"schema": "public"})
    evidence.tally("tables in public", "public" in schemas, 1)
    if "public" in schemas:
        return
    where = f"found in schema {', '.join(schemas)}" if schemas else "absent"
    verdict("DOD-04", [f"table {table}: have {where}, want in public"])


def test_public_holds_no_extra_table(catalog, expected, evidence):
    have = catalog.public_tables()
    evidence.catalog("tables", have, sorted(expected.tables))
    extra = sorted(set(have) - set(expected.tables))
    verdict("DOD-04", [f"public: extra tables have {extra}, want none" if extra else None])


def test_no_out_of_scope_table_exists(catalog, expected, evidence):
    there = sorted(set(catalog.public_tables()) & set(expected.forbidden_tables))
    evidence.catalog(
        "tables", {"out-of-scope present": there}, {"none of": expected.forbidden_tables}
    )
    verdict("DOD-04", [f"public: out-of-scope tables have {there}, want none" if there else None])
