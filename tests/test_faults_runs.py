"""An honest exit status and honest files: the exit status is the sign-off, the mode comes from
the items selected, a preflight failure writes no report, report directory problems are one
line before any test, names never collide, and killed runs' temporary files do not pile up."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from supabase_acceptance.cli import _unique_log
from supabase_acceptance.provision import workspace
from supabase_acceptance.provision.workspace import sweep
from supabase_acceptance.report.signoff import EXIT

from ._services import closed_port
from .conftest import IMAGE, PATHS, ROOT, start_acceptance, suite_args


def _summary(reports: Path, profile: str = "local") -> dict:
    return json.loads((reports / f"latest-{profile}.json").read_text())


def test_a_partial_selection_exits_partial_not_0(run_acceptance, pytester):
    result = run_acceptance("-m", "local", modules=("test_dod01_connectivity.py",))
    assert result.ret == EXIT["PARTIAL"], result.stdout.str()[-2000:]
    assert _summary(pytester.path / "reports")["status"] == "PARTIAL"


def test_the_mode_comes_from_the_items_not_the_m_text(run_acceptance, pytester):
    """`-m "not supabase"` runs the local bodies: it writes the local report."""
    result = run_acceptance("-m", "not supabase", modules=("test_dod01_connectivity.py",))
    assert result.ret == EXIT["PARTIAL"], result.stdout.str()[-2000:]
    assert _summary(pytester.path / "reports")["mode"] == "local"


def test_an_acceptance_test_without_a_dod_marker_is_a_collection_error(pytester):
    pytester.makepyfile(test_orphan="async def test_orphan(db):\n    assert True\n")
    result = pytester.runpytest_subprocess(
        *suite_args(
            *("-p", "supabase_acceptance.plugin", "-p", "supabase_acceptance.fixtures"),
            *("-m", "local", "--report-dir", str(pytester.path / "reports")),
            str(pytester.path / "test_orphan.py"),
        ),
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: *test_orphan*needs exactly one of*dod*advisory*"])
    assert not list((pytester.path / "reports").glob("acceptance-*"))


def test_a_preflight_failure_writes_no_report_and_keeps_latest(run_acceptance, pytester):
    reports = pytester.path / "reports"
    reports.mkdir()
    (reports / "acceptance-staging-old.json").write_text('{"status": "SUCCESS"}')
    (reports / "latest-staging.json").symlink_to("acceptance-staging-old.json")
    before = sorted(p.name for p in reports.iterdir())
    url = f"postgresql://u:p4ssw0rd-x@127.0.0.1:{closed_port()}/db?sslmode=require"
    result = run_acceptance("-m", "supabase", "--database-url", url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert sorted(p.name for p in reports.iterdir()) == before
    assert os.readlink(reports / "latest-staging.json") == "acceptance-staging-old.json"


@pytest.fixture
def read_only_dir(tmp_path: Path):
    ro = tmp_path / "ro"
    ro.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)], capture_output=True
    )
    if done.returncode != 0:
        ro.chmod(0o500)  # not root: a directory we may not write to
        if os.access(ro, os.W_OK):
            pytest.skip("cannot make a read-only directory here")
    yield ro
    if done.returncode == 0:
        subprocess.run(["umount", str(ro)], check=True)


@pytest.mark.parametrize("where", ["read-only", "read-only/missing/sub", "/proc", "/proc/x/y"])
def test_a_report_dir_problem_is_one_line_before_any_test(where, read_only_dir, pytester):
    path = str(read_only_dir / where.partition("/")[2]) if where.startswith("read") else where
    t0 = time.monotonic()
    result = pytester.runpytest_subprocess(
        *suite_args("-m", "local", "--report-dir", path, str(ROOT / "acceptance"))
    )
    elapsed = time.monotonic() - t0
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --report-dir {path}: cannot write reports there (*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert "passed" not in result.stdout.str()
    assert elapsed < 10


def test_report_dir_outside_the_repo_in_the_space_form(tmp_path):
    out = tmp_path / "evidence"
    out.mkdir()
    space_form = ["--report-dir", str(out)]  # not --report-dir=...
    cmd = [sys.executable, "-m", "pytest", "-m", "local", "-q", *space_form]
    done = subprocess.run(
        [*cmd, "--pg-image", IMAGE, "-k", "dod01"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "unrecognized arguments" not in done.stderr
    assert done.returncode == EXIT["PARTIAL"], done.stdout[-2000:] + done.stderr[-2000:]
    assert (out / "latest-local.json").exists()


def test_log_and_report_names_never_collide():
    logs = [_unique_log(PATHS, "apply", "faults-test") for _ in range(3)]  # same second
    try:
        assert len(set(logs)) == 3
        assert all(p.exists() for p in logs)  # reserved at once (O_EXCL)
    finally:
        for p in logs:
            p.unlink(missing_ok=True)


def test_ctrl_c_is_interrupted_naming_the_running_test(tmp_path):
    proc = start_acceptance(
        "-v", "-m", "local", "--report-dir", str(tmp_path), str(ROOT / "acceptance")
    )
    for line in proc.stdout:
        if "test_dod05_columns.py::" in line:
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=60)
    assert proc.returncode == EXIT["INTERRUPTED"]
    summary = _summary(tmp_path)
    assert summary["status"] == "INTERRUPTED"
    assert summary["interrupted"].startswith("stopped by the user (Ctrl-C) during acceptance/")


def _leftovers(owner: int | None = None) -> set[Path]:
    """Private temporary directories (of `owner` only, when given: other runs may be going)."""
    found = set()
    for p in workspace.base_dir().glob("harness-pg*-*"):  # the RAM disk, else $TMPDIR
        with contextlib.suppress(OSError):
            pid = int((p / "harness.owner").read_text().split()[0])
            if owner is None or pid == owner:
                found.add(p)
    return found


def test_a_sigkilled_runs_temporary_files_are_removed_by_the_next_run(tmp_path):
    before, mine = _leftovers(), set()
    proc = start_acceptance(
        "-v", "-m", "local", "--report-dir", str(tmp_path), str(ROOT / "acceptance")
    )
    for line in proc.stdout:
        if "test_dod04_tables.py::" in line:
            mine = _leftovers(proc.pid) - before
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(30)
    assert mine, "the run had a private temporary directory"
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in mine if p.name[10:13] != "bin")
    deadline = time.monotonic() + 15  # the postmaster follows its parent (PR_SET_PDEATHSIG)
    while (
        any((p / "data" / "postmaster.pid").exists() for p in mine) and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert all(p.exists() for p in mine), "SIGKILL leaves them (nothing can run on SIGKILL)"
    alive = workspace.base_dir() / "harness-pg-alive-test"
    alive.mkdir(exist_ok=True)
    (alive / "harness.owner").write_text(f"{os.getpid()} {_start(os.getpid())}")
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                *suite_args(
                    "-q",
                    "-m",
                    "local",
                    "--report-dir",
                    str(tmp_path),
                    "-k",
                    "dod01",
                    str(ROOT / "acceptance"),
                ),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == EXIT["PARTIAL"], done.stdout[-2000:]
        assert not [p for p in mine if p.exists()]
        assert alive.exists(), "a live owner's directory is kept"
        assert alive not in sweep(alive.parent)
    finally:
        subprocess.run(["rm", "-rf", str(alive)], check=True)


def _start(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
