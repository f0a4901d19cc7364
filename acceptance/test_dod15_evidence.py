"""Evidence: a report a reviewer can sign — per item pass/fail with its proof, the environment,
the date — plus the apply log and the output of the seeds' own validation queries (the SELECTs
at the end of schema.sql), kept next to the report."""

import asyncpg
import pytest
from supabase_acceptance.asserts import finding
from supabase_acceptance.config import HarnessConfig
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.reads import validation_queries
from supabase_acceptance.target import Target

pytestmark = pytest.mark.dod("DOD-15")


def test_the_seeds_validation_queries_run_and_their_output_is_kept(
    db: asyncpg.Connection,
    target: Target,
    harness_config: HarnessConfig,
    expected: Expected,
    evidence: Evidence,
) -> None:
    """Kept, and read: the output must show every table and named index of the DDL (the
    seeds run these queries to verify the deployment, not just to print something)."""
    queries = validation_queries(harness_config.schema_file)
    if not queries:
        finding(evidence, "schema.sql: validation queries have none, want the seeds' SELECTs")
    results = target.reads["validation"]  # read with the session's first round trip
    out = []
    for q, rows in zip(queries, results, strict=True):
        out.append(f"-- statement {q.number} (line {q.line}): {len(rows)} rows\n{q.text.strip()}")
        out += [" | ".join(str(v) for v in r.values()) for r in rows]
        if not rows:
            finding(evidence, f"validation query at line {q.line}: rows have 0, want some")
    path = evidence.file("validation", "txt", "\n".join(out) + "\n")
    shown = {cell for line in out for cell in line.split(" | ")}
    want = [*expected.tables, *(k for k in expected.indexes if not k.startswith("index of"))]
    unseen = [name for name in want if name not in shown]
    evidence.facts("objects of the DDL in the validation output", {"missing": unseen})
    if not want:
        finding(evidence, "expected.yaml: tables have none, want the DDL's")
    if unseen:
        finding(evidence, f"validation output: have no row for {unseen}, want every one")
    evidence.key(f"validation output: {len(queries)} queries" + (f" ({path.name})" if path else ""))


def test_the_apply_log_is_kept_next_to_the_report(target: Target, evidence: Evidence) -> None:
    if target.mode != "local":
        pytest.skip("remote runs do not apply the schema (make supabase-apply-schema logs it)")
    log = target.applied.log_path if target.applied else None
    if log is None:
        finding(evidence, f"apply log: have none ({target.apply_error})")
    if not log.is_file():
        finding(evidence, f"apply log: {log} have missing, want a file")
    evidence.facts("apply log", {"file": str(log.name), "lines": len(log.read_text().splitlines())})
    evidence.key(f"apply log {log.name}")
