"""Each SQL file of the package (fixtures/supabase_acceptance/sql/) has its own test, in the
style of splinter's: tests/sql/<name>/ holds

- input.sql: a small schema and rows, run first in a scratch database of the test server;
- query.sql (optional): the SQL whose JSON value is checked (fragments and probe helpers need
  a call; a catalog or advisories file is its own query, under its document's scope);
- case.json (optional): {"params": {name: SQL text}, "mask": [keys whose values vary by run]};
- expected.json: the JSON value, compared exactly (after masking what varies per run: oids
  named in `mask`, the connected role's name, uuids, timestamps of the run's own clock).

<name> is the file's path under sql/ with '.' for '/': catalog.tables is sql/catalog/tables.sql.
To write the expected outputs again after a deliberate change, run

    REGENERATE_SQL_EXPECTED=1 pytest tests/test_sql_files.py

and review the diff of tests/sql/*/expected.json before committing it.
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from supabase_acceptance import catalog, probes, sqlfiles
from supabase_acceptance.advisories import catalog as advisories

CASES = Path(__file__).parent / "sql"
REGENERATE = os.environ.get("REGENERATE_SQL_EXPECTED") == "1"
RUN_ID = "abc123"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NOW = re.compile(r"20[2-9]\d-\d\d-\d\d[T ]\d\d:\d\d:\d\d[.\d]*([+-]\d\d(:\d\d)?)?")


def sql_files() -> list[str]:
    """Every SQL file the package carries, by case name (catalog.tables, role, ...)."""
    root = resources.files("supabase_acceptance").joinpath("sql")
    names: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}.")
            elif child.name.endswith(".sql"):
                names.append(prefix + child.name.removesuffix(".sql"))

    walk(root, "")
    return sorted(names)


def is_tested(name: str) -> bool:
    """A document's scope.sql is tested through each of its parts."""
    return not name.endswith(".scope")


def query(name: str, case: Path, params: dict[str, str]) -> tuple[str, str]:
    """(kind, SQL) of a case: kind `read` runs as the catalog is read (read_json), `probe`
    inside a transaction holding the probe helpers, rolled back."""
    given = case / "query.sql"
    own = sqlfiles.render(given.read_text(), params) if given.exists() else None
    directory, _, key = name.rpartition(".")
    if directory == "probes":
        assert own is not None, f"{case}: a probe helper's case needs query.sql (the call)"
        return "probe", own
    if own is not None:
        return "read", own
    if directory == "catalog":
        return "read", catalog.DOCUMENT.part(key)
    if directory == "advisories":
        return "read", advisories.DOCUMENT.part(key, **params)
    return "read", sqlfiles.load(name, **params)


def masked(value: Any, keys: set[str], user: str) -> Any:
    if isinstance(value, dict):
        return {
            k: "<varies>" if k in keys and v is not None else masked(v, keys, user)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [masked(v, keys, user) for v in value]
    if isinstance(value, str):
        value = value.replace(user, "<current_user>") if user else value
        return _NOW.sub("<now>", _UUID.sub("<uuid>", value))
    return value


async def run_case(conn: Any, name: str) -> Any:
    case = CASES / name
    spec = json.loads((case / "case.json").read_text()) if (case / "case.json").exists() else {}
    await conn.execute((case / "input.sql").read_text())
    kind, sql = query(name, case, spec.get("params", {}))
    user = await conn.fetchval("SELECT current_user")
    if kind == "read":
        got = await catalog.read_json(conn, sql)
    else:  # as probes.script runs it: SET LOCALs, the helpers, the case; all rolled back
        base = 1_000_000_000 + int(RUN_ID, 16) % 1_000_000 * 1000
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(
                f"SET LOCAL acc.tag = 'Acc{RUN_ID.upper()}'; SET LOCAL acc.base = '{base}';"
                f"SET LOCAL search_path = {probes.PROBE_PATH};\n{probes.helpers()}"
            )
            got = json.loads(await conn.fetchval(f"SELECT ({sql})::text"))
        finally:
            await tx.rollback()
    return masked(got, set(spec.get("mask", [])), user)


def test_every_sql_file_has_its_own_case():
    have = sorted(p.name for p in CASES.iterdir() if p.is_dir())
    want = [n for n in sql_files() if is_tested(n)]
    assert have == want


def test_the_assembled_queries_leave_no_placeholder():
    spec = {"exposed_schemas": "ARRAY['public']", "api_roles": "ARRAY['anon']"}
    texts = [
        catalog.snapshot_sql(),
        catalog.server_facts_sql(),
        probes.helpers(),
        advisories.DOCUMENT.sql(**spec, backend_roles="ARRAY[]", nulls_not_distinct=""),
    ]
    assert not [t for t in texts if re.search(r"\{\{\s*\w", t)]


def test_the_package_data_carries_the_sql_files():
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    dirs = {n.rpartition(".")[0] for n in sql_files()}
    globs = set(re.findall(r'"(sql/[^"]*\*\.sql)"', pyproject))
    assert {f"sql/{d.replace('.', '/')}/*.sql" if d else "sql/*.sql" for d in dirs} <= globs


@pytest.mark.parametrize("name", [n for n in sql_files() if is_tested(n)])
async def test_sql_file(name, fresh_db):
    got = await run_case(await fresh_db(), name)
    expected = CASES / name / "expected.json"
    if REGENERATE:
        expected.write_text(json.dumps(got, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    assert got == json.loads(expected.read_text())
