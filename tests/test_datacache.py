"""The data directory cache (provision/datacache.py): one initdb per machine and server, a copy
per run; a partial or corrupt entry is built again, runs that start at once do not race (one
initdb, every run a whole copy), --no-cache and an unwritable cache directory run initdb."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from supabase_acceptance import databases
from supabase_acceptance.provision import Request, Server, datacache, native, provision
from supabase_acceptance.provision._cluster import SPARE_DATABASES

from .conftest import ROOT


def _bindir(tmp: Path) -> Path:
    bindir = tmp / "bin"
    if not bindir.exists():  # once: its binary's size and time are part of the key
        bindir.mkdir()
        (bindir / "postgres").write_text("a server binary")
    return bindir


def _fake_initdb(log: Path, delay: float = 0.0):
    """Writes a small cluster-like tree and appends to `log` (how many initdb ran)."""

    def initdb(data: Path, password: str) -> None:
        with open(log, "a") as calls:
            calls.write(f"{os.getpid()}\n")
        time.sleep(delay)
        (data / "base" / "1").mkdir(parents=True)
        (data / "base" / "1" / "1259").write_bytes(b"x" * 8192)
        (data / "PG_VERSION").write_text("15\n")
        (data / "pw").write_text(password)

    return initdb


def _prepare(tmp: Path, dest: Path, log: Path, delay: float = 0.0, enabled: bool = True):
    return datacache.prepare(
        dest,
        _fake_initdb(log, delay),
        version="postgres (PostgreSQL) 15.0",
        bindir=_bindir(tmp),
        flags="-A scram-sha-256",
        user=None,
        enabled=enabled,
    )


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return datacache.cache_root()


def _entry(cache: Path) -> Path:
    (entry,) = [p for p in cache.iterdir() if p.is_dir()]
    return entry


def test_initdb_once_then_a_copy_with_the_same_password(tmp_path, cache):
    log = tmp_path / "initdb.log"
    first, how = _prepare(tmp_path, tmp_path / "run1", log)
    assert how == "initdb (cached)"
    second, how = _prepare(tmp_path, tmp_path / "run2", log)
    assert how == "copied"
    assert second == first == (tmp_path / "run2" / "pw").read_text()
    assert len(log.read_text().split()) == 1
    assert (tmp_path / "run2" / "base" / "1" / "1259").read_bytes() == b"x" * 8192
    assert oct(_entry(cache).stat().st_mode & 0o777) == "0o700"
    assert oct((_entry(cache) / "password").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    "damage",
    ["truncated file", "file gone", "no manifest", "manifest of another key", "no password"],
)
def test_a_partial_or_corrupt_entry_is_built_again(tmp_path, cache, damage):
    log = tmp_path / "initdb.log"
    _prepare(tmp_path, tmp_path / "run1", log)
    entry = _entry(cache)
    if damage == "truncated file":
        (entry / "data" / "base" / "1" / "1259").write_bytes(b"x" * 100)
    elif damage == "file gone":
        (entry / "data" / "PG_VERSION").unlink()
    elif damage == "no manifest":
        (entry / datacache.MANIFEST).unlink()
    elif damage == "manifest of another key":
        manifest = json.loads((entry / datacache.MANIFEST).read_text())
        (entry / datacache.MANIFEST).write_text(json.dumps({**manifest, "key": "other"}))
    else:
        (entry / "password").unlink()
    _, how = _prepare(tmp_path, tmp_path / "run2", log)
    assert how == "initdb (cached)"  # built again, not copied from the damaged entry
    assert len(log.read_text().split()) == 2
    assert datacache.valid(_entry(cache), _entry(cache).name)
    _, how = _prepare(tmp_path, tmp_path / "run3", log)
    assert how == "copied"


def test_an_interrupted_build_leaves_nothing_the_next_run_uses(tmp_path, cache):
    """A build killed before its rename leaves a `<key>.tmp-*` directory: never read, swept."""
    log = tmp_path / "initdb.log"
    _prepare(tmp_path, tmp_path / "run1", log)
    entry = _entry(cache)
    leftover = entry.with_name(f"{entry.name}.tmp-1-dead")
    os.rename(entry, leftover)  # as if the rename had not happened yet
    _, how = _prepare(tmp_path, tmp_path / "run2", log)
    assert how == "initdb (cached)"
    assert not leftover.exists()
    assert [p.name for p in cache.iterdir() if p.is_dir()] == [entry.name]


def _concurrent(tmp: str, n: int) -> tuple[str, str]:
    base = Path(tmp)
    return _prepare(base, base / f"run{n}", base / "initdb.log", delay=0.5)


def test_runs_that_start_at_once_do_not_race(tmp_path, cache):
    """Four runs at once: one initdb (the others wait on the lock, then copy), each run a whole
    data directory with the same password, one valid entry and nothing else left."""
    _bindir(tmp_path)  # made before: four processes making it at once would race on it
    ctx = multiprocessing.get_context("spawn")  # they inherit XDG_CACHE_HOME (the fixture's)
    with ctx.Pool(4) as pool:
        found = pool.starmap(_concurrent, [(str(tmp_path), n) for n in range(4)])
    assert len((tmp_path / "initdb.log").read_text().split()) == 1
    assert sorted(how for _, how in found) == ["copied"] * 3 + ["initdb (cached)"]
    assert len({password for password, _ in found}) == 1
    for n in range(4):
        assert (tmp_path / f"run{n}" / "PG_VERSION").read_text() == "15\n"
    entries = [p.name for p in cache.iterdir() if p.is_dir()]
    assert len(entries) == 1
    assert datacache.valid(cache / entries[0], entries[0])


def test_no_cache_and_an_unwritable_cache_run_initdb(tmp_path, cache):
    log = tmp_path / "initdb.log"
    _, how = _prepare(tmp_path, tmp_path / "run1", log, enabled=False)
    assert how == "initdb"
    assert not cache.exists()
    cache.parent.mkdir(parents=True)
    cache.write_text("not a directory")
    _, how = _prepare(tmp_path, tmp_path / "run2", log)
    assert how == "initdb"
    assert len(log.read_text().split()) == 2


def test_a_real_server_from_the_cache(tmp_path, cache):
    """The native backend (embedded shares the code): initdb the first time, a copy that
    starts and takes the cached password's login the second, initdb again with the cache off."""
    if native.find_bindir(Request()) is None:
        pytest.skip("no native Postgres binaries")

    async def login(server: Server) -> int:
        conn = await asyncpg.connect(server.dsn())
        try:
            return int(await conn.fetchval("SELECT 1"))
        finally:
            await conn.close()

    hows = []
    for cached in (True, True, False):
        with provision(Request(backend="native", cache=cached)) as server:
            hows.append(server.details["data directory"])
            assert asyncio.run(login(server)) == 1
    assert hows == ["initdb (cached)", "copied", "initdb"]
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == [_entry(cache).name]


