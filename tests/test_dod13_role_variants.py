"""DOD-13 exercised for real (issue 8): the role of schema/role.yaml created as the DDL's
commented block says, then broken in the ways a hand-made role is broken. Roles are
cluster-wide and the check looks for that one name, so the tests run one at a time: create,
run DOD-13 through the pooler, drop the database, then the role. First, role.yaml (written by
hand) is proven to say what the block grants."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pglast
import pytest
from pglast import ast
from supabase_acceptance.client import connect
from supabase_acceptance.expected import load_from
from supabase_acceptance.provision import Server
from supabase_acceptance.provision.pooler import Pooler, pgbouncer

from ._mutation import FAILED, drop, fresh, host
from .conftest import PATHS, SCHEMA

SPEC = load_from(PATHS).role  # schema/role.yaml
ROLE = SPEC.name
Run = Callable[..., pytest.RunResult]
# variant: (SQL after the DDL's role block, words DOD-13's failure must contain); aligned by
# hand, one variant a line, so the table reads as one (ruff format would split each pair)
BROKEN = {
    "extra_truncate": (
        f"GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {ROLE};",
        ["TRUNCATE have True, want False"],
    ),
    "extra_create_on_public": (
        f"GRANT CREATE ON SCHEMA public TO {ROLE};",
        ["create_on_public have True, want False"],
    ),
    "missing_delete_on_users": (
        f"REVOKE DELETE ON users FROM {ROLE};",
        ["on users", "DELETE have False, want True"],
    ),
    "superuser": (f"ALTER ROLE {ROLE} SUPERUSER;", ["superuser have True, want False"]),
    "cannot_log_in": (f"ALTER ROLE {ROLE} NOLOGIN;", ["login have False, want True"]),
    "sets_the_sequences": (
        f"GRANT UPDATE ON ALL SEQUENCES IN SCHEMA public TO {ROLE};",
        ["sequence", "update have True, want False"],
    ),
    "no_sequence_privileges": (
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE};",
        ["sequence", "usage have False, want True"],
    ),
}
# CREATE ROLE options (pglast DefElem names) -> role.yaml attributes
CREATE_ROLE_OPTIONS = {
    "canlogin": "login",
    "superuser": "superuser",
    "createdb": "createdb",
    "createrole": "createrole",
    "bypassrls": "bypassrls",
}


def role_block(database: str) -> str:
    """The DDL's commented /* ... */ block under role.yaml's header, for `database`."""
    match = re.search(re.escape(SPEC.block) + r".*?/\*(.*?)\*/", SCHEMA.read_text(), re.S)
    assert match, f"schema.sql has no commented block under {SPEC.block!r}"
    return match.group(1).replace("ON DATABASE postgres", f'ON DATABASE "{database}"')


def granted_by_the_block() -> dict[str, Any]:
    """What the block creates and grants, read from its parse tree, in role.yaml's terms:
    whatever it does not grant is false (DOD-13: "and nothing more")."""
    options: dict[str, bool] = {}
    grants: dict[str, set[str]] = {}
    names = []
    for raw in pglast.parse_sql(role_block("postgres")):
        stmt = raw.stmt
        if isinstance(stmt, ast.CreateRoleStmt):
            names.append(stmt.role)
            given = stmt.options or ()
            options |= {o.defname: bool(getattr(o.arg, "boolval", True)) for o in given}
        elif isinstance(stmt, ast.GrantStmt) and stmt.is_grant and stmt.objtype is not None:
            on = stmt.objtype.name.removeprefix("OBJECT_").lower()
            privileges = stmt.privileges or ()  # None: ALL PRIVILEGES, then role.yaml disagrees
            grants.setdefault(on, set()).update(p.priv_name.upper() for p in privileges)
    attributes = {mine: options.get(theirs, False) for theirs, mine in CREATE_ROLE_OPTIONS.items()}
    attributes |= {
        "create_on_database": "CREATE" in grants.get("database", set()),
        "create_on_public": "CREATE" in grants.get("schema", set()),
        "usage_on_public": "USAGE" in grants.get("schema", set()),
    }
    return {
        "name": names,
        "attributes": attributes,
        "tables": {p: p in grants.get("table", set()) for p in SPEC.tables},
        "sequences": {p: p.upper() in grants.get("sequence", set()) for p in SPEC.sequences},
        "granted on tables": grants.get("table", set()),
        "granted on sequences": grants.get("sequence", set()),
    }


def test_role_yaml_says_what_the_ddls_role_block_grants() -> None:
    block = granted_by_the_block()
    wanted = {
        "name": [SPEC.name],
        "attributes": SPEC.attributes,
        "tables": SPEC.tables,
        "sequences": SPEC.sequences,
        "granted on tables": {p for p, v in SPEC.tables.items() if v},
        "granted on sequences": {p.upper() for p, v in SPEC.sequences.items() if v},
    }
    assert wanted == block


@pytest.fixture(scope="module")
def pooler(server: Server) -> Iterator[Pooler]:
    with pgbouncer(server, host=host(5), port=6543) as bouncer:
        yield bouncer


async def _drop_role(server: Server) -> None:
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


def _run_dod13(
    server: Server,
    pooler: Pooler,
    run_acceptance: Run,
    pytester: pytest.Pytester,
    ddl: str,
    extra: str,
) -> dict[str, Any]:
    """A database with `ddl`, the role block and `extra`: the DOD-13 tests' JSON records."""
    database = f"role_{os.getpid()}"
    asyncio.run(_drop_role(server))
    sql = f"{ddl}\n{role_block(database)}\n{extra}\n"
    try:
        asyncio.run(fresh(server, database, sql, pytester.path))
        url = pooler.dsn(server, database)
        run_acceptance("-m", "supabase", "--database-url", url, modules=("test_dod13_role.py",))
    finally:
        asyncio.run(drop(server, database))
        asyncio.run(_drop_role(server))
    summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    tests = [t for t in summary["tests"] if t["item"] == "DOD-13"]
    return {"tests": tests, "row": next(r for r in summary["signoff"] if r["item"] == "DOD-13")}


