"""Failing cases that are not schema defects (tests/test_mutants.py has those): no connection,
an old server, a DDL that fails or does not parse, latency over budget; no false alarm on the
canonical schema; and every failure named by the item of its test's marker, never by a
literal. Each case runs the real acceptance suite in a subprocess."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import SCHEMA

EXPECTED = SCHEMA.parent / "expected.yaml"
ACCEPTANCE = SCHEMA.parent.parent / "acceptance"
MODULES = {f"DOD-{p.name[8:10]}": p.name for p in ACCEPTANCE.glob("test_dod*.py")}
MARKER = re.compile(r'pytestmark = pytest\.mark\.dod\("(DOD-\d\d)"\)')
Run = Callable[..., pytest.RunResult]


def failed_items(result: pytest.RunResult) -> set[str]:
    """DoD items of the failed tests, read from the run's short summary."""
    files = re.findall(r"^(?:FAILED|ERROR) \S*?(test_dod(\d\d)_\w+\.py)", result.stdout.str(), re.M)
    return {f"DOD-{num}" for _, num in files}


def test_every_checked_item_has_a_module() -> None:
    want = [f"DOD-{n:02d}" for n in range(1, 16)]
    assert sorted(MODULES) == want


def test_the_item_of_a_check_is_written_in_its_marker_only() -> None:
    """`grep -n "DOD-" acceptance/*.py` shows the `pytestmark` lines and nothing else: messages
    take the item from the marker (verdict.py), so a literal could only disagree with it."""
    stray: list[str] = []
    marked: dict[str, list[str]] = {}
    for path in sorted(ACCEPTANCE.glob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            found = MARKER.fullmatch(line)
            if found:
                marked.setdefault(path.name, []).append(found.group(1))
            elif "DOD-" in line:
                stray.append(f"{path.name}:{number}: {line.strip()}")
    assert not stray, "an item written outside the marker:\n" + "\n".join(stray)
    assert marked == {name: [item] for item, name in MODULES.items()}


# One copy of the DDL that breaks most items at once (statements appended, one more sample
# row a second load duplicates), with an expectation of a newer server and a latency budget no
# server meets: every check that fails must say so under the item of its module's marker.
BREAKS = """
ALTER TABLE users ALTER COLUMN email TYPE TEXT;
ALTER TABLE user_sessions DROP CONSTRAINT user_sessions_token_jti_key;
ALTER TABLE password_history DROP CONSTRAINT password_history_user_id_fkey;
ALTER TABLE password_history ADD FOREIGN KEY (user_id) REFERENCES users(id);
DROP INDEX idx_lock_audit_event_type;
DROP TRIGGER update_tenants_updated_at ON tenants;
COMMENT ON TABLE lock_audit IS NULL;
CREATE TABLE extra_table (id INTEGER PRIMARY KEY);
CREATE RULE keep_audit AS ON DELETE TO lock_audit DO INSTEAD NOTHING;
"""
SAMPLE_END = "ON CONFLICT (id) DO NOTHING;\n*/"
SAMPLE_AGAIN = "\nINSERT INTO lock_audit (lock_key, event_type) VALUES ('demo', 'acquired');\n*/"
BROKEN_ITEMS = {f"DOD-{n:02d}" for n in (1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14)}


def test_every_failure_names_the_item_of_its_marker(
    run_acceptance: Run, pytester: pytest.Pytester, tmp_path: Path
) -> None:
    ddl = SCHEMA.read_text()
    assert SAMPLE_END in ddl
    broken = tmp_path / "broken.sql"
    broken.write_text(ddl.replace(SAMPLE_END, SAMPLE_END[:-3] + SAMPLE_AGAIN) + BREAKS)
    exp = tmp_path / "expected.yaml"
    exp.write_text(
        EXPECTED.read_text().replace("server: {min_version: 14}", "server: {min_version: 99}")
    )
    options = {"--schema-file": broken, "--expected-file": exp, "--latency-budget-ms": 0.001}
    result = run_acceptance("-m", "local", *(str(v) for pair in options.items() for v in pair))
    assert result.ret == 1, result.stdout.str()[-3000:]
    summary = json.loads((pytester.path / "reports" / "latest-local.json").read_text())
    failed = [t for t in summary["tests"] if t["outcome"] in ("failed", "error")]
    wrong = []
    for t in failed:
        module = re.search(r"test_dod(\d\d)_", t["nodeid"])
        marker = f"DOD-{module.group(1)}" if module else "no module of an item"
        if t["item"] != marker or not t["message"].startswith(t["item"]):
            wrong.append(f"{t['nodeid']} (marker {t['item']}): {t['message'][:300]}")
    assert not wrong, "\n".join(wrong)
    assert {t["item"] for t in failed} >= BROKEN_ITEMS, sorted({t["item"] for t in failed})


@pytest.mark.parametrize("supabase_like", ["no", "yes"])
def test_canonical_schema_passes_the_whole_suite(run_acceptance: Run, supabase_like: str) -> None:
    """No false alarm, also beside Supabase's own schemas and roles (auth.users and friends)."""
    result = run_acceptance("-m", "local", "--supabase-like", supabase_like)
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0
    assert outcomes["passed"] >= 105


def test_dod01_fails_when_the_url_does_not_connect(run_acceptance: Run) -> None:
    url = "postgresql://postgres:s3cret-pw@127.0.0.1:9/postgres"
    result = run_acceptance(
        *("-m", "supabase", "--database-url", url, "--connect-timeout", "2"),
        modules=("test_dod01_connectivity.py",),
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: DOD-01 connectivity: nothing listens on 127.0.0.1:9*"])
    assert "s3cret-pw" not in result.stdout.str() + result.stderr.str()


def test_dod01_fails_when_the_server_is_older_than_the_dod_accepts(
    run_acceptance: Run, tmp_path: Path
) -> None:
    exp = tmp_path / "expected.yaml"
    exp.write_text(
        EXPECTED.read_text().replace("server: {min_version: 14}", "server: {min_version: 99}")
    )
    result = run_acceptance(
        "-m", "local", "--expected-file", str(exp), modules=("test_dod01_connectivity.py",)
    )
    result.assert_outcomes(passed=2, failed=1, deselected=3)
    result.stdout.fnmatch_lines(["*DOD-01 server: version have 1*, want >= 99*"])


def test_dod03_fails_when_the_ddl_fails(run_acceptance: Run, tmp_path: Path) -> None:
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


def test_dod03_reports_a_ddl_that_does_not_parse(run_acceptance: Run, tmp_path: Path) -> None:
    broken = tmp_path / "broken.sql"
    broken.write_text(SCHEMA.read_text().replace("lock_key VARCHAR(255)", "lock_key VARCHAR(x)"))
    result = run_acceptance(
        "-m", "local", "--schema-file", str(broken), modules=("test_dod03_schema_apply.py",)
    )
    result.stdout.fnmatch_lines(
        ["*DOD-03 apply: have not applied (SQL does not parse at line 171*"]
    )


def test_dod11_fails_when_p95_exceeds_the_budget(run_acceptance: Run) -> None:
    result = run_acceptance(
        "-m", "local", "--latency-budget-ms", "0.001", modules=("test_dod11_latency.py",)
    )
    result.assert_outcomes(failed=2, deselected=2)
    result.stdout.fnmatch_lines(["*DOD-11 single connection: p95 have * ms, want < 0.001 ms*"])


def test_remote_mode_without_url_is_a_usage_error_not_a_green_run(
    run_acceptance: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = run_acceptance("-m", "supabase")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: DATABASE_URL is not set: *pytest -m local*"])
    assert "passed" not in result.stdout.str()


def test_a_url_option_only_one_client_reads_is_one_usage_line(
    staging: Any, run_acceptance: Run
) -> None:
    """A URL the session's client (asyncpg) takes but libpq, the samples' client, refuses
    (`search_path=`): refused before any test with one line naming the option (it used to
    surface as a DOD-11 finding once the samples' login failed); password masked."""
    url = staging.server.dsn(staging.database) + "?search_path=public"  # asyncpg-only option
    result = run_acceptance(
        *("-m", "supabase", "--database-url", url), modules=("test_dod11_latency.py",)
    )
    assert result.ret == 4, result.stdout.str()[-2000:]
    result.stderr.fnmatch_lines(["*DATABASE_URL option 'search_path'*"])
    assert staging.server.password not in result.stdout.str() + result.stderr.str()
    assert staging.server.password not in result.stdout.str() + result.stderr.str()
