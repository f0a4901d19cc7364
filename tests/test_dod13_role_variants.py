"""DOD-13 exercised for real (issue 8): the role agente_backend created as the DDL's commented
block says, then broken in the ways a hand-made role is broken. Roles are cluster-wide and the
check looks for that one name, so the tests run one at a time: create, run DOD-13 through the
pooler, drop the database, then the role."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator

import pytest
from supabase_acceptance.client import connect
from supabase_acceptance.provision.pooler import pgbouncer

from .conftest import SCHEMA
from .test_mutants import FAILED, _drop, _fresh, _host

ROLE = "agente_backend"
# variant: (SQL after the DDL's role block, words DOD-13's failure must contain)
BROKEN = {
    "extra_truncate": ("GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO agente_backend;",
                       ["TRUNCATE have True, want False"]),
    "extra_create_on_public": ("GRANT CREATE ON SCHEMA public TO agente_backend;",
                               ["create_on_public have True, want False"]),
    "missing_delete_on_users": ("REVOKE DELETE ON users FROM agente_backend;",
                                ["on users", "DELETE have False, want True"]),
    "superuser": ("ALTER ROLE agente_backend SUPERUSER;", ["superuser have True, want False"]),
    "cannot_log_in": ("ALTER ROLE agente_backend NOLOGIN;", ["login have False, want True"]),
    "sets_the_sequences": ("GRANT UPDATE ON ALL SEQUENCES IN SCHEMA public TO agente_backend;",
                           ["sequence", "update have True, want False"]),
    "no_sequence_privileges": ("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM agente_backend;",
                               ["sequence", "usage have False, want True"]),
}  # fmt: skip


def role_block(database: str) -> str:
    """The DDL's commented /* ... */ block under "ROLES Y PERMISOS", for `database`."""
    match = re.search(r"ROLES Y PERMISOS.*?/\*(.*?)\*/", SCHEMA.read_text(), re.S)
    assert match, "schema.sql has no commented role block"
    return match.group(1).replace("ON DATABASE postgres", f'ON DATABASE "{database}"')


@pytest.fixture(scope="module")
def pooler(server) -> Iterator:
    with pgbouncer(server, host=_host(5), port=6543) as bouncer:
        yield bouncer


async def _drop_role(server) -> None:
    admin = await connect(server.dsn())
    try:
        for db in await admin.fetch("SELECT datname FROM pg_database WHERE datallowconn"):
            conn = await connect(server.dsn(db["datname"]))
            try:  # privileges and default privileges live per database
                if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", ROLE):
                    await conn.execute(f"DROP OWNED BY {ROLE}")
            finally:
                await conn.close()
        await admin.execute(f"DROP ROLE IF EXISTS {ROLE}")
    finally:
        await admin.close()


def _run_dod13(server, pooler, run_acceptance, pytester, ddl: str, extra: str) -> dict:
    """A database with `ddl`, the role block and `extra`: the DOD-13 tests' JSON records."""
    database = f"role_{os.getpid()}"
    asyncio.run(_drop_role(server))
    sql = f"{ddl}\n{role_block(database)}\n{extra}\n"
    try:
        asyncio.run(_fresh(server, database, sql, pytester.path))
        run_acceptance("-m", "supabase", "--database-url", pooler.dsn(server, database),
                       modules=("test_dod13_role.py",))  # fmt: skip
    finally:
        asyncio.run(_drop(server, database))
        asyncio.run(_drop_role(server))
    summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    return {"tests": [t for t in summary["tests"] if t["item"] == "DOD-13"],
            "row": next(r for r in summary["signoff"] if r["item"] == "DOD-13")}  # fmt: skip


def test_role_as_the_ddl_creates_it_passes(server, pooler, run_acceptance, pytester):
    got = _run_dod13(server, pooler, run_acceptance, pytester, SCHEMA.read_text(), "")
    outcomes = {t["nodeid"].split("::")[-1]: t["outcome"] for t in got["tests"]}
    assert len(outcomes) >= 3, outcomes
    assert set(outcomes.values()) == {"passed"}, json.dumps(got["tests"], indent=1)[:3000]
    assert got["row"]["verdict"] == "pass"


@pytest.mark.parametrize("variant", BROKEN)
def test_broken_role_fails_dod13_naming_the_privilege(
    variant, server, pooler, run_acceptance, pytester
):
    extra, words = BROKEN[variant]
    got = _run_dod13(server, pooler, run_acceptance, pytester, SCHEMA.read_text(), extra)
    said = "\n".join(t["message"] for t in got["tests"] if t["outcome"] in FAILED)
    assert got["row"]["verdict"] == "fail", f"{variant}: DOD-13 {got['row']['verdict']}"
    assert not [w for w in words if w not in said], f"{variant}: DOD-13 said:\n{said}"


def test_a_database_without_sequences_fails_the_sequence_check(
    server, pooler, run_acceptance, pytester
):
    """No SERIAL, no sequence: the sequence check has nothing to look at and must fail rather
    than pass over an empty list."""
    ddl = SCHEMA.read_text().replace("SERIAL PRIMARY KEY", "INTEGER PRIMARY KEY")
    got = _run_dod13(server, pooler, run_acceptance, pytester, ddl, "")
    seq = [t for t in got["tests"] if "sequence" in t["nodeid"]]
    assert seq, "no DOD-13 sequence check ran"
    assert {t["outcome"] for t in seq} <= set(FAILED), json.dumps(seq, indent=1)
    assert got["row"]["verdict"] == "fail"
