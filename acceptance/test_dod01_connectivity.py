"""DOD-01 Connectivity: the configured URL connects; version recorded; PostgreSQL >= 14."""

import pytest

pytestmark = pytest.mark.dod("DOD-01")


async def test_a_connection_through_the_configured_url_succeeds(db, target, record_property):
    version = await db.fetchval("SELECT version()")
    record_property("version", version)
    target.facts["version()"] = version
    assert await db.fetchval("SELECT 1") == 1


async def test_server_is_postgresql_14_or_newer(db, expected):
    num = int(await db.fetchval("SHOW server_version_num"))
    want = expected.min_server_version
    assert num >= want * 10000, f"DOD-01 server: version have {num}, want >= {want}"
