"""DOD-13 Least-privilege role (optional): if role agente_backend exists, it can log in, has
SELECT/INSERT/UPDATE/DELETE on the six tables and USAGE/SELECT on their sequences, and nothing
more (not superuser, no CREATE, no DDL). Read-only catalog checks, one round trip for all."""

import pytest

from fixtures.catalog import read_json
from fixtures.verdict import differ, verdict

pytestmark = pytest.mark.dod("DOD-13")
ROLE = "agente_backend"
TABLE_PRIVS = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
WANT_TABLE = {"SELECT": True, "INSERT": True, "UPDATE": True, "DELETE": True,
              "TRUNCATE": False, "REFERENCES": False, "TRIGGER": False}  # fmt: skip
WANT_ROLE = {"login": True, "superuser": False, "createdb": False, "createrole": False,
             "bypassrls": False, "create_on_database": False, "create_on_public": False,
             "usage_on_public": True}  # fmt: skip
WANT_SEQUENCE = {"usage": True, "select": True, "update": False}

# The sequences are found from the DDL's columns (their names are generated).
ROLE_SQL = """
SELECT json_build_object(
 'role', (SELECT json_build_object('login', r.rolcanlogin, 'superuser', r.rolsuper,
   'createdb', r.rolcreatedb, 'createrole', r.rolcreaterole, 'bypassrls', r.rolbypassrls,
   'create_on_database', has_database_privilege(r.rolname, current_database(), 'CREATE'),
   'create_on_public', has_schema_privilege(r.rolname, 'public', 'CREATE'),
   'usage_on_public', has_schema_privilege(r.rolname, 'public', 'USAGE'))
   FROM pg_roles r WHERE r.rolname = {role}),
 'tables', (SELECT coalesce(json_agg(json_build_object('table', t.name, 'priv', p.priv,
   'granted', to_regclass(format('public.%I', t.name)) IS NOT NULL
              AND has_table_privilege({role}, format('public.%I', t.name), p.priv))), '[]')
   FROM unnest({tables}::text[]) t(name), unnest({privs}::text[]) p(priv)
   WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = {role})),
 'sequences', (SELECT coalesce(json_agg(json_build_object('column', o.owner,
   'usage', s.seq IS NOT NULL AND has_sequence_privilege({role}, s.seq, 'USAGE'),
   'select', s.seq IS NOT NULL AND has_sequence_privilege({role}, s.seq, 'SELECT'),
   'update', s.seq IS NOT NULL AND has_sequence_privilege({role}, s.seq, 'UPDATE'))), '[]')
   FROM unnest({owners}::text[]) o(owner),
   LATERAL (SELECT CASE WHEN to_regclass(format('public.%I', split_part(o.owner, '.', 1)))
                        IS NOT NULL THEN pg_get_serial_sequence(
                          format('public.%I', split_part(o.owner, '.', 1)),
                          split_part(o.owner, '.', 2)) END AS seq) s
   WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = {role})))"""


def _literal(value: str | list[str]) -> str:
    if isinstance(value, list):
        return "ARRAY[" + ", ".join(_literal(v) for v in value) + "]::text[]"
    return "'" + value.replace("'", "''") + "'"


@pytest.fixture(scope="module")
async def role(db, expected):
    owners = [s["owned_by"] for s in expected.model["sequences"].values() if s["owned_by"]]
    sql = ROLE_SQL.format(role=_literal(ROLE), tables=_literal(list(expected.tables)),
                          privs=_literal(list(TABLE_PRIVS)), owners=_literal(owners))  # fmt: skip
    found = await read_json(db, sql)
    if found["role"] is None:
        pytest.skip(f"optional: role {ROLE} does not exist (the DDL's role block is commented out)")
    return found | {"sql": sql, "owners": owners}


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
