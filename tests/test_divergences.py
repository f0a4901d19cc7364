"""Justified divergences (schema/divergences.yaml): a matching difference is shown as accepted
with its reason and fails nothing; an entry that matches nothing is reported as stale; an
entry without its reason or author is a usage error. The harness's own recommendation
(schema/hardening.sql) is accepted with no flag, its divergences listed with their reason."""

from __future__ import annotations

import asyncio
import json
import os

from supabase_acceptance import databases
from supabase_acceptance.apply import apply_file

from .conftest import SCHEMA, pooler_on

LIKE = SCHEMA.parent / "supabase_like.sql"
HARDENING = SCHEMA.parent / "hardening.sql"
pooler = pooler_on(5)

ENTRIES = """\
- object: users
  property: options
  have: [fillfactor=80]
  reason: room on the page for HOT updates of users
  who: DBA, 2026-11-20
- object: update_updated_at_column()
  property: config
  reason: no longer applies
  who: DBA, 2025-01-01
"""


def _summary(pytester) -> dict:
    return json.loads((pytester.path / "reports" / "latest-local.json").read_text())


def test_a_justified_divergence_is_accepted_with_its_reason_and_a_stale_one_reported(
    run_acceptance, pytester, tmp_path
):
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA.read_text() + "\nALTER TABLE users SET (fillfactor=80);\n")
    justified = tmp_path / "divergences.yaml"
    justified.write_text(ENTRIES)
    result = run_acceptance(
        "-m", "local", "--schema-file", str(schema), "--divergences-file", str(justified)
    )
    summary = _summary(pytester)
    assert result.ret == 0, result.stdout.str()[-2000:]
    (accepted,) = summary["divergences"]
    assert accepted["verdict"] == "accepted"
    assert "HOT updates" in accepted["reason"]
    assert "DBA, 2026-11-20" in accepted["reason"]
    row = next(r for r in summary["signoff"] if r["item"] == "DOD-04")
    assert "accepted divergence: table users: options" in row["key_fact"]
    assert [e["property"] for e in summary["stale_justifications"]] == ["config"]
    md = (pytester.path / "reports" / "latest-local.md").read_text()
    assert "stale justification: update_updated_at_column() config" in md


def test_without_the_justification_the_same_divergence_is_listed_not_failed(
    run_acceptance, pytester, tmp_path
):
    schema = tmp_path / "schema.sql"
    schema.write_text(SCHEMA.read_text() + "\nALTER TABLE users SET (fillfactor=80);\n")
    result = run_acceptance("-m", "local", "--schema-file", str(schema))
    (listed,) = _summary(pytester)["divergences"]
    assert result.ret == 0
    assert (listed["verdict"], listed["item"], listed["property"]) == (
        "divergence",
        "DOD-04",
        "options",
    )


def test_an_entry_without_reason_is_one_usage_error(run_acceptance, tmp_path):
    bad = tmp_path / "divergences.yaml"
    bad.write_text("- {object: users, property: options}\n")
    result = run_acceptance("-m", "local", "--divergences-file", str(bad))
    assert result.ret == 4
    assert "entry 1 lacks ['reason', 'who']" in result.stderr.str()


async def _hardened(conn) -> None:
    """A Supabase project on the old privilege defaults, schema.sql, then hardening.sql."""
    await conn.execute("SET supabase_like.defaults = 'old'")
    for f in (LIKE, SCHEMA, HARDENING):
        await apply_file(conn, f)


def test_the_harness_accepts_its_own_hardening_with_no_flag(
    server, pooler, run_acceptance, pytester
):
    """schema.sql + hardening.sql through the pooler, no --divergences-file: SUCCESS; every
    difference hardening.sql makes (the function's SET search_path, RLS enabled, its policies
    and comments) is an accepted divergence with its reason, the harness's recommendation."""
    name = f"hardened_{os.getpid()}"
    asyncio.run(databases.create(server, name, setup=_hardened))
    try:
        result = run_acceptance("-m", "supabase", "--database-url", pooler.dsn(server, name))
    finally:
        asyncio.run(databases.drop(databases.Database(server, name)))
    summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert summary["status"] == "SUCCESS"
    found = summary["divergences"]
    assert [d for d in found if d["verdict"] != "accepted" or not d["recommended"]] == []
    said = {(d["kind"], d["property"]) for d in found}
    assert said >= {
        ("functions", "config"),
        ("tables", "rls"),
        ("policies", "exists"),
        ("comments", "exists"),
    }
    config = next(d for d in found if d["property"] == "config")
    assert "pins search_path" in config["reason"]
    assert all(
        "the harness's own recommendation, schema/hardening.sql" in d["reason"] for d in found
    )
    assert len([d for d in found if d["property"] == "rls"]) == 6
    assert summary["stale_justifications"] == []
