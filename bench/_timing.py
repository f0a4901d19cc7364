"""pytest plugin loaded by bench/cold_run.py: stamps the phases of one run into a JSON file."""

import json
import os
import time
from collections.abc import Generator
from typing import Any

import pytest

STAMPS: dict[str, float] = {}
FIXTURES = {"_local_server": "provision", "_local_pooler": "pooler", "target": "apply"}


def pytest_sessionstart(session: pytest.Session) -> None:
    STAMPS["session_start"] = time.time()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, Any, Any]:
    t0 = time.time()
    try:
        return (yield)
    finally:
        phase = FIXTURES.get(fixturedef.argname)
        if phase:
            # target's setup includes the server and the pooler (it requests them): kept apart
            STAMPS[phase] = time.time() - t0


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, Any, Any]:
    STAMPS["loop_start"] = time.time()
    try:
        return (yield)
    finally:
        STAMPS["loop_end"] = time.time()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Generator[None, Any, Any]:
    STAMPS["finish_start"] = time.time()
    try:
        return (yield)
    finally:
        STAMPS["finish_end"] = time.time()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    STAMPS["end"] = time.time()
    with open(os.environ["BENCH_TIMING_OUT"], "w") as out:
        json.dump(STAMPS, out)
