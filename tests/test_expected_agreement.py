"""schema.sql applied to an empty database yields exactly the model in expected.yaml, and the
rules of the comparison (ownership, equivalences, justifications) are well-formed data."""

from __future__ import annotations

import subprocess
import sys

import yaml
from supabase_acceptance.apply import apply_file
from supabase_acceptance.catalog import snapshot
from supabase_acceptance.compare import Rules, diff
from supabase_acceptance.expected import load_from, render
from supabase_acceptance.model import Modelled

from .conftest import IMAGE, PATHS, ROOT, SCHEMA


async def test_schema_sql_yields_exactly_expected_yaml(fresh_db):
    conn = await fresh_db()
    await apply_file(conn, SCHEMA)
    rendered, want = render(await snapshot(conn)), load_from(PATHS).model
    for kind in want:
        assert rendered[kind] == want[kind], f"expected.yaml section {kind} drifted"
    assert set(rendered) == set(want)


async def test_an_empty_database_does_not_match(fresh_db):
    """The agreement test can fail: an empty catalog renders to nothing of the expected."""
    rendered = render(await snapshot(await fresh_db()))
    assert rendered["tables"] == {} != load_from(PATHS).model["tables"]


def test_the_documented_regenerate_command_reproduces_the_file(tmp_path):
    out = tmp_path / "expected.yaml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "supabase_acceptance.expected",
            "--out",
            str(out),
            "--pg-image",
            IMAGE,
        ],
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert yaml.safe_load(out.read_text()) == yaml.safe_load(PATHS.expected_file.read_text())


def test_forbidden_tables_are_not_canonical_tables():
    exp = load_from(PATHS)
    assert exp.forbidden_tables
    assert not set(exp.forbidden_tables) & set(exp.tables)


def test_every_property_of_the_model_has_an_owner_item():
    """No property can be forgotten: each one the model records maps to a DoD item."""
    rules = Rules.load(PATHS.dod_file, PATHS.equivalences_file, None)
    model = load_from(PATHS).model
    for kind, objects in model.items():
        for obj in objects.values():
            sub = obj.get("type") if kind == "constraints" else None
            for prop in [*obj, "exists"]:
                if prop != "name":
                    assert rules.owner(kind, sub, prop).startswith("DOD-")


def test_the_canonical_model_has_no_difference_with_itself_and_every_kind_differs():
    """diff() finds nothing between equal models, and a change of any property is found."""
    rules = Rules.load(PATHS.dod_file, PATHS.equivalences_file, None)
    exp = load_from(PATHS)
    model, ids = exp.model, exp.identities
    assert diff(exp.modelled, exp.modelled, rules) == []
    for kind, objects in model.items():
        for key, obj in objects.items():
            changed = Modelled({**model, kind: {**objects, key: {**obj, "_probe": 1}}}, ids)
            broken = Modelled({**model, kind: {k: v for k, v in objects.items() if k != key}}, ids)
            assert diff(exp.modelled, broken, rules), f"{kind} {key} missing went unnoticed"
            assert not diff(exp.modelled, changed, rules)  # unknown live keys are not properties
            break


def test_equivalences_have_an_id_a_reason_and_a_rule_or_replacements():
    entries = yaml.safe_load(PATHS.equivalences_file.read_text())
    assert len({e["id"] for e in entries}) == len(entries)
    for e in entries:
        assert e["reason"], e["id"]
        assert "rule" in e or e["replace"], e["id"]