_SHAPE = """
SELECT d.datname = current_database() AS here, pg_catalog.pg_get_userbyid(d.datdba) AS owner,
       pg_catalog.pg_encoding_to_char(d.encoding) AS encoding, d.datcollate, d.datctype,
       d.datallowconn, d.datconnlimit, d.datistemplate, d.dattablespace,
       (SELECT count(*) FROM pg_catalog.pg_class WHERE oid >= 16384) AS user_relations,
       (SELECT count(*) FROM pg_catalog.pg_namespace) AS schemas,
       (SELECT count(*) FROM pg_catalog.pg_db_role_setting s WHERE s.setdatabase = d.oid)
         AS settings
FROM pg_catalog.pg_database d WHERE d.datname = current_database()
"""


def test_a_cached_data_directory_holds_spare_databases_renamed_for_a_run(tmp_path, cache):
    """A CREATE DATABASE costs ~0.2 s (template1 copied through the WAL): the cached data
    directory holds empty spares made once, databases.create renames one. A database made
    from a spare is what CREATE DATABASE makes; with no spare left it creates one; --no-cache
    (initdb per run) makes none."""
    if native.find_bindir(Request()) is None:
        pytest.skip("no native Postgres binaries")

    async def spares(server: Server) -> list[str]:
        conn = await asyncpg.connect(server.dsn())
        try:
            rows = await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE 'harness\\_spare\\_%'"
            )
            return sorted(r[0] for r in rows)
        finally:
            await conn.close()

    async def shape(server: Server, name: str) -> dict:
        conn = await asyncpg.connect(server.dsn(name))
        try:
            return dict(await conn.fetchrow(_SHAPE))
        finally:
            await conn.close()

    async def exercise(server: Server) -> None:
        made = await spares(server)
        assert len(made) == SPARE_DATABASES, made
        from_spares = [await databases.create(server, f"run_{n}") for n in range(len(made))]
        assert await spares(server) == []
        created = await databases.create(server, "created")  # none left: CREATE DATABASE
        for db in from_spares:
            assert await shape(server, db.name) == await shape(server, created.name)
        async with databases.scratch(server, "again") as db:
            assert await shape(server, db.name) == await shape(server, created.name)

    with provision(Request(backend="native", cache=True)) as server:
        assert server.details["data directory"] == "initdb (cached)"
        asyncio.run(exercise(server))
    with provision(Request(backend="native", cache=True)) as server:  # the copy holds them too
        assert len(asyncio.run(spares(server))) == SPARE_DATABASES
    with provision(Request(backend="native", cache=False)) as server:
        assert asyncio.run(spares(server)) == []


def test_no_cache_flag_reaches_the_provisioning(tmp_path):
    """`--no-cache` (and the ini's `pg_cache = no`): the run's environment says initdb."""
    reports = tmp_path / "reports"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    # native: the backend that has a cache to bypass (auto picks the container where an engine runs)
    args = ["-m", "local", "-q", "-p", "no:cacheprovider", "-k", "dod01", "--pg-backend", "native"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "--no-cache", f"--report-dir={reports}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "passed" in done.stdout, done.stdout[-2000:]  # a partial selection: no sign-off
    summary = json.loads((reports / "latest-local.json").read_text())
    assert _data_directory(summary) == "initdb"
    assert not (tmp_path / "cache" / "supabase-acceptance" / "pgdata").exists() or not any(
        p.is_dir() for p in (tmp_path / "cache" / "supabase-acceptance" / "pgdata").iterdir()
    )


def _data_directory(summary: dict) -> str:
    text = json.dumps(summary)
    marker = '"Backend data directory": "'
    return text.split(marker, 1)[1].split('"', 1)[0] if marker in text else "?"
