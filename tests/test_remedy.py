"""The fix heals what the diagnosis finds: every structural mutant of the mutation suite is
applied to a fresh database, its differences planned (remedy.plan), the rendered SQL file run
in one transaction as a DBA would (`psql -1`), and the catalog read and compared again. What
remains must be only what the plan left to a human (a DECISION). In-process, one shared
server; the tally is printed at the end: healed X/N, decisions D."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from supabase_acceptance import databases
from supabase_acceptance import expected as expected_state
from supabase_acceptance.apply import split
from supabase_acceptance.catalog import snapshot
from supabase_acceptance.client import connect
from supabase_acceptance.compare import Difference, Rules, diff
from supabase_acceptance.findings import HAZARDS, PHASES
from supabase_acceptance.model import Identity, Modelled
from supabase_acceptance.remedy import Remedy, measure, plan, remedies, render

from ._mutation import MUTANTS, has_expectation, mutate
from .conftest import PATHS, SCHEMA, pg_tool

# Structural mutants: not the deployment's (network, pooler), not those whose expectation is
# rendered from another DDL (expected_edits / expected_append).
STRUCTURAL = {
    name: m
    for name, m in MUTANTS.items()
    if m.get("kind") not in ("network", "pooler") and not has_expectation(m)
}
# Mutants whose only way back is a human choice, and why.
DECIDED = {
    "dod04_table_partitioned": "a partitioned table is rebuilt, rows copied",
    "cause_fk_not_valid_over_orphans": "orphan rows: VALIDATE would fail",
    "cause_duplicates_under_a_missing_unique": "duplicates: ADD UNIQUE would fail",
    "cause_nulls_in_a_not_null_column": "NULLs: SET NOT NULL would fail",
}
EXPECTED = expected_state.load_from(PATHS)
RULES = Rules.load(PATHS.dod_file, PATHS.equivalences_file, None)
DDL = split(SCHEMA.read_text())
HEADER = {"profile": "test", "database": "mutant", "generated at": "now", "fingerprint": "-"}
RESULTS: list[dict[str, Any]] = []


async def _differences(conn: asyncpg.Connection) -> tuple[Modelled, list[Difference]]:
    live = expected_state.live(await snapshot(conn), EXPECTED)
    return live, diff(EXPECTED.modelled, live, RULES)


def _failing(found: list[Difference]) -> list[Difference]:
    return [d for d in found if d.verdict == "fail"]


def _id(d: Difference) -> tuple[str, str, str]:
    return (d.kind, d.object, d.property)


async def _heal(conn: asyncpg.Connection) -> tuple[list[Remedy], str, list[Difference]]:
    """Plan, measure the previews, plan again, run the file in one transaction, compare."""
    live, before = await _differences(conn)
    first = remedies(EXPECTED.modelled, live, before, DDL)
    rows = await measure(conn, [r.finding for r in first])
    found = remedies(EXPECTED.modelled, live, before, DDL, rows=rows)
    text = render([r.finding for r in found], HEADER)
    async with conn.transaction():
        await conn.execute(text)
    _, after = await _differences(conn)
    return found, text, after


@pytest.mark.parametrize("name", STRUCTURAL)
async def test_the_plan_heals_the_mutant(name: str, server: Any, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.sql"
    path.write_text(mutate(SCHEMA.read_text(), STRUCTURAL[name]))
    async with databases.scratch(server, "remedy", ddl=path) as db:
        conn = await connect(db.dsn)
        try:
            _, before = await _differences(conn)
            found, text, after = await _heal(conn)
        finally:
            await conn.close()
    explained = [_id(d) for r in found for d in r.differences]
    assert sorted(explained) == sorted(_id(d) for d in _failing(before)), "one remedy each"
    decided = {_id(d) for r in found if r.decision for d in r.differences}
    left = [d for d in _failing(after) if _id(d) not in decided]
    decisions = sum(r.decision for r in found)
    RESULTS.append({"mutant": name, "healed": not left and not decisions, "decisions": decisions})
    shown = "\n".join(d.line for d in left)
    assert not left, f"{name}: the plan left\n{shown}\n--- plan ---\n{text}"
    assert bool(decisions) == (name in DECIDED), f"{name}: decisions {decisions}\n{text}"


def test_the_tally_of_the_mutation_suite(request: pytest.FixtureRequest) -> None:
    """Runs after the mutants (file order): the line the brief asks for."""
    if not RESULTS:
        pytest.skip("no mutant ran in this session")
    healed = sum(r["healed"] for r in RESULTS)
    decisions = sum(r["decisions"] for r in RESULTS)
    line = f"healed {healed}/{len(RESULTS)}, decisions {decisions}"
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\nremedy: {line}")
    print(line)
    assert healed + sum(r["decisions"] > 0 for r in RESULTS) == len(RESULTS)


# --- the plan and the file without a database -------------------------------------------------


def _drifted() -> tuple[Modelled, list[Difference]]:
    """The expected model with an extra column and a narrowed type, as live."""
    import copy

    live = copy.deepcopy(EXPECTED.model)
    live["columns"]["users.phone"] = dict(live["columns"]["users.full_name"])
    live["columns"]["users.email"] = {**live["columns"]["users.email"], "type": "text"}
    modelled = Modelled(live, _ids())
    return modelled, diff(EXPECTED.modelled, modelled, RULES)


def _ids() -> dict[str, dict[str, Identity]]:
    ids = {k: dict(v) for k, v in EXPECTED.identities.items()}
    ids["columns"]["users.phone"] = Identity("columns", "public", "users", "phone", "users.phone")
    return ids


def test_data_decides_a_destructive_or_narrowing_step() -> None:
    live, found = _drifted()
    unmeasured = {f.object: f for f in plan(EXPECTED.modelled, live, found, DDL)}
    drop = unmeasured["column users.phone"].fix[0]
    assert drop.decision, "a DROP COLUMN whose rows were not looked at is a DECISION"
    assert "DELETES_DATA" in drop.hazards
    assert drop.preview is not None
    assert '"users"' in drop.preview
    narrow = unmeasured["column users.email"].fix[0]
    assert not narrow.decision, "unmeasured, a narrowing that would fail runs (and rolls back)"
    assert narrow.preview is not None
    assert "length" in narrow.preview
    rows = {drop.preview: 3, narrow.preview: 1}
    measured = {f.object: f for f in plan(EXPECTED.modelled, live, found, DDL, rows=rows)}
    assert measured["column users.phone"].fix[0].decision
    assert measured["column users.email"].fix[0].decision, "longer values present: a DECISION"
    empty = {drop.preview: 0, narrow.preview: 0}
    cleared = {f.object: f for f in plan(EXPECTED.modelled, live, found, DDL, rows=empty)}
    assert not cleared["column users.phone"].fix[0].decision
    assert not cleared["column users.email"].fix[0].decision


def test_the_file_comments_out_decisions_and_names_hazards() -> None:
    live, found = _drifted()
    text = render(plan(EXPECTED.modelled, live, found, DDL), HEADER)
    lines = text.splitlines()
    assert lines[0].startswith("-- Remediation plan")
    assert all(f"-- {k}: {v}" in lines for k, v in HEADER.items())
    assert "psql -1" in text
    drop = next(n for n, ln in enumerate(lines) if 'DROP COLUMN "phone"' in ln)
    assert lines[drop].startswith("-- "), "a DECISION is commented out"
    assert any(ln.startswith("-- DECISION:") for ln in lines[drop - 8 : drop])
    assert any(ln.startswith("--   SELECT") for ln in lines[drop - 8 : drop]), "its preview"
    run = [ln for ln in lines if ln and not ln.startswith("--")]
    assert any('ALTER COLUMN "email" TYPE character varying(255)' in ln for ln in run)
    hazards = [ln.split(":", 2)[1].strip() for ln in lines if ln.startswith("-- hazards:")]
    assert hazards
    assert set(hazards) <= set(HAZARDS)
    phases = [ln.split()[2] for ln in lines if ln.startswith("-- ==== ")]
    assert phases == sorted(phases, key=PHASES.index), "statements in phase order"
    assert text.count("-- fixes: DOD-05 column users.") >= 2


def test_accepted_and_divergent_differences_get_no_statement() -> None:
    live, found = _drifted()
    soft = [Difference(**{**d.__dict__, "verdict": "divergence"}) for d in found]
    accepted = [Difference(**{**d.__dict__, "verdict": "accepted"}) for d in found]
    assert plan(EXPECTED.modelled, live, soft, DDL) == []
    assert plan(EXPECTED.modelled, live, accepted, DDL) == []
    assert "nothing to do" in render([], HEADER)


# --- beyond the mutation suite ------------------------------------------------------------------

# Several defects at once, one of them over data (the extra column holds a value): the file runs
# with psql -1 as it is, and only the DECISION's difference is left.
COMPOSITE = [
    "dod05_status_enum",
    "dod08_function_renamed",
    "dod09_unique_index_instead_of_constraint",
    "dod05_extra_column",
]
PHONE_ROW = (
    "INSERT INTO users (id, username, email, hashed_password, phone) "
    "VALUES ('u-1', 'u1', 'u1@example.com', 'h', '+5491100000000');"
)
# A primary key rebuilt under a foreign key that references it: the FK goes and comes back.
PK_UNDER_FK = """
ALTER TABLE tenant_user_identifiers DROP CONSTRAINT tenant_user_identifiers_tenant_id_fkey;
ALTER TABLE tenants DROP CONSTRAINT tenants_pkey;
ALTER TABLE tenants ADD PRIMARY KEY (id) INCLUDE (name);
ALTER TABLE tenant_user_identifiers ADD FOREIGN KEY (tenant_id) REFERENCES tenants(id)
    ON DELETE CASCADE;
