"""DOD-01 Connectivity: the configured URL connects; version recorded; PostgreSQL >= 14."""

import pytest

pytestmark = pytest.mark.dod("DOD-01")


async def test_a_connection_through_the_configured_url_succeeds(db, target, evidence):
    version = await db.fetchval("SELECT version()")
    evidence.sql("SELECT version()")
    evidence.facts("server", {"version()": version, "target": target.masked_dsn})
    evidence.key(version.split(" on ")[0])
    assert await db.fetchval("SELECT 1") == 1


async def test_server_is_postgresql_14_or_newer(db, expected, evidence):
    num = int(await db.fetchval("SHOW server_version_num"))
    want = expected.min_server_version
    evidence.sql("SHOW server_version_num")
    evidence.have_want(num, f">= {want * 10000}")
    assert num >= want * 10000, f"DOD-01 server: version have {num}, want >= {want}"