def test_role_as_the_ddl_creates_it_passes(
    server: Server, pooler: Pooler, run_acceptance: Run, pytester: pytest.Pytester
) -> None:
    got = _run_dod13(server, pooler, run_acceptance, pytester, SCHEMA.read_text(), "")
    outcomes = {t["nodeid"].split("::")[-1]: t["outcome"] for t in got["tests"]}
    assert len(outcomes) >= 3, outcomes
    assert set(outcomes.values()) == {"passed"}, json.dumps(got["tests"], indent=1)[:3000]
    assert got["row"]["verdict"] == "pass"


@pytest.mark.parametrize("variant", BROKEN)
def test_broken_role_fails_dod13_naming_the_privilege(
    variant: str, server: Server, pooler: Pooler, run_acceptance: Run, pytester: pytest.Pytester
) -> None:
    extra, words = BROKEN[variant]
    got = _run_dod13(server, pooler, run_acceptance, pytester, SCHEMA.read_text(), extra)
    said = "\n".join(t["message"] for t in got["tests"] if t["outcome"] in FAILED)
    assert got["row"]["verdict"] == "fail", f"{variant}: DOD-13 {got['row']['verdict']}"
    assert not [w for w in words if w not in said], f"{variant}: DOD-13 said:\n{said}"


def test_a_database_without_sequences_fails_the_sequence_check(
    server: Server, pooler: Pooler, run_acceptance: Run, pytester: pytest.Pytester
) -> None:
    """No SERIAL, no sequence: the sequence check has nothing to look at and must fail rather
    than pass over an empty list."""
    ddl = SCHEMA.read_text().replace("SERIAL PRIMARY KEY", "INTEGER PRIMARY KEY")
    got = _run_dod13(server, pooler, run_acceptance, pytester, ddl, "")
    seq = [t for t in got["tests"] if "sequence" in t["nodeid"]]
    assert seq, "no DOD-13 sequence check ran"
    assert {t["outcome"] for t in seq} <= set(FAILED), json.dumps(seq, indent=1)
    assert got["row"]["verdict"] == "fail"
