"""DOD-03 Schema apply: the canonical DDL applies in ONE transaction, every statement logged,
and a failing statement rolls back everything. Local runs apply it themselves; remote runs
verify what is deployed (DOD-04..DOD-12), so these checks are local only."""

from pathlib import Path

import pglast
import pytest
from supabase_acceptance.apply import ApplyError, apply_file
from supabase_acceptance.client import connect

pytestmark = pytest.mark.dod("DOD-03")


@pytest.mark.local_only
def test_canonical_ddl_applied_in_one_transaction_with_every_statement_logged(target, evidence):
    """The log is checked against the file's parse tree (libpg_query), not against the
    splitter the apply used: one logged line per statement, each ok."""
    applied = target.applied
    assert applied is not None, f"DOD-03 apply: have not applied ({target.apply_error})"
    assert applied.committed, (
        f"DOD-03 apply: have rolled back ({target.apply_error}), want committed"
    )
    parsed = len(pglast.parse_sql(applied.path.read_text()))
    logged = [ln for ln in applied.log_path.read_text().splitlines() if not ln.startswith("#")]
    bad = [ln for ln in logged if "  ok  " not in ln]
    evidence.facts("have (apply log)", {"file": applied.log_path.name, "statements logged":
                                        len(logged), "not ok": bad})  # fmt: skip
    evidence.facts("want (parse tree of the file)", {"statements": parsed, "not ok": []})
    evidence.key(f"{parsed} statements, one transaction, committed")
    assert len(logged) == parsed, (
        f"DOD-03 {applied.log_path.name}: statements logged have {len(logged)}, want {parsed}"
    )
    assert not bad, f"DOD-03 apply: statements not ok have {bad}, want none"


def test_the_deployed_schema_is_the_whole_ddl_nothing_half_applied(structure, evidence):
    """Local and remote: every object schema.sql creates is there (a half-applied DDL, or a
    URL pointing at another database, has some or none)."""
    want = [(k, key) for k, objs in structure.expected.model.items() for key in objs]
    missing = sorted(f"{k} {key}" for k, key in want if key not in structure.live.get(k, {}))
    present = len(want) - len(missing)
    evidence.facts("have (catalog snapshot)", {"present": present, "missing": missing})
    evidence.facts("want (expected.yaml)", {"objects of the DDL present": len(want)})
    evidence.tally("objects of the DDL present", len(want) - len(missing), len(want))
    assert want, "DOD-03 expected.yaml: objects have none, want the DDL's"
    assert not missing, (
        f"DOD-03 deployed schema: have {len(want) - len(missing)} of {len(want)} objects of "
        f"schema.sql (missing {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}), "
        "want all (applied whole, in one transaction)"
    )


@pytest.mark.local_only
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
