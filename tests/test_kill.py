"""No server outlives its harness: a harness killed (SIGKILL) at any instant of the start-up, or
stopped with Ctrl-C during initdb, leaves no process once the next run has provisioned (it
sweeps), and no directory.

The subject is tests/examples/provision_hold.py, which provisions as `pytest -m local` does
(initdb, postgres, then PgBouncer in front) in a private $TMPDIR. It is killed at the fork of
each program it starts (the child pauses right after the fork until its parent is gone: the
instant before the death signal is set), when each program's process appears, and after
random delays.

`python -m tests.test_kill [kills]` measures instead of asserting: for each kind of kill, how
many runs left a process or a directory before and after the next run's sweep.
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import select
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from supabase_acceptance.provision import Request, processes, provision, workspace

from .conftest import suite_args, temp_base

DRIVER = Path(__file__).parent / "examples" / "provision_hold.py"
PROGRAMS = ("initdb", "postgres", "pgbouncer")
pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")


def _private_base() -> Path:
    path = Path(tempfile.mkdtemp(prefix="harness-kill-", dir="/tmp"))
    path.chmod(0o755)  # the server's OS user must reach its directory
    return path


@pytest.fixture
def base() -> Iterator[Path]:
    path = _private_base()
    yield path
    _clean(path)


def processes_in(base: Path) -> list[psutil.Process]:
    """Live processes that name a directory under `base` on their command line or run in one
    (a postmaster's children and initdb's postgres run in the data directory)."""
    prefix = str(base) + "/"
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd", "status"]):
        if proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline, cwd = proc.info["cmdline"] or [], proc.info["cwd"] or ""
        if any(prefix in arg for arg in cmdline) or cwd.startswith(prefix):
            found.append(proc)
    return found


def dirs_in(base: Path) -> list[str]:
    return sorted(p.name for p in base.iterdir() if p.name.startswith("harness-pg"))


def _clean(base: Path) -> None:
    """Whatever a (failed) test left under its own base: its processes, then the directory."""
    for proc in processes_in(base):
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(processes_in(base), timeout=5)
    subprocess.run(["rm", "-rf", str(base)], check=False)


@dataclass
class Outcome:
    how: str
    before: list[str]  # processes and directories left once the killed run is gone
    after: list[str]  # ... once the next run has provisioned and exited


def _describe(base: Path) -> list[str]:
    procs = []
    for proc in processes_in(base):
        with contextlib.suppress(psutil.Error):
            procs.append(f"pid {proc.pid} ppid {proc.ppid()} {' '.join(proc.cmdline())[:90]}")
    return procs + dirs_in(base)


def _driver(base: Path, **env: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(DRIVER)]
    if os.environ.get("KILL_SUBJECT") == "pytest":  # the real thing (measure only)
        reports = str(base / "reports")
        command[1:] = ["-m", "pytest", *suite_args("-q", "-m", "local", "--report-dir", reports)]
    # an empty data directory cache each time (provision/datacache.py): every start runs
    # initdb, then keeps its copy, both windows to kill in
    cache = base / f"cache-{secrets.token_hex(4)}"
    return subprocess.Popen(
        command,
        env={**os.environ, "TMPDIR": str(base), "XDG_CACHE_HOME": str(cache), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )


def _kill_at_fork(base: Path, program: str) -> subprocess.Popen[bytes]:
    fifo = base / "fork.fifo"
    os.mkfifo(fifo)
    fifo.chmod(0o666)  # the child writes it after dropping to the server's OS user
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    keep = os.open(fifo, os.O_WRONLY)  # no end-of-file between writers
    try:
        driver = _driver(base, KILL_AT_FORK=program, KILL_FIFO=str(fifo))
        ready, _, _ = select.select([reader], [], [], 60)
        assert ready, f"{program} was never started"
        driver.kill()
        return driver
    finally:
        os.close(reader)
        os.close(keep)
        fifo.unlink()


def _wait_for(base: Path, program: str, driver: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and driver.poll() is None:
        for proc in processes_in(base):
            with contextlib.suppress(psutil.Error, IndexError):
                if os.path.basename(proc.cmdline()[0]) == program:
                    return
        time.sleep(0.002)
    raise AssertionError(f"no {program} appeared")


def kill(base: Path, how: str, settle: float = 0.3) -> Outcome:
    """Start the driver, stop it as `how` says, wait until it is gone and `settle` seconds
    for what its death signals do (less if nothing is left); then provision once more in
    `base` (the sweep) and exit."""
    kind, _, arg = how.partition(":")
    if kind == "fork":
        driver = _kill_at_fork(base, arg)
    else:
        driver = _driver(base)
        if kind == "delay":
            time.sleep(float(arg))
            driver.kill()
        elif kind == "appear":
            _wait_for(base, arg, driver)
            driver.kill()
        elif kind == "ctrl-c":
            _wait_for(base, arg, driver)
            os.killpg(driver.pid, signal.SIGINT)  # the whole foreground job, as a terminal does
        else:
            raise ValueError(how)
    driver.communicate(timeout=60)
    deadline = time.monotonic() + settle
    while processes_in(base) and time.monotonic() < deadline:
        time.sleep(0.05)
    before = _describe(base)
    with temp_base(base), provision(Request(backend="native")):
        pass
    return Outcome(how, before, _describe(base))


KILLS = [
    *(f"fork:{p}" for p in PROGRAMS),
    *(f"appear:{p}" for p in PROGRAMS),
    *(f"delay:{d}" for d in (0.05, 0.3, 0.6, 0.9, 1.2, 1.5)),
]


@pytest.mark.parametrize("how", KILLS)
def test_a_killed_harness_leaves_nothing_once_the_next_run_has_swept(base, how):
    outcome = kill(base, how)
    assert outcome.after == [], outcome
    if how.startswith("fork:"):  # the child saw its parent gone: it never ran
        assert [x for x in outcome.before if x.startswith("pid")] == [], outcome


@pytest.mark.parametrize("program", PROGRAMS)
def test_ctrl_c_during_a_start_leaves_nothing_even_before_the_next_run(base, program):
    """Ctrl-C (SIGINT to the foreground job) while `program` starts: the harness stops it and
    removes its directory itself."""
    outcome = kill(base, f"ctrl-c:{program}")
    assert outcome.before == [], outcome
    assert outcome.after == [], outcome


# --- the pieces: the check after the fork, the sweep's judgement of a directory ---


def test_a_child_whose_harness_is_not_its_parent_never_runs(tmp_path, monkeypatch):
    """The window between fork and prctl: the parent the child checks is not there."""
    real = os.getpid()
    monkeypatch.setattr(os, "getpid", lambda: real + 1_000_000)  # "the parent that forked"
    marker = tmp_path / "ran"
    proc = processes.start("Demo", ["touch", str(marker)], tmp_path / "demo.log")
    monkeypatch.undo()
    assert proc.popen.wait(10) == processes._NO_PARENT
    assert not marker.exists()


def test_the_server_is_the_child_itself_no_wrapper_between(tmp_base_server):
    """The death signal is set on the process that execs the server: its parent is us."""
    directory, pooler_pid = tmp_base_server
    postmaster = int((directory / "data" / "postmaster.pid").read_text().split()[0])
    assert psutil.Process(postmaster).ppid() == os.getpid()
    assert psutil.Process(pooler_pid).ppid() == os.getpid()


@pytest.fixture
def tmp_base_server() -> Iterator[tuple[Path, int]]:
    from supabase_acceptance.provision.pooler import binary, pgbouncer

    base = _private_base()
    try:
        with temp_base(base), provision(Request(backend="native")) as server:
            if binary() is None:
                pytest.skip("no pgbouncer")
            with pgbouncer(server) as pooler:
                (directory,) = [base / d for d in dirs_in(base) if (base / d / "data").is_dir()]
                yield directory, pooler.pid
    finally:
        _clean(base)


def _sleeper(*args: str, prelude: str = "") -> subprocess.Popen[bytes]:
    """A process whose command line holds `args` (it ignores them), returned once it is up:
    a signal that lands while the interpreter still starts ends it with exit 1, not by the
    signal, and the test would read a race as a defect."""
    code = f"import signal, time; {prelude}print(1, flush=True); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline()
    return proc


def _dead_owner() -> str:
    return f"{max(psutil.pids()) + 100_000}.12345"


def test_the_sweep_stops_a_dead_runs_server_and_spares_a_reused_pid(tmp_path):
    dead = tmp_path / f"harness-pg-{_dead_owner()}-abc"
    (dead / "data").mkdir(parents=True)
    server = _sleeper("-D", str(dead / "data"))  # names the directory: the dead run's
    stranger = _sleeper("-D", str(tmp_path / "elsewhere"))  # a pid reused by someone else
    (dead / "data" / "postmaster.pid").write_text(f"{server.pid}\n{dead}/data\n")
    (dead / "pgbouncer.pid").write_text(f"{stranger.pid}\n")
    try:
        assert workspace.sweep(tmp_path) == [dead]
        assert server.wait(5) == -signal.SIGINT  # Postgres' fast shutdown
        assert stranger.poll() is None, "a process that does not name the directory is kept"
        assert not dead.exists()
    finally:
        for proc in (server, stranger):
            proc.kill()
            proc.wait()


def test_the_sweep_kills_what_ignores_its_stop_signal(tmp_path):
    dead = tmp_path / f"harness-pg-{_dead_owner()}-abc"
    dead.mkdir()
    stubborn = _sleeper(str(dead / "pgbouncer.ini"), prelude="signal.signal(15, signal.SIG_IGN); ")
    (dead / "pgbouncer.pid").write_text(f"{stubborn.pid}\n")
    t0 = time.monotonic()
    processes.stop_leftovers(dead, timeout=0.5)
    assert time.monotonic() - t0 < 5
    assert stubborn.wait(5) == -signal.SIGKILL


def test_the_sweep_never_touches_a_live_owners_directory_and_waits_for_an_unowned_one(tmp_path):
    me = f"{os.getpid()}.{processes.identity(os.getpid())}"
    live = tmp_path / f"harness-pg-{me}-abc"
    live.mkdir()
    server = _sleeper(str(live / "pgbouncer.ini"))
    (live / "pgbouncer.pid").write_text(f"{server.pid}\n")
    young, old = tmp_path / "harness-pg-young", tmp_path / "harness-pg-old"
    young.mkdir()
    old.mkdir()
    past = time.time() - workspace.ABANDONED_AFTER_S - 5
    os.utime(old, (past, past))
    try:
        assert workspace.sweep(tmp_path) == [old]
        assert live.exists()
        assert young.exists()
        assert server.poll() is None
    finally:
        server.kill()
        server.wait()


def test_a_directory_carries_its_owner_in_its_name_from_the_start(tmp_path):
    made = workspace.temp_dir("harness-pg-", tmp_path)
    assert made.name.startswith(f"harness-pg-{os.getpid()}.{processes.identity(os.getpid())}-")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    assert workspace.sweep(tmp_path) == []  # its owner (we) is alive


def measure(kills: int) -> None:
    """KILL_SUBJECT=pytest: kill `pytest -m local` itself (no fork pause there; delays up to
    the end of its run)."""
    rng = random.Random(1)
    pytest_run = os.environ.get("KILL_SUBJECT") == "pytest"
    forks = [] if pytest_run else [f"fork:{p}" for p in PROGRAMS for _ in range(kills // 5)]
    plan = forks + [f"appear:{p}" for p in PROGRAMS for _ in range(kills // 5)]
    plan += [f"ctrl-c:{p}" for p in PROGRAMS for _ in range(kills // 5)]
    longest = 6.0 if pytest_run else 1.5
    plan += [f"delay:{rng.uniform(0.05, longest):.2f}" for _ in range(kills)]
    stats: dict[str, list[int]] = {}
    for how in plan:
        base = _private_base()
        try:
            outcome = kill(base, how, settle=5)
        except Exception as exc:
            print(f"{how}: {type(exc).__name__}: {exc}", flush=True)
            continue
        finally:
            _clean(base)
        kind = how.split(":")[0] + (":" + how.split(":")[1] if "delay" not in how else "")
        row = stats.setdefault(kind, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += any(x.startswith("pid") for x in outcome.before)
        row[2] += any(not x.startswith("pid") for x in outcome.before)
        row[3] += any(x.startswith("pid") for x in outcome.after)
        row[4] += any(not x.startswith("pid") for x in outcome.after)
        orphans = [x for x in outcome.before if x.startswith("pid")]
        if orphans or outcome.after:
            print(f"{how}: 5 s after {orphans}; after the sweep {outcome.after}", flush=True)
    print("kill            runs  proc-5s-after dir-5s-after  proc-swept dir-swept")
    for kind, row in stats.items():
        print(f"{kind:<15} {row[0]:>5} {row[1]:>14} {row[2]:>12} {row[3]:>11} {row[4]:>9}")


if __name__ == "__main__":
    measure(int(sys.argv[1]) if len(sys.argv) > 1 else 20)


# --- where the directories go: the RAM disk unless $TMPDIR says otherwise ---


def _ram_disk_usable() -> bool:
    """Read independently of workspace.py: /dev/shm mounted as tmpfs with 1 GiB free."""
    mounts = Path("/proc/self/mounts").read_text().split("\n")
    st = os.statvfs("/dev/shm") if os.path.isdir("/dev/shm") else None
    tmpfs = any(line.split()[1:3] == ["/dev/shm", "tmpfs"] for line in mounts if line.strip())
    return bool(tmpfs and st and st.f_bavail * st.f_frsize >= 1 << 30)


def test_without_tmpdir_the_server_runs_on_the_ram_disk_and_leaves_nothing_there(monkeypatch):
    if not _ram_disk_usable():
        pytest.skip("/dev/shm is not a tmpfs with 1 GiB free here")
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", None)
    before = set(dirs_in(Path("/dev/shm")))
    with provision(Request(backend="native")) as server:
        (made,) = set(dirs_in(Path("/dev/shm"))) - before
        assert (Path("/dev/shm") / made / "data" / "PG_VERSION").is_file()
        assert server.details["log"].startswith(f"/dev/shm/{made}/")
    assert set(dirs_in(Path("/dev/shm"))) - before == set()


def test_tmpdir_or_a_ram_disk_without_room_keeps_the_temporary_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert workspace.base_dir() == tmp_path
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(workspace, "RAM_DISK_ROOM", 1 << 62)
    assert workspace._ram_disk() is None
    assert workspace.base_dir() == tmp_path


def test_a_dead_runs_directory_on_the_other_base_is_swept_too(tmp_path, monkeypatch):
    ram, temp = tmp_path / "ram", tmp_path / "temp"
    ram.mkdir()
    temp.mkdir()
    dead = temp / f"harness-pg-{_dead_owner()}-abc"
    (dead / "data").mkdir(parents=True)
    monkeypatch.delenv("TMPDIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setattr(workspace, "_ram_disk", lambda: ram)
    made = workspace.for_user(None)
    assert made.parent == ram
    assert not dead.exists()
