"""Connectivity: the configured URL connects; version recorded; PostgreSQL >= 14 (expected.yaml
`server`)."""

import asyncpg
import pytest
from supabase_acceptance.asserts import finding
from supabase_acceptance.catalog import Catalog, server_facts_sql
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.target import Target

pytestmark = pytest.mark.dod("DOD-01")


def test_a_connection_through_the_configured_url_succeeds(
    db: asyncpg.Connection, target: Target, evidence: Evidence
) -> None:
    facts = target.server_facts
    evidence.sql(server_facts_sql())
    evidence.facts("server", {"version()": facts["version"], "target": target.masked_dsn})
    evidence.key(facts["version"].split(" on ")[0])
    if facts["one"] != 1:
        finding(evidence, f"SELECT 1: have {facts['one']!r}, want 1")


def test_server_is_postgresql_14_or_newer(
    db: asyncpg.Connection, target: Target, expected: Expected, evidence: Evidence
) -> None:
    num = target.server_facts["server_version_num"]
    want = expected.min_server_version
    evidence.sql(server_facts_sql())
    evidence.have_want(num, f">= {want * 10000}")
    if num < want * 10000:
        finding(evidence, f"server: version have {num}, want >= {want}")


def test_the_url_reaches_the_database_the_ddl_describes(
    catalog: Catalog, expected: Expected, evidence: Evidence
) -> None:
    """A URL that connects to another (or an empty) database is not connectivity to ours."""
    have = sorted(set(catalog.public_tables()) & set(expected.tables))
    evidence.facts("have (catalog snapshot)", {"tables of the DDL in public": have})
    evidence.facts("want (expected.yaml)", {"tables of the DDL in public": "at least one"})
    if not expected.tables:
        finding(evidence, "expected.yaml: tables have none, want the DDL's")
    if not have:
        finding(
            evidence,
            f"{catalog.backend['role']}@database: tables of the DDL have none, want its "
            f"{len(expected.tables)} tables (the URL reaches an empty or another database: "
            "check the database name)",
        )
