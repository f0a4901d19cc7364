"""The golden tier: every structural mutant's differences, compared in-process against a
catalog snapshot (no server, no pooler, no subprocess: all of them in a few seconds). Each
snapshot is schema.sql with the mutant applied as a real server recorded it
(`cases/<mutant>.json`); the test builds the live model from it, diffs it with the expected
state under the Rules (schema/dod.yaml, equivalences, divergences) and compares with the
checked-in differences (`cases/<mutant>.expected.yaml`). Regenerate both with
`python -m tests.golden.regenerate` (README "The harness's own tests"). The end-to-end runs
through the pooler (tests/test_mutants.py) stay for attribution of the whole run."""

from __future__ import annotations

import pytest

from .._mutation import MUTANTS, targets
from .cases import (
    CASES,
    NAMES,
    ddl_sha256,
    differences,
    expected_file,
    read_expected,
    read_json,
    snapshot_file,
    want_file,
)

pytestmark = pytest.mark.golden
REGENERATE = "regenerate with `python -m tests.golden.regenerate {name}` and review the diff"


@pytest.mark.parametrize("name", NAMES)
def test_the_comparison_finds_the_checked_in_differences(name: str) -> None:
    if not snapshot_file(name).exists() or not expected_file(name).exists():
        pytest.fail(f"{name}: no golden files under {CASES.name}/: " + REGENERATE.format(name=name))
    golden = read_expected(name)
    changed = golden.get("ddl_sha256") != ddl_sha256(name)
    assert not changed, f"{name}: the mutant or schema.sql changed: " + REGENERATE.format(name=name)
    want = read_json(want_file(name)) if want_file(name).exists() else None
    found = differences(read_json(snapshot_file(name)), want)
    assert found == golden["differences"], f"{name}: " + REGENERATE.format(name=name)


@pytest.mark.parametrize("name", NAMES)
def test_the_differences_fail_the_item_the_mutant_targets(name: str) -> None:
    """The checked-in differences are no blind copy of the output: a failing difference owned by
    each item the mutant targets (unless the mutant says the catalog cannot show it)."""
    mutant = MUTANTS[name]
    if mutant.get("golden") == "behaviour":  # caught by a probe only, not by the catalog
        pytest.skip(f"{name}: caught by behaviour, not by the catalog (mutants.yaml `golden`)")
    failing = {d["item"] for d in read_expected(name)["differences"] if d["verdict"] == "fail"}
    missing = sorted(set(targets(mutant)) - failing)
    assert not missing, f"{name}: no failing difference of {missing} (failing: {sorted(failing)})"
    allowed = {*targets(mutant), *mutant.get("also", [])}
    assert failing <= allowed, f"{name}: differences of {sorted(failing - allowed)} too"


def test_every_case_file_belongs_to_a_structural_mutant() -> None:
    stems = {p.name.split(".")[0] for p in CASES.iterdir()}
    assert not stems - set(NAMES), "files of mutants gone: `--prune` removes them"