"""


async def _database(server: Any, ddl: str, tmp: Path) -> databases.Database:
    path = tmp / "variant.sql"
    path.write_text(ddl)
    return await databases.create(server, label="remedy", ddl=path)


async def test_the_file_runs_with_psql_in_one_transaction(server: Any, tmp_path: Path) -> None:
    ddl = SCHEMA.read_text()
    for name in COMPOSITE:
        ddl = mutate(ddl, STRUCTURAL[name])
    db = await _database(server, ddl + "\n" + PHONE_ROW, tmp_path)
    try:
        conn = await connect(db.dsn)
        try:
            live, before = await _differences(conn)
            first = remedies(EXPECTED.modelled, live, before, DDL)
            rows = await measure(conn, [r.finding for r in first])
            found = remedies(EXPECTED.modelled, live, before, DDL, rows=rows)
            path = tmp_path / "plan.sql"
            path.write_text(render([r.finding for r in found], HEADER))
            psql = [pg_tool("psql"), "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(path)]
            ran = await asyncio.to_thread(
                subprocess.run, [*psql, db.dsn], capture_output=True, text=True, timeout=60
            )
            assert ran.returncode == 0, ran.stderr + path.read_text()
            _, after = await _differences(conn)
            phone = await conn.fetchval("SELECT phone FROM users WHERE id = 'u-1'")
        finally:
            await conn.close()
    finally:
        await databases.drop(db)
    decided = [r for r in found if r.decision]
    assert [r.finding.object for r in decided] == ["column users.phone"], path.read_text()
    assert [d.line for d in _failing(after)] == [d.line for d in decided[0].differences]
    assert phone == "+5491100000000", "a DECISION is not run: the value is still there"


async def test_a_primary_key_rebuilt_under_a_foreign_key(server: Any, tmp_path: Path) -> None:
    db = await _database(server, SCHEMA.read_text() + PK_UNDER_FK, tmp_path)
    try:
        conn = await connect(db.dsn)
        try:
            _, text, after = await _heal(conn)
        finally:
            await conn.close()
    finally:
        await databases.drop(db)
    assert not _failing(after), text
    fk = 'DROP CONSTRAINT "tenant_user_identifiers_tenant_id_fkey"'
    assert text.index(fk) < text.index('DROP CONSTRAINT "tenants_pkey"'), "the FK goes first"
    assert text.index('ADD CONSTRAINT "tenants_pkey"') < text.index(
        'ADD CONSTRAINT "tenant_user_identifiers_tenant_id_fkey"'
    ), "and comes back after"


async def test_the_rebuild_decision_taken_keeps_the_rows(server: Any, tmp_path: Path) -> None:
    """Uncommented, the partitioned table's rebuild heals it and keeps its rows and ids."""
    rows = "INSERT INTO lock_audit (lock_key, event_type) VALUES ('a', 'b'), ('c', 'd');"
    ddl = mutate(SCHEMA.read_text(), STRUCTURAL["dod04_table_partitioned"]) + "\n" + rows
    db = await _database(server, ddl, tmp_path)
    try:
        conn = await connect(db.dsn)
        try:
            live, before = await _differences(conn)
            found = remedies(EXPECTED.modelled, live, before, DDL)
            assert all(r.decision for r in found)
            async with conn.transaction():
                await conn.execute("\n".join(s.sql for r in found for s in r.finding.fix))
            _, after = await _differences(conn)
            kept = await conn.fetch("SELECT id, lock_key FROM lock_audit ORDER BY id")
            next_id = await conn.fetchval("SELECT nextval('public.lock_audit_id_seq')")
        finally:
            await conn.close()
    finally:
        await databases.drop(db)
    assert not _failing(after)
    assert [tuple(r) for r in kept] == [(1, "a"), (2, "c")]
    assert next_id == 3
