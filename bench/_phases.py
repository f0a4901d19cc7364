"""pytest plugin loaded by bench/remote.py: when each phase of a run ran (time.time()), so the
proxy's turns can be attributed to connect, snapshot, behaviour, DOD-11, report or other.

With BENCH_PGBENCH_URL set it also runs pgbench for the same query through the same path right
before and right after the harness's single-connection latency samples: on a shared machine
the load changes within a second, so only runs adjacent in time compare like for like."""

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Generator
from typing import Any

import pytest

SPANS: list[dict[str, Any]] = []  # {"phase", "start", "end"}
FIXTURES = {"db": "connect", "catalog": "snapshot", "probe": "behaviour"}
SAMPLES_TEST = "test_p95_of_simple_queries_is_under_budget"  # DOD-11's sequential samples
PGBENCH: dict[str, list[Any]] = {"ms": [], "errors": []}  # averages around SAMPLES_TEST
BRACKET_RUNS = 3  # pgbench runs before and again after the samples (the median counts)
BRACKET_TRANSACTIONS = 100  # as many queries as DOD-11 times


def pgbench(url: str, transactions: int) -> float:
    """pgbench's "latency average" (ms) for `SELECT 1`: one client, one thread, simple protocol
    (`-c 1 -j 1 -M simple`), no vacuum. pgbench computes it as the run's elapsed time after
    the connection is made, divided by the transactions: a mean that includes pgbench's own
    client work (libpq, in C) and any stall of the machine (its per-transaction log, -l, is no
    better here: version 15 reads the clock lazily and logs many 0 µs transactions)."""
    binary = shutil.which("pgbench") or max(
        glob.glob("/usr/lib/postgresql/*/bin/pgbench"), default="pgbench"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write("SELECT 1;\n")
        script.flush()
        out = subprocess.run(
            [
                binary,
                "-n",
                "-M",
                "simple",
                "-c",
                "1",
                "-j",
                "1",
                "-t",
                str(transactions),
                "-f",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    found = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    if not found:
        raise RuntimeError(f"pgbench failed: {out.stderr[-1000:]}")
    return float(found.group(1))


def _bracket() -> None:
    url = os.environ["BENCH_PGBENCH_URL"]
    try:
        PGBENCH["ms"] += [pgbench(url, BRACKET_TRANSACTIONS) for _ in range(BRACKET_RUNS)]
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        PGBENCH["errors"].append(str(exc))


def _span(phase: str, start: float, what: str = "") -> None:
    SPANS.append({"phase": phase, "start": start, "end": time.time(), "what": what})


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> Generator[None, Any, Any]:
    t0 = time.time()  # the preflight connection is tried here
    try:
        return (yield)
    finally:
        _span("connect", t0, "preflight (collection)")


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    t0 = time.time()
    try:
        return (yield)
    finally:
        if fixturedef.argname in FIXTURES:
            _span(FIXTURES[fixturedef.argname], t0, fixturedef.argname)
        else:
            _span("other", t0, f"fixture {fixturedef.argname}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    name = getattr(item, "originalname", item.name)
    bracket = "BENCH_PGBENCH_URL" in os.environ and name == SAMPLES_TEST
    if bracket:
        _bracket()
    t0 = time.time()
    try:
        return (yield)
    finally:
        mark = item.get_closest_marker("dod")
        _span("DOD-11" if mark and mark.args[0] == "DOD-11" else "other", t0, item.nodeid)
        if bracket:
            _bracket()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, Any, Any]:
    try:
        return (yield)
    finally:
        SPANS.append({"phase": "report", "start": time.time(), "end": float("inf")})


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    with open(os.environ["BENCH_PHASES_OUT"], "w") as out:
        json.dump({"spans": SPANS, "pgbench": PGBENCH}, out)
