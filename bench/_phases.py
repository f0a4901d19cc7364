"""pytest plugin loaded by bench/remote.py: when each phase of a run ran (time.time()), so the
proxy's turns can be attributed to connect, snapshot, behaviour, DOD-11, report or other."""

import json
import os
import time

import pytest

SPANS: list[dict] = []  # {"phase", "start", "end"}
FIXTURES = {"db": "connect", "catalog": "snapshot", "probe": "behaviour"}


def _span(phase: str, start: float, what: str = "") -> None:
    SPANS.append({"phase": phase, "start": start, "end": time.time(), "what": what})


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_finish(session):
    t0 = time.time()  # the preflight connection is tried here
    try:
        return (yield)
    finally:
        _span("connect", t0, "preflight (collection)")


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    t0 = time.time()
    try:
        return (yield)
    finally:
        if fixturedef.argname in FIXTURES:
            _span(FIXTURES[fixturedef.argname], t0, fixturedef.argname)
        else:
            _span("other", t0, f"fixture {fixturedef.argname}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    t0 = time.time()
    try:
        return (yield)
    finally:
        mark = item.get_closest_marker("dod")
        _span("DOD-11" if mark and mark.args[0] == "DOD-11" else "other", t0, item.nodeid)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session):
    try:
        return (yield)
    finally:
        SPANS.append({"phase": "report", "start": time.time(), "end": float("inf")})


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    with open(os.environ["BENCH_PHASES_OUT"], "w") as out:
        json.dump(SPANS, out)
