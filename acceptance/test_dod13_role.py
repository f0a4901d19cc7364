"""DOD-13 Least-privilege role (optional): if role agente_backend exists, it can log in, has
SELECT/INSERT/UPDATE/DELETE on the six tables and USAGE/SELECT on their sequences, and nothing
more (not superuser, no CREATE, no DDL). Read-only catalog checks."""

import pytest

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
# The sequences behind the DDL's columns, found from their columns (their names are generated).
SEQUENCES_SQL = """
SELECT o.owner AS name, s.seq AS sequence,
       s.seq IS NOT NULL AND has_sequence_privilege($1, s.seq, 'USAGE') AS usage,
       s.seq IS NOT NULL AND has_sequence_privilege($1, s.seq, 'SELECT') AS select,
       s.seq IS NOT NULL AND has_sequence_privilege($1, s.seq, 'UPDATE') AS update
FROM unnest($2::text[]) o(owner),
LATERAL (SELECT pg_get_serial_sequence(format('public.%I', split_part(o.owner, '.', 1)),
                                       split_part(o.owner, '.', 2)) AS seq) s"""


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


async def test_backend_role_has_crud_on_the_six_tables_and_nothing_more(
    role, db, expected, evidence
):
    tables = list(expected.tables)
    rows = await db.fetch(TABLES_SQL, ROLE, tables, list(TABLE_PRIVS))
    evidence.sql(TABLES_SQL, ROLE, tables, TABLE_PRIVS)
    have = {(r["name"], r["priv"]): r["granted"] for r in rows}
    evidence.have_want({f"{t}.{p}": g for (t, p), g in have.items()}, WANT_TABLE)
    findings = [differ(f"{ROLE} on {t}", p, have.get((t, p)), WANT_TABLE[p])
                for t in tables for p in TABLE_PRIVS]  # fmt: skip
    evidence.tally("table privileges as specified", sum(f is None for f in findings), len(findings))
    verdict("DOD-13", findings)


async def test_backend_role_uses_the_sequences_without_setting_them(role, db, expected, evidence):
    owners = [s["owned_by"] for s in expected.model["sequences"].values() if s["owned_by"]]
    assert owners, "DOD-13 expected.yaml: sequences have none, want the DDL's SERIAL columns"
    rows = [dict(r) for r in await db.fetch(SEQUENCES_SQL, ROLE, owners)]
    evidence.sql(SEQUENCES_SQL, ROLE, owners)
    want = {"usage": True, "select": True, "update": False}
    evidence.have_want(rows, want)
    verdict("DOD-13", [differ(f"{ROLE} on the sequence of {r['name']}", k, r[k], v)
                       for r in rows for k, v in want.items()])  # fmt: skip
