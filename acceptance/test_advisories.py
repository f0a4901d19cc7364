"""Supabase advisories, beyond the DoD: what the Data API (anon/authenticated keys) can reach,
and the lints Supabase's dashboard shows (names and levels from its advisors). Findings go to
their own section of the sign-off; a test fails only under --advisories=strict, on an ERROR.

Exposure is proven by behaviour: inside one rolled-back transaction the harness inserts its
own row in each table, then SET LOCAL ROLE anon / authenticated try to read and write it.
The lint names (`lint`) come from schema/advisories.yaml through the harness (the plugin's
pytest_generate_tests): nothing is read when this module is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import pytest
from supabase_acceptance import advisories as adv
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.harness import Harness
from supabase_acceptance.target import Target

pytestmark = pytest.mark.advisory


@dataclass(frozen=True)
class Advised:
    """One run of the advisories: what was read, what was proven, what the lints found."""

    catalog: adv.Cat
    catalog_sql: str
    roles: list[str]  # the API roles that exist (none: not a Supabase project)
    proof_sql: str
    result: adv.Result
    read_only: bool  # the proof only read (read-only profile, or no write checks selected)
    unproven_why: str  # why the proof failed, if it did


@pytest.fixture(scope="module")
async def advised(
    db: asyncpg.Connection,
    target: Target,
    harness: Harness,
    run_id: str,
    pytestconfig: pytest.Config,
) -> Advised:
    """Catalog (one query) + behaviour proof (one round trip) + lints, recorded for the run."""
    if harness.config.advisories == "off":
        pytest.skip("--advisories=off")
    spec = harness.advisories
    cat = target.reads.get("advisories") or await adv.read_catalog(db, spec)
    roles = adv.api_roles(spec, cat)
    # no write on a read-only profile, nor when the selection excludes checks that write
    markexpr = pytestconfig.getoption("markexpr") or ""
    read_only = target.profile.read_only or "not writes" in markexpr
    sql, why = "", ""
    proof: adv.Outcome = {}
    if roles:
        try:
            sql, proof = await adv.prove(db, spec, cat, roles, run_id, read_only)
        except asyncpg.PostgresError as exc:  # recorded, never a false alarm of the run
            why = f"the behaviour proof failed ({exc.sqlstate}: {exc}); findings from the catalog"
    proved = bool(roles) and not why
    result = adv.lint(spec, cat, proof, proved=proved, unproven_why=why, read_only=read_only)
    run = harness.run
    if run is not None:
        run.advisories = {
            "mode": harness.config.advisories,
            "findings": [f.as_dict() for f in result.findings],
            "accepted": [f.as_dict() for f in result.accepted],
            "skipped": result.skipped,
            "behaviour": "read-only probe" if read_only else "read and write probes",
        }
    major = db.get_server_version().major
    return Advised(cat, adv.catalog_sql(spec, major), roles, sql, result, read_only, why)


def test_data_api_roles_by_behaviour(advised: Advised, evidence: Evidence) -> None:
    """What anon and authenticated actually did on each table (the proof the findings quote)."""
    if not advised.roles:
        pytest.skip(advised.result.skipped[adv.EXPOSURE[0]])
    proof = advised.result.proof
    if not proof:  # the proof failed (recorded as the findings' skip reason) or no table
        pytest.skip(advised.unproven_why or "no table in the exposed schemas to prove anything on")
    evidence.sql(advised.proof_sql)
    outcome = {
        table: {
            role: "; ".join(adv.say(a, v, advised.read_only) for a, v in acts.items())
            for role, acts in roles.items()
        }
        for table, roles in proof.items()
    }
    evidence.facts("outcome per table and role", outcome)


def test_advisory(advised: Advised, evidence: Evidence, harness: Harness, lint: str) -> None:
    """One lint of schema/advisories.yaml: its findings, accepted objects and skip reasons."""
    result = advised.result
    if lint in result.skipped:
        pytest.skip(result.skipped[lint])
    reasons = {k: v for k, v in result.skipped.items() if k.split(" ")[0] == lint}
    found = result.of(lint)
    evidence.sql(advised.catalog_sql)
    evidence.facts(f"{lint}: findings", [f.as_dict() for f in found] or "none")
    accepted = [f.as_dict() for f in result.accepted if f.name == lint]
    if accepted:
        evidence.facts(f"{lint}: accepted (object comment)", accepted)
    if reasons:
        evidence.facts("not proven by behaviour", reasons)
    errors = [f for f in found if f.level == "ERROR"]
    if harness.config.advisories == "strict" and errors:
        pytest.fail(
            "advisory " + "\n".join(f"{f.name} {f.object}: {f.detail}" for f in errors),
            pytrace=False,
        )
