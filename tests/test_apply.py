"""DOD-03 apply path: one transaction, parser-split statements, a log, all-or-nothing."""

from __future__ import annotations

import pytest
from supabase_acceptance.apply import ApplyError, apply_file, split
from supabase_acceptance.errors import HarnessError

from .conftest import SCHEMA


def test_schema_splits_into_its_statements_with_their_lines():
    statements = split(SCHEMA.read_text())
    assert len(statements) == 44
    assert (statements[0].line, statements[0].head) == (23, "CREATE TABLE IF NOT EXISTS users (")
    trig = next(s for s in statements if s.head.startswith("CREATE OR REPLACE FUNCTION"))
    assert "NEW.updated_at = NOW();" in trig.text  # the $$ body stays in one statement


def test_commented_out_blocks_are_not_statements():
    assert not any("agente_backend" in s.text for s in split(SCHEMA.read_text()))


def test_unparseable_sql_is_one_clear_error():
    with pytest.raises(HarnessError, match=r"SQL does not parse at line 2"):
        split("SELECT 1;\nSELEC oops;\n")


async def test_canonical_schema_applies_and_logs_every_statement(fresh_db, tmp_path):
    conn = await fresh_db()
    log = tmp_path / "apply.log"
    result = await apply_file(conn, SCHEMA, log)
    assert result.committed
    assert all(o.outcome == "ok" for o in result.outcomes)
    lines = log.read_text().splitlines()
    assert "44 statements, COMMITTED" in lines[0]
    assert len(lines) == 45
    assert lines[1].split()[:3] == ["1", "line", "23"]


async def test_ddl_failing_in_its_middle_leaves_no_table(fresh_db, tmp_path):
    ddl = SCHEMA.read_text()
    cut = ddl.index("CREATE TABLE IF NOT EXISTS tenants")
    broken = tmp_path / "broken.sql"
    broken.write_text(ddl[:cut] + "CREATE TABLE users (id int);\n" + ddl[cut:])
    line = ddl[:cut].count("\n") + 1
    conn = await fresh_db()
    log = tmp_path / "apply.log"
    with pytest.raises(ApplyError) as err:
        await apply_file(conn, broken, log)
    message = str(err.value)
    assert f"statement 20 (line {line}) failed: 42P07" in message
    assert 'relation "users" already exists' in message
    tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    assert tables == []
    text = log.read_text()
    assert "ROLLED BACK" in text
    assert " error " in text
    assert "not run" in text
