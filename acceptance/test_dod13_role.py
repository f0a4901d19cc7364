"""Least-privilege role (optional): if the role of schema/role.yaml exists, it has the
attributes that file wants (it can log in; not superuser, no CREATE, no DDL), the privileges it
wants on every table of the DDL and on their sequences, and nothing more. Read-only catalog
checks, one round trip for all."""

from typing import Any

import asyncpg
import pytest
from supabase_acceptance.asserts import differ, finding, verdict
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.reads import sequence_owners
from supabase_acceptance.target import Target

pytestmark = pytest.mark.dod("DOD-13")


@pytest.fixture(scope="module")
def role(db: asyncpg.Connection, target: Target, expected: Expected) -> dict[str, Any]:
    """Read with the session's first round trip (supabase_acceptance/reads.py)."""
    found: dict[str, Any] = target.reads["role"]
    if found["role"] is None:
        name = expected.role.name
        pytest.skip(f"optional: role {name} does not exist (the DDL's role block is commented out)")
    return found | {"sql": target.read_sql["role"], "owners": sequence_owners(expected)}


def test_backend_role_can_log_in_and_holds_no_admin_power(
    role: dict[str, Any], expected: Expected, evidence: Evidence
) -> None:
    want = expected.role.attributes
    evidence.sql(role["sql"])
    evidence.have_want(role["role"], want)
    evidence.tally("role attributes as specified", role["role"] == want, 1)
    name = f"role {expected.role.name}"
    verdict(evidence, [differ(name, k, role["role"][k], v) for k, v in want.items()])


def test_backend_role_has_its_privileges_on_every_table_and_nothing_more(
    role: dict[str, Any], expected: Expected, evidence: Evidence
) -> None:
    want = expected.role.tables
    have = {(r["table"], r["priv"]): r["granted"] for r in role["tables"]}
    evidence.sql(role["sql"])
    evidence.have_want({f"{t}.{p}": g for (t, p), g in have.items()}, want)
    if not expected.tables:
        finding(evidence, "expected.yaml: tables have none, want the DDL's")
    findings = [
        differ(f"{expected.role.name} on {t}", p, have.get((t, p)), granted)
        for t in expected.tables
        for p, granted in want.items()
    ]
    evidence.tally("table privileges as specified", sum(f is None for f in findings), len(findings))
    verdict(evidence, findings)


def test_backend_role_uses_the_sequences_without_setting_them(
    role: dict[str, Any], expected: Expected, evidence: Evidence
) -> None:
    want = expected.role.sequences
    if not role["owners"]:
        finding(evidence, "expected.yaml: sequences have none, want the DDL's SERIALs")
    evidence.sql(role["sql"])
    evidence.have_want(role["sequences"], want)
    name = expected.role.name
    verdict(
        evidence,
        [
            differ(f"{name} on the sequence of {r['column']}", k, r[k], v)
            for r in role["sequences"]
            for k, v in want.items()
        ],
    )
