"""Supabase advisories, beyond the DoD: what the Data API (anon/authenticated keys) can reach,
and the lints Supabase's dashboard shows (names and levels from its advisors). Findings go to
their own section of the sign-off; a test fails only under --advisories=strict, on an ERROR.

Exposure is proven by behaviour: inside one rolled-back transaction the harness inserts its
own row in each table, then SET LOCAL ROLE anon / authenticated try to read and write it.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from supabase_acceptance import advisories as adv

pytestmark = pytest.mark.advisory
LINTS = list(adv.config()["lints"])


@pytest.fixture(scope="module")
async def advised(db, target, harness, run_id, pytestconfig) -> dict[str, Any]:
    """Catalog (one query) + behaviour proof (one round trip) + lints, recorded for the run."""
    if harness.config.advisories == "off":
        pytest.skip("--advisories=off")
    cat = target.reads.get("advisories") or await adv.read_catalog(db)
    roles = adv.api_roles(cat)
    # no write on a read-only profile, nor when the selection excludes checks that write
    read_only = target.profile.read_only or "not writes" in (
        pytestconfig.getoption("markexpr") or ""
    )
    sql, proof, why = "", {}, ""
    if roles:
        try:
            sql, proof = await adv.prove(db, cat, roles, run_id, read_only)
        except asyncpg.PostgresError as exc:  # recorded, never a false alarm of the run
            why = f"the behaviour proof failed ({exc.sqlstate}: {exc}); findings from the catalog"
    result = adv.lint(cat, proof, proved=bool(roles) and not why, unproven_why=why,
                      read_only=read_only)  # fmt: skip
    run = harness.run
    if run is not None:
        run.advisories = {
            "mode": harness.config.advisories,
            "findings": [f.as_dict() for f in result.findings],
            "accepted": [f.as_dict() for f in result.accepted],
            "skipped": result.skipped,
            "behaviour": "read-only probe" if read_only else "read and write probes",
        }
    return {"catalog": cat, "roles": roles, "sql": sql, "result": result, "ro": read_only,
            "why": why}  # fmt: skip


def test_data_api_roles_by_behaviour(advised, evidence):
    """What anon and authenticated actually did on each table (the proof the findings quote)."""
    if not advised["roles"]:
        pytest.skip(adv.lint(advised["catalog"], {}, proved=False).skipped[adv.EXPOSURE[0]])
    proof = advised["result"].proof
    if not proof:  # the proof failed (recorded as the findings' skip reason) or no table
        pytest.skip(advised["why"] or "no table in the exposed schemas to prove anything on")
    evidence.sql(advised["sql"])
    evidence.facts("outcome per table and role", {
        table: {role: "; ".join(adv.say(a, v, advised["ro"]) for a, v in acts.items())
                for role, acts in roles.items()}
        for table, roles in proof.items()
    })  # fmt: skip


@pytest.mark.parametrize("name", LINTS)
def test_advisory(advised, evidence, harness_config, name):
    result = advised["result"]
    reasons = {k: v for k, v in result.skipped.items() if k.split(" ")[0] == name}
    if name in result.skipped:
        pytest.skip(result.skipped[name])
    found = result.of(name)
    evidence.sql(adv.CATALOG_SQL)
    evidence.facts(f"{name}: findings", [f.as_dict() for f in found] or "none")
    accepted = [f.as_dict() for f in result.accepted if f.name == name]
    if accepted:
        evidence.facts(f"{name}: accepted (object comment)", accepted)
    if reasons:
        evidence.facts("not proven by behaviour", reasons)
    errors = [f for f in found if f.level == "ERROR"]
    if harness_config.advisories == "strict" and errors:
        pytest.fail(
            "advisory " + "\n".join(f"{f.name} {f.object}: {f.detail}" for f in errors),
            pytrace=False,
        )
