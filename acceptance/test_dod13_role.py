"""DOD-13 Least-privilege role (optional): if role agente_backend exists, it can log in, has
SELECT/INSERT/UPDATE/DELETE on the six tables and USAGE/SELECT on their sequences, and nothing
more (not superuser, no CREATE, no DDL). Read-only catalog checks, one round trip for all."""

import pytest
from supabase_acceptance.reads import ROLE, TABLE_PRIVS, sequence_owners
from supabase_acceptance.verdict import differ, verdict

pytestmark = pytest.mark.dod("DOD-13")
WANT_TABLE = {"SELECT": True, "INSERT": True, "UPDATE": True, "DELETE": True,
              "TRUNCATE": False, "REFERENCES": False, "TRIGGER": False}  # fmt: skip
WANT_ROLE = {"login": True, "superuser": False, "createdb": False, "createrole": False,
             "bypassrls": False, "create_on_database": False, "create_on_public": False,
             "usage_on_public": True}  # fmt: skip
WANT_SEQUENCE = {"usage": True, "select": True, "update": False}


@pytest.fixture(scope="module")
def role(db, target, expected):
    """Read with the session's first round trip (supabase_acceptance/reads.py)."""
    found = target.reads["role"]
    if found["role"] is None:
        pytest.skip(f"optional: role {ROLE} does not exist (the DDL's role block is commented out)")
    return found | {"sql": target.read_sql["role"], "owners": sequence_owners(expected)}


def test_backend_role_can_log_in_and_holds_no_admin_power(role, evidence):
    evidence.sql(role["sql"])
    evidence.have_want(role["role"], WANT_ROLE)
    evidence.tally("role attributes as specified", role["role"] == WANT_ROLE, 1)
    verdict("DOD-13", [differ(f"role {ROLE}", k, role["role"][k], v) for k, v in WANT_ROLE.items()])


def test_backend_role_has_crud_on_the_six_tables_and_nothing_more(role, expected, evidence):
    have = {(r["table"], r["priv"]): r["granted"] for r in role["tables"]}
    evidence.sql(role["sql"])
    evidence.have_want({f"{t}.{p}": g for (t, p), g in have.items()}, WANT_TABLE)
    assert expected.tables, "DOD-13 expected.yaml: tables have none, want the DDL's"
    findings = [differ(f"{ROLE} on {t}", p, have.get((t, p)), WANT_TABLE[p])
                for t in expected.tables for p in TABLE_PRIVS]  # fmt: skip
    evidence.tally("table privileges as specified", sum(f is None for f in findings), len(findings))
    verdict("DOD-13", findings)


def test_backend_role_uses_the_sequences_without_setting_them(role, evidence):
    assert role["owners"], "DOD-13 expected.yaml: sequences have none, want the DDL's SERIALs"
    evidence.sql(role["sql"])
    evidence.have_want(role["sequences"], WANT_SEQUENCE)
    verdict("DOD-13", [differ(f"{ROLE} on the sequence of {r['column']}", k, r[k], v)
                       for r in role["sequences"] for k, v in WANT_SEQUENCE.items()])  # fmt: skip
