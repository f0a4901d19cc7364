"""Schema apply: the canonical DDL applies in ONE transaction, every statement logged, and a
failing statement rolls back everything. Local runs apply it themselves; remote runs verify
what is deployed (the structural items), so these checks are local only."""

from pathlib import Path

import pglast
import pytest
from supabase_acceptance import databases
from supabase_acceptance.apply import ApplyError, apply_file, split
from supabase_acceptance.asserts import finding
from supabase_acceptance.client import connect
from supabase_acceptance.config import HarnessConfig
from supabase_acceptance.errors import HarnessError
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.structure import Structure
from supabase_acceptance.target import Target

pytestmark = pytest.mark.dod("DOD-03")


@pytest.mark.local_only
def test_canonical_ddl_applied_in_one_transaction_with_every_statement_logged(
    target: Target, evidence: Evidence
) -> None:
    """The log is checked against the file's parse tree (libpg_query), not against the
    splitter the apply used: one logged line per statement, each ok."""
    applied = target.applied
    if applied is None:
        finding(evidence, f"apply: have not applied ({target.apply_error})")
    if not applied.committed:
        finding(evidence, f"apply: have rolled back ({target.apply_error}), want committed")
    log = applied.log_path
    if log is None:
        finding(evidence, "apply log: have none, want one line per statement")
    parsed = len(pglast.parse_sql(applied.path.read_text()))
    logged = [ln for ln in log.read_text().splitlines() if not ln.startswith("#")]
    bad = [ln for ln in logged if "  ok  " not in ln]
    have = {"file": log.name, "statements logged": len(logged), "not ok": bad}
    evidence.facts("have (apply log)", have)
    evidence.facts("want (parse tree of the file)", {"statements": parsed, "not ok": []})
    evidence.key(f"{parsed} statements, one transaction, committed")
    if len(logged) != parsed:
        finding(evidence, f"{log.name}: statements logged have {len(logged)}, want {parsed}")
    if bad:
        finding(evidence, f"apply: statements not ok have {bad}, want none")


def test_the_deployed_schema_is_the_whole_ddl_nothing_half_applied(
    structure: Structure, evidence: Evidence
) -> None:
    """Local and remote: every object schema.sql creates is there (a half-applied DDL, or a
    URL pointing at another database, has some or none)."""
    want = [(k, key) for k, objs in structure.expected.model.items() for key in objs]
    missing = sorted(f"{k} {key}" for k, key in want if key not in structure.live.get(k, {}))
    present = len(want) - len(missing)
    evidence.facts("have (catalog snapshot)", {"present": present, "missing": missing})
    evidence.facts("want (expected.yaml)", {"objects of the DDL present": len(want)})
    evidence.tally("objects of the DDL present", len(want) - len(missing), len(want))
    if not want:
        finding(evidence, "expected.yaml: objects have none, want the DDL's")
    if missing:
        finding(
            evidence,
            f"deployed schema: have {present} of {len(want)} objects of schema.sql (missing "
            f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}), want all (applied "
            "whole, in one transaction)",
        )


@pytest.mark.local_only
async def test_a_failing_statement_rolls_back_everything(
    target: Target, harness_config: HarnessConfig, tmp_path: Path, evidence: Evidence
) -> None:
    """The canonical DDL with a failing statement in its middle (before its middle CREATE
    TABLE, so tables were created before it) leaves no table behind."""
    ddl = harness_config.schema_file.read_text()
    try:
        creates = [s for s in split(ddl) if s.head.upper().startswith("CREATE TABLE")]
    except HarnessError as exc:
        finding(evidence, f"{harness_config.schema_file.name}: {exc}")
    if len(creates) < 2:
        name = harness_config.schema_file.name
        finding(evidence, f"{name}: CREATE TABLE statements have {len(creates)}, want 2 or more")
    cut = ddl.index(creates[len(creates) // 2].text)
    broken = tmp_path / "broken.sql"
    broken.write_text(ddl[:cut] + "SELECT 1/0;\n" + ddl[cut:])
    server = target.server
    if server is None:
        finding(evidence, "local server: have none, want the one the run provisioned")
    async with databases.scratch(server, "dod03", timeout=harness_config.connect_timeout) as db:
        conn = await connect(
            db.dsn, timeout=harness_config.connect_timeout, bounds=harness_config.bounds
        )
        try:
            with pytest.raises(ApplyError, match=r"statement \d+ \(line \d+\) failed: 22012"):
                await apply_file(conn, broken, Path(tmp_path / "apply.log"))
            left = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            if left:
                finding(evidence, f"rollback: tables have {[r[0] for r in left]}, want none")
        finally:
            await conn.close()
