"""pytest plugin loaded by bench/remote.py: when each phase of a run ran (time.time()), so the
proxy's turns can be attributed to connect, snapshot, behaviour, DOD-11, report or other.

DOD-11's sequential samples run in a process of their own from the start of the session; this
plugin has the harness start bench/_sampling_bracket.py there instead, the same worker that
also says when the samples ran and, with BENCH_PGBENCH_URL set, runs pgbench for the same query
through the same path right before and right after them (on a shared machine the load changes
within a second, so only runs adjacent in time compare like for like)."""

import json
import os
import tempfile
import time
from collections.abc import Generator
from typing import Any

import pytest
from _pgbench import pgbench  # noqa: F401  (bench/remote.py's import of it, kept working)
from supabase_acceptance import sampling

SPANS: list[dict[str, Any]] = []  # {"phase", "start", "end"}
FIXTURES = {"db": "connect", "catalog": "snapshot", "probe": "behaviour"}
SAMPLES_TEST = "test_p95_of_simple_queries_is_under_budget"  # DOD-11's sequential samples
SAMPLER_OUT = tempfile.mktemp(prefix="bench-sampler-", suffix=".json")
os.environ["BENCH_SAMPLER_OUT"] = SAMPLER_OUT  # the sampler's process inherits it
sampling.WORKER = "_sampling_bracket"


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
    t0 = time.time()
    try:
        return (yield)
    finally:
        mark = item.get_closest_marker("dod")
        _span("DOD-11" if mark and mark.args[0] == "DOD-11" else "other", t0, item.nodeid)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, Any, Any]:
    try:
        return (yield)
    finally:
        SPANS.append({"phase": "report", "start": time.time(), "end": float("inf")})


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The sampler's span (`samples`: its connection's turns are DOD-11's) and pgbench's runs
    around it, with the spans of this process."""
    sampler: dict[str, Any] = {"span": None, "ms": [], "errors": []}
    if os.path.exists(SAMPLER_OUT):
        with open(SAMPLER_OUT) as found:
            sampler = json.load(found)
        os.unlink(SAMPLER_OUT)
    pgbench_ms = {"ms": sampler["ms"], "errors": sampler["errors"]}
    with open(os.environ["BENCH_PHASES_OUT"], "w") as out:
        json.dump({"spans": SPANS, "samples": sampler["span"], "pgbench": pgbench_ms}, out)
