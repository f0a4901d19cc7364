"""Failing cases that are not schema defects (tests/test_mutants.py has those): no connection,
an old server, a DDL that fails or does not parse, latency over budget; and no false alarm on
the canonical schema. Each case runs the real acceptance suite in a subprocess."""

from __future__ import annotations

import re

import pytest

from .conftest import SCHEMA

EXPECTED = SCHEMA.parent / "expected.yaml"
MODULES = {
    f"DOD-{p.name[8:10]}": p.name
    for p in (SCHEMA.parent.parent / "acceptance").glob("test_dod*.py")
}


def failed_items(result: pytest.RunResult) -> set[str]:
    """DoD items of the failed tests, read from the run's short summary."""
    files = re.findall(r"^(?:FAILED|ERROR) \S*?(test_dod(\d\d)_\w+\.py)", result.stdout.str(), re.M)
    return {f"DOD-{num}" for _, num in files}


def test_every_checked_item_has_a_module():
    want = [f"DOD-{n:02d}" for n in range(1, 16)]
    assert sorted(MODULES) == want


@pytest.mark.parametrize("supabase_like", ["no", "yes"])
def test_canonical_schema_passes_the_whole_suite(run_acceptance, supabase_like):
    """No false alarm, also beside Supabase's own schemas and roles (auth.users and friends)."""
    result = run_acceptance("-m", "local", "--supabase-like", supabase_like)
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0
    assert outcomes["passed"] >= 105


def test_dod01_fails_when_the_url_does_not_connect(run_acceptance):
    url = "postgresql://postgres:s3cret-pw@127.0.0.1:9/postgres"
    result = run_acceptance("-m", "supabase", "--database-url", url, "--connect-timeout", "2",
                            modules=("test_dod01_connectivity.py",))  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: DOD-01 connectivity: nothing listens on 127.0.0.1:9*"])
    assert "s3cret-pw" not in result.stdout.str() + result.stderr.str()


def test_dod01_fails_when_the_server_is_older_than_the_dod_accepts(run_acceptance, tmp_path):
    exp = tmp_path / "expected.yaml"
    exp.write_text(
        EXPECTED.read_text().replace("server: {min_version: 14}", "server: {min_version: 99}")
    )
    result = run_acceptance("-m", "local", "--expected-file", str(exp),
                            modules=("test_dod01_connectivity.py",))  # fmt: skip
    result.assert_outcomes(passed=2, failed=1, deselected=3)
    result.stdout.fnmatch_lines(["*DOD-01 server: version have 1*, want >= 99*"])


def test_dod03_fails_when_the_ddl_fails(run_acceptance, tmp_path):
    broken = tmp_path / "broken.sql"
    broken.write_text(
        SCHEMA.read_text().replace(
            "CREATE INDEX idx_lock_audit_lock_key ON lock_audit(lock_key)",
            "CREATE INDEX idx_lock_audit_lock_key ON lock_audit(lock_name)",
        )
    )
    result = run_acceptance(
        "-m", "local", "--schema-file", str(broken), modules=("test_dod03_schema_apply.py",)
    )
    assert failed_items(result) == {"DOD-03"}
    result.stdout.fnmatch_lines(
        [
            "*DOD-03 apply: have rolled back (broken.sql: statement 33 "
            "(line 177) failed: 42703*lock_name*"
        ]
    )


def test_dod03_reports_a_ddl_that_does_not_parse(run_acceptance, tmp_path):
    broken = tmp_path / "broken.sql"
    broken.write_text(SCHEMA.read_text().replace("lock_key VARCHAR(255)", "lock_key VARCHAR(x)"))
    result = run_acceptance(
        "-m", "local", "--schema-file", str(broken), modules=("test_dod03_schema_apply.py",)
    )
    result.stdout.fnmatch_lines(
        ["*DOD-03 apply: have not applied (SQL does not parse at line 171*"]
    )


def test_dod11_fails_when_p95_exceeds_the_budget(run_acceptance):
    result = run_acceptance(
        "-m", "local", "--latency-budget-ms", "0.001", modules=("test_dod11_latency.py",)
    )
    result.assert_outcomes(failed=2, deselected=2)
    result.stdout.fnmatch_lines(["*DOD-11 single connection: p95 have * ms, want < 0.001 ms*"])


def test_remote_mode_without_url_is_a_usage_error_not_a_green_run(run_acceptance, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = run_acceptance("-m", "supabase")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: DATABASE_URL is not set: *pytest -m local*"])
    assert "passed" not in result.stdout.str()
