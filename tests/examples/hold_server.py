"""Holds the provisioned local server until killed (for the cleanup tests)."""

import time

import pytest

pytestmark = [pytest.mark.local_only, pytest.mark.dod("DOD-01")]


def test_hold(target):
    print(f"SERVER-UP {target.server.details.get('bindir', '')}", flush=True)
    time.sleep(120)
