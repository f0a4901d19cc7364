"""Identity is a typed value (model.Identity), said once when the model is built and read
back from expected.yaml's `identities`: the comparison, the ownership and the tallies use its
fields, never a key parsed back. No database: the pure functions on the expected model."""

from __future__ import annotations

import ast
import copy

import pytest
from supabase_acceptance.compare import Rules
from supabase_acceptance.expected import load_from
from supabase_acceptance.model import Modelled
from supabase_acceptance.structure import Structure

from .conftest import PATHS, ROOT

PACKAGE = ROOT / "fixtures" / "supabase_acceptance"
TABLE = "tenant_user_identifiers"


def _structure(change) -> Structure:
    """The expected state against a copy of itself that `change` edits (the live model)."""
    exp = load_from(PATHS)
    live = copy.deepcopy(exp.model)
    change(live)
    return Structure.compared(
        exp,
        Modelled(live, exp.identities),
        Rules.load(PATHS.dod_file, PATHS.equivalences_file, None),
    )


def test_a_changed_column_counts_once_not_every_column_its_key_contains():
    """`tenant_user_identifiers.id` is a prefix of `tenant_user_identifiers.identifier`: a
    change of `identifier` alone makes one column of the tally bad, not two."""
    assert f"{TABLE}.id" in load_from(PATHS).model["columns"]

    def change(live):
        live["columns"][f"{TABLE}.identifier"]["nullable"] = True

    found = _structure(change).judge("DOD-05", TABLE, "columns as in the DDL")
    ((what, ok, total),) = found.tallies
    assert (what, total - ok) == ("columns as in the DDL", 1), found.tallies
    assert found.failure == f"column {TABLE}.identifier: nullable have True, want False"


def test_the_canonical_model_judges_every_object_ok():
    found = _structure(lambda live: None).judge("DOD-05", TABLE, "columns as in the DDL")
    ((_, ok, total),) = found.tallies
    assert found.failure is None
    assert ok == total > 0


def test_the_index_of_a_named_unique_goes_with_its_constraint():
    """`uq_identifier` is a name the DDL wrote: its index is owned like the index of any
    UNIQUE (DOD-09), read from the identity's owning constraint, not from the key's text."""
    exp = load_from(PATHS)
    (ident,) = [
        i for i in exp.identities["indexes"].values() if i.of_constraint == f"{TABLE}.uq_identifier"
    ]
    assert (ident.table, ident.name, ident.of_type) == (TABLE, "uq_identifier", "unique")

    def change(live):
        live["indexes"][ident.key]["keys"] = ["tenant_id", "identifier"]

    structure = _structure(change)
    (d,) = [d for d in structure.differences if d.property == "keys"]
    assert (d.item, d.identity) == ("DOD-09", ident)
    assert ident in structure.objects("DOD-09", TABLE)


def test_every_object_of_expected_yaml_has_its_identity():
    exp = load_from(PATHS)
    for kind, objects in exp.model.items():
        assert set(objects) == set(exp.identities[kind]), kind
        for key, ident in exp.identities[kind].items():
            assert (ident.kind, ident.key) == (kind, key)


IDENTITY_MODULES = ("compare.py", "structure.py", "model.py", "expected.py")
STRING_PARSING = {"split", "rsplit", "partition", "rpartition", "startswith", "endswith"}


@pytest.mark.parametrize("module", IDENTITY_MODULES)
def test_no_identity_string_is_parsed_back(module):
    """The modules that hold identities never cut a key apart again (no split/partition/
    startswith on a key, no `key in text`): the fields of model.Identity say it."""
    tree = ast.parse((PACKAGE / module).read_text())
    parsed = [
        f"{module}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in STRING_PARSING
        and "key" in ast.unparse(node.func.value).lower()
    ]
    contains = [
        f"{module}:{node.lineno} {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
        and any("object" in ast.unparse(c) or "key" in ast.unparse(c) for c in node.comparators)
        and isinstance(node.left, ast.Name | ast.Attribute)
        and "key" in ast.unparse(node.left)
    ]
    assert not parsed + contains, parsed + contains
