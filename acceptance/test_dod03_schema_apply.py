"""DOD-03 Schema apply: the canonical DDL applies in ONE transaction, every statement logged,
and a failing statement rolls back everything. Local runs apply it themselves; remote runs
verify what is deployed (DOD-04..DOD-12), so these checks are local only."""

from pathlib import Path

import pytest

from fixtures.apply import ApplyError, apply_file, split
from fixtures.client import connect

pytestmark = [pytest.mark.dod("DOD-03"), pytest.mark.local_only]


def test_canonical_ddl_applied_in_one_transaction_with_every_statement_logged(target, evidence):
    applied = target.applied
    assert applied is not None, f"DOD-03 apply: have not applied ({target.apply_error})"
    statements = split(applied.path.read_text())
    assert applied.committed, (
        f"DOD-03 apply: have rolled back ({target.apply_error}), want committed"
    )
    assert [o.statement for o in applied.outcomes] == statements
    bad = [o for o in applied.outcomes if o.outcome != "ok"]
    assert not bad, (
        f"DOD-03 apply: statements not ok: {[(o.statement.number, o.message) for o in bad]}"
    )
    logged = [ln for ln in applied.log_path.read_text().splitlines() if not ln.startswith("#")]
    evidence.facts("apply log", {"file": applied.log_path.name, "statements": len(logged)})
    evidence.key(f"{len(statements)} statements, one transaction, committed")
    assert len(logged) == len(statements), (
        f"DOD-03 {applied.log_path.name}: lines have {len(logged)}, want {len(statements)}"
    )


async def test_a_failing_statement_rolls_back_everything(target, harness_config, tmp_path):
    """The canonical DDL with a failing statement in its middle leaves no table behind."""
    ddl = harness_config.schema_file.read_text()
    cut = ddl.index("CREATE TABLE IF NOT EXISTS tenants")
    broken = tmp_path / "broken.sql"
    broken.write_text(ddl[:cut] + "SELECT 1/0;\n" + ddl[cut:])
    server = target.server
    admin = await connect(server.dsn(), timeout=harness_config.connect_timeout)
    await admin.execute('DROP DATABASE IF EXISTS "dod03_scratch"')
    await admin.execute('CREATE DATABASE "dod03_scratch"')
    try:
        conn = await connect(server.dsn("dod03_scratch"))
        try:
            with pytest.raises(ApplyError, match=r"statement \d+ \(line \d+\) failed: 22012"):
                await apply_file(conn, broken, Path(tmp_path / "apply.log"))
            left = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            assert not left, f"DOD-03 rollback: tables have {[r[0] for r in left]}, want none"
        finally:
            await conn.close()
    finally:
        await admin.execute('DROP DATABASE IF EXISTS "dod03_scratch"')
        await admin.close()
