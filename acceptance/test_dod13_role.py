"""DOD-13 Least-privilege role (optional): if role agente_backend exists, it can log in, has
SELECT/INSERT/UPDATE/DELETE on the six tables and USAGE/SELECT on their sequences, and nothing
more (not superuser, no CREATE, no DDL). Read-only catalog checks."""

import pytest

from fixtures.expected import load
from fixtures.verdict import differ, verdict

pytestmark = pytest.mark.dod("DOD-13")
ROLE = "agente_backend"
TABLE_PRIVS = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
WANT_TABLE = {"SELECT": True, "INSERT": True, "UPDATE": True, "DELETE": True,
              "TRUNCATE": False, "REFERENCES": False, "TRIGGER": False}  # fmt: skip

ROLE_SQL = """
SELECT r.rolcanlogin AS login, r.rolsuper AS superuser, r.rolcreatedb AS createdb,
       r.rolcreaterole AS createrole, r.rolbypassrls AS bypassrls,
       has_database_privilege(r.rolname, current_database(), 'CREATE') AS create_on_database,
       has_schema_privilege(r.rolname, 'public', 'CREATE') AS create_on_public,
       has_schema_privilege(r.rolname, 'public', 'USAGE') AS usage_on_public
FROM pg_roles r WHERE r.rolname = $1"""
TABLES_SQL = """
SELECT t.name, p.priv, has_table_privilege($1, format('public.%I', t.name), p.priv) AS granted
FROM unnest($2::text[]) t(name), unnest($3::text[]) p(priv)
WHERE to_regclass(format('public.%I', t.name)) IS NOT NULL"""
SEQUENCES_SQL = """
SELECT s.relname AS name, has_sequence_privilege($1, s.oid, 'USAGE') AS usage,
       has_sequence_privilege($1, s.oid, 'SELECT') AS select,
       has_sequence_privilege($1, s.oid, 'UPDATE') AS update
FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
WHERE s.relkind = 'S' AND n.nspname = 'public'"""


@pytest.fixture(scope="module")
async def role(db):
    found = await db.fetchrow(ROLE_SQL, ROLE)
    if found is None:
        pytest.skip(f"optional: role {ROLE} does not exist (the DDL's role block is commented out)")
    return dict(found)


def test_backend_role_can_log_in_and_holds_no_admin_power(role, evidence):
    want = {"login": True, "superuser": False, "createdb": False, "createrole": False,
            "bypassrls": False, "create_on_database": False, "create_on_public": False,
            "usage_on_public": True}  # fmt: skip
    evidence.sql(ROLE_SQL, ROLE)
    evidence.have_want(role, want)
    evidence.tally("role attributes as specified", role == want, 1)
    verdict("DOD-13", [differ(f"role {ROLE}", k, role[k], v) for k, v in want.items()])


async def test_backend_role_has_crud_on_the_six_tables_and_nothing_more(role, db, evidence):
    tables = list(load().tables)
    rows = await db.fetch(TABLES_SQL, ROLE, tables, list(TABLE_PRIVS))
    evidence.sql(TABLES_SQL, ROLE, tables, TABLE_PRIVS)
    have = {(r["name"], r["priv"]): r["granted"] for r in rows}
    evidence.have_want({f"{t}.{p}": g for (t, p), g in have.items()}, WANT_TABLE)
    findings = [differ(f"{ROLE} on {t}", p, have.get((t, p)), WANT_TABLE[p])
                for t in tables for p in TABLE_PRIVS]  # fmt: skip
    evidence.tally("table privileges as specified", sum(f is None for f in findings), len(findings))
    verdict("DOD-13", findings)


async def test_backend_role_uses_the_sequences_without_setting_them(role, db, evidence):
    rows = [dict(r) for r in await db.fetch(SEQUENCES_SQL, ROLE)]
    evidence.sql(SEQUENCES_SQL, ROLE)
    want = {"usage": True, "select": True, "update": False}
    evidence.have_want(rows, want)
    verdict("DOD-13", [differ(f"{ROLE} on sequence {r['name']}", k, r[k], v)
                       for r in rows for k, v in want.items()])  # fmt: skip
