"""Justified divergences (schema/divergences.yaml): a matching difference is shown as accepted
with its reason and fails nothing; an entry that matches nothing is reported as stale; an
entry without its reason or author is a usage error."""

from __future__ import annotations

import json

from .conftest import SCHEMA

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
