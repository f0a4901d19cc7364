"""A red run leads straight to the fix: for each mutant whose cause lies outside the DDL's
text (settings, names, rows) and for a sample of structural ones, the run writes a plan,
`cli remediate` applies it through the pooler (refusing a plan of another catalog state), and
the next run — through a fresh pooler, as a recycled Supabase pooler would be — is SUCCESS,
or fails only where the plan left a DECISION to a person. The figures ("named X/N, healed
X/N, decisions X") are printed at the end of the session (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest
from supabase_acceptance.provision.pooler import pgbouncer

from ._mutation import FAILED, MUTANTS, drop, fresh, mutate
from .conftest import SCHEMA, cli, loopback, pooler_on

pooler = pooler_on(8)
HEAL_RESULTS: list[dict[str, Any]] = []  # printed by conftest.pytest_terminal_summary

# Every mutant of a cause outside the DDL's text, and structural ones of each kind of fix.
# Every mutant of a cause outside the DDL's text, and structural ones of each kind of fix (the
# in-process tests/test_remedy.py heals every structural mutant; these go through the pooler).
STRUCTURAL = (
    "dod04_table_missing",
    "dod05_email_text",
    "dod05_hashed_password_nullable",
    "dod06_index_missing",
    "dod07_sessions_restrict",
    "dod07_foreign_key_not_validated",
    "dod08_trigger_disabled",
    "dod09_token_jti_not_unique",
    "dod10_rule_do_also",
    "dod12_table_comment_missing",
)
SAMPLE = [n for n in MUTANTS if n.startswith("cause_") or n in STRUCTURAL]
assert set(STRUCTURAL) <= set(MUTANTS), sorted(set(STRUCTURAL) - set(MUTANTS))


def _summary(path: Path) -> dict[str, Any]:
    return json.loads((path / "reports" / "latest-staging.json").read_text())


def _targets(mutant: dict[str, Any]) -> list[str]:
    return list(mutant["items"]) if "items" in mutant else [mutant["item"]]


@pytest.mark.parametrize("name", SAMPLE)
def test_the_plan_of_a_red_run_turns_it_green(name, server, pooler, run_acceptance, pytester):
    mutant = MUTANTS[name]
    database = f"heal_{list(MUTANTS).index(name)}_{os.getpid()}"
    asyncio.run(fresh(server, database, mutate(SCHEMA.read_text(), mutant), pytester.path))
    try:
        url = pooler.dsn(server, database)
        run_acceptance("-m", "supabase", "--database-url", url)
        first = _summary(pytester.path)
        named = {c["item"] for c in first["root_causes"]} >= set(_targets(mutant))
        plan = pytester.path / "reports" / "latest-staging-remediation.sql"
        assert plan.exists(), f"{name}: a red run wrote no plan: {first['status']}"
        applied = cli("remediate", "--env", "staging", "--plan", str(plan), "--database-url", url)
        assert applied.returncode == 0, f"{name}: {applied.stderr}\n{plan.read_text()}"
        # the settings fixed at database level reach new server connections only
        with pgbouncer(server, host=loopback(8, 2), port=6543) as recycled:
            run_acceptance("-m", "supabase", "--database-url", recycled.dsn(server, database))
        second = _summary(pytester.path)
    finally:
        asyncio.run(drop(server, database))
    causes = second["root_causes"]
    decided = [c for c in causes if c["fix"] and all(s["decision"] for s in c["fix"])]
    left = sorted({t["item"] for t in second["tests"] if t["outcome"] in FAILED})
    healed = second["status"] == "SUCCESS"
    HEAL_RESULTS.append(
        {"mutant": name, "named": named, "healed": healed, "decisions": len(decided)}
    )
    assert named, f"{name}: root causes {[c['headline'] for c in first['root_causes']]}"
    # what is left is a person's choice: every remaining cause's fix is a DECISION, and every
    # failing check is one of those causes' own or a symptom they explain
    explained = {n for c in causes for n in c["explains"]}
    owned = {c["item"] for c in causes}
    unexplained = [
        t["nodeid"]
        for t in second["tests"]
        if t["outcome"] in FAILED and t["nodeid"] not in explained and t["item"] not in owned
    ]
    assert healed or (causes == decided and not unexplained), (
        f"{name}: after the plan: {second['status']}, failing {left}, causes "
        f"{[c['headline'] for c in causes]}, unexplained {unexplained}\n{plan.read_text()}"
    )


def test_a_plan_is_refused_on_another_catalog_state(server, pooler, run_acceptance, pytester):
    """The plan records the catalog state it was made for: a database changed since (here,
    one more index) is not touched."""
    mutant = MUTANTS["cause_sequence_behind_imported_tenants"]
    database = f"heal_stale_{os.getpid()}"
    asyncio.run(fresh(server, database, mutate(SCHEMA.read_text(), mutant), pytester.path))
    try:
        url = pooler.dsn(server, database)
        run_acceptance("-m", "supabase", "--database-url", url)
        plan = pytester.path / "reports" / "latest-staging-remediation.sql"
        asyncio.run(_fresh_index(server.dsn(database)))
        refused = cli("remediate", "--env", "staging", "--plan", str(plan), "--database-url", url)
    finally:
        asyncio.run(drop(server, database))
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "catalog state" in lines[0], refused.stderr


def test_production_is_never_remediated_without_its_flag(pytester):
    plan = pytester.path / "plan.sql"
    plan.write_text("-- fingerprint: sha256:0\nSELECT 1;\n")
    url = "postgresql://u:secret@127.0.0.1:6543/db?sslmode=require"
    refused = cli("remediate", "--env", "production", "--plan", str(plan), "--database-url", url)
    assert refused.returncode == 2
    assert "refusing" in refused.stderr
    assert "secret" not in refused.stderr


async def _fresh_index(dsn: str) -> None:
    from supabase_acceptance.client import connect

    conn = await connect(dsn)
    try:
        await conn.execute("CREATE INDEX idx_extra_after_the_run ON public.tenants (name)")
    finally:
        await conn.close()
