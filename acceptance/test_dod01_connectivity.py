"""DOD-01 Connectivity: the configured URL connects; version recorded; PostgreSQL >= 14."""

import pytest
from supabase_acceptance.catalog import SERVER_FACTS

pytestmark = pytest.mark.dod("DOD-01")


def test_a_connection_through_the_configured_url_succeeds(db, target, evidence):
    facts = target.server_facts
    evidence.sql(SERVER_FACTS)
    evidence.facts("server", {"version()": facts["version"], "target": target.masked_dsn})
    evidence.key(facts["version"].split(" on ")[0])
    assert facts["one"] == 1, f"DOD-01 SELECT 1: have {facts['one']!r}, want 1"


def test_server_is_postgresql_14_or_newer(db, target, expected, evidence):
    num = target.server_facts["server_version_num"]
    want = expected.min_server_version
    evidence.sql(SERVER_FACTS)
    evidence.have_want(num, f">= {want * 10000}")
    assert num >= want * 10000, f"DOD-01 server: version have {num}, want >= {want}"


def test_the_url_reaches_the_database_the_ddl_describes(catalog, expected, evidence):
    """A URL that connects to another (or an empty) database is not connectivity to ours."""
    have = sorted(set(catalog.public_tables()) & set(expected.tables))
    evidence.facts("have (catalog snapshot)", {"tables of the DDL in public": have})
    evidence.facts("want (expected.yaml)", {"tables of the DDL in public": "at least one"})
    assert expected.tables, "DOD-01 expected.yaml: tables have none, want the DDL's"
    assert have, (
        f"DOD-01 {catalog.backend['role']}@database: tables of the DDL have none, want the "
        "six tables (the URL reaches an empty or another database: check the database name)"
    )
