"""schema.sql applied to an empty database yields exactly what expected.yaml says."""

from __future__ import annotations

from fixtures.apply import apply_file
from fixtures.catalog import snapshot
from fixtures.expected import EXPECTED_FILE, load, render

from .conftest import SCHEMA


async def test_schema_sql_yields_exactly_expected_yaml(fresh_db):
    conn = await fresh_db()
    await apply_file(conn, SCHEMA)
    rendered, want = render(await snapshot(conn)), load(EXPECTED_FILE).state()
    for section in want:
        assert rendered[section] == want[section], f"expected.yaml section {section} drifted"


async def test_an_empty_database_does_not_match(fresh_db):
    """The agreement test can fail: an empty catalog renders to nothing of the expected."""
    rendered = render(await snapshot(await fresh_db()))
    assert rendered["tables"] == {} != load(EXPECTED_FILE).state()["tables"]


def test_forbidden_tables_are_not_canonical_tables():
    exp = load(EXPECTED_FILE)
    assert exp.forbidden_tables
    assert not set(exp.forbidden_tables) & set(exp.tables)
