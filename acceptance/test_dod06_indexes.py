"""DOD-06 Named indexes: every idx_* index exists under its exact name, on its table and
columns, same access method, not partial; the implicit unique / primary key indexes exist."""

import pytest

from fixtures.expected import load
from fixtures.verdict import differ, verdict

pytestmark = pytest.mark.dod("DOD-06")
EXPECTED = load()
NAMED = {n: i for n, i in EXPECTED.indexes.items() if not i["implicit"]}
IMPLICIT = {n: i for n, i in EXPECTED.indexes.items() if i["implicit"]}
SHAPE = ("table", "columns", "method", "unique", "partial")


@pytest.mark.parametrize("name", NAMED)
def test_named_index_exists_on_its_table_columns_and_method(catalog, evidence, name):
    want, have = NAMED[name], catalog.index(name)
    evidence.catalog("indexes", have, want)
    evidence.tally(
        "named indexes as specified", bool(have) and all(have[k] == want[k] for k in SHAPE), 1
    )
    if have is None:
        on = f"{want['table']}({', '.join(want['columns'])})"
        verdict("DOD-06", [f"index {name}: have missing, want {want['method']} on {on}"])
    verdict(
        "DOD-06",
        [differ(f"index {name}", k, have[k], want[k]) for k in SHAPE]
        + [differ(f"index {name}", "expression", have["expression"], False)],
    )


@pytest.mark.parametrize("name", IMPLICIT)
def test_implicit_unique_or_primary_key_index_exists(catalog, evidence, name):
    """Matched by definition: the name of an implicit index is generated, not chosen."""
    want = IMPLICIT[name]
    same = [i for i in catalog.indexes if all(i[k] == want[k] for k in SHAPE)]
    evidence.catalog("indexes", same, want)
    evidence.tally("implicit unique/PK indexes", bool(same), 1)
    on = f"{want['table']}({', '.join(want['columns'])})"
    verdict(
        "DOD-06",
        [None if same else f"unique index on {on}: have none, want {want['method']} (as {name})"],
    )
