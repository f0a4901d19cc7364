"""The mutation suite: every check can fail, and fails for the right item. Each broken copy of
schema.sql is applied to a fresh database on one shared server and checked through the pooler
(-m supabase, PgBouncer + TLS on port 6543), as a drifted staging would be. The equal-meaning
set is the other half: harmless copies that must pass, the extras among them listed as
divergences. Both tables of results are printed at the end of the session (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from supabase_acceptance.provision.pooler import pgbouncer
from supabase_acceptance.report.signoff import EXIT

from ._mutation import (
    EQUAL,
    FAILED,
    MUTANTS,
    REQUIRED,
    drop,
    fresh,
    has_expectation,
    host,
    mutate,
)
from ._mutation import targets as targets_of
from ._services import delaying_proxy
from .conftest import ROOT, SCHEMA, pooler_on

RESULTS: list[dict] = []  # printed by conftest.pytest_terminal_summary
EQUAL_RESULTS: list[dict] = []
# A clean staging run through the local pooler judges every required item (DOD-03 verifies the
# deployed schema remotely): SUCCESS, exit 0.
GREEN = ("SUCCESS",)
pooler = pooler_on(1)  # one PgBouncer in front of the shared server for every mutant database


def _expected_file(server, mutant: dict, database: str, tmp: Path) -> list[str]:
    """For a mutant whose expectation differs from schema.sql (a CHECK the DDL has and the
    database lacks): render that expectation from a scratch database, as the regenerate
    command does, and point the run at it with --expected-file."""
    if not has_expectation(mutant):
        return []
    name = f"exp_{database}"
    asyncio.run(fresh(server, name, mutate(SCHEMA.read_text(), mutant, "expected_"), tmp))
    try:
        cmd = [sys.executable, "-m", "supabase_acceptance.expected", server.dsn(name)]
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    finally:
        asyncio.run(drop(server, name))
    merged = yaml.safe_load((ROOT / "schema" / "expected.yaml").read_text())
    merged.update(yaml.safe_load(out))  # the rendered state; policy sections stay canonical
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(merged, sort_keys=False, allow_unicode=True))
    return ["--expected-file", str(path)]


@contextlib.contextmanager
def _path_to(mutant: dict, server, pooler, database: str) -> Iterator[str]:
    """The URL a check run uses: the shared pooler, or the deployment defect the mutant is."""
    if mutant.get("kind") == "network":
        with delaying_proxy(host(2), 6543, (pooler.host, pooler.port), mutant["delay_ms"] / 1000):
            yield pooler.dsn(server, database).replace(pooler.host, host(2))
    elif mutant.get("kind") == "pooler":
        with pgbouncer(server, host=host(3), port=6543, settings=mutant["pgbouncer"]) as other:
            yield other.dsn(server, database)
    else:
        yield pooler.dsn(server, database)


def _run_variant(variant: dict, database: str, server, pooler, run_acceptance, tmp: Path):
    """Apply the variant to a fresh database, run the suite through the pooler: (result, JSON)."""
    asyncio.run(fresh(server, database, mutate(SCHEMA.read_text(), variant), tmp))
    try:
        extra = _expected_file(server, variant, database, tmp)
        with _path_to(variant, server, pooler, database) as url:
            result = run_acceptance("-m", "supabase", "--database-url", url, *extra)
    finally:
        asyncio.run(drop(server, database))
    return result, json.loads((tmp / "reports" / "latest-staging.json").read_text())


@pytest.mark.parametrize("name", MUTANTS)
def test_mutant_is_caught_by_the_item_it_targets(name, server, pooler, run_acceptance, pytester):
    mutant = MUTANTS[name]
    targets = targets_of(mutant)
    allowed = {*targets, *mutant.get("also", [])}
    database = f"mut_{list(MUTANTS).index(name)}_{os.getpid()}"
    result, summary = _run_variant(mutant, database, server, pooler, run_acceptance, pytester.path)
    failing = sorted({t["item"] for t in summary["tests"] if t["outcome"] in FAILED})
    problems = [f"the run exited {result.ret}, want 1"] if result.ret != 1 else []
    for item, words in targets.items():
        said = "\n".join(
            t["message"] for t in summary["tests"] if t["outcome"] in FAILED and t["item"] == item
        )
        unnamed = [word for word in words if word not in said]
        problems += [f"survived: {item} did not fail"] if item not in failing else []
        problems += [f"the {item} messages lack {unnamed}"] if unnamed else []
    alarms = sorted(set(failing) - allowed)
    problems += [f"false alarm in {alarms}"] if alarms else []
    RESULTS.append(
        {
            "mutant": name,
            "item": "+".join(targets),
            "failed": failing,
            "caught": not problems,
            "class": mutant["class"],
            "causes": [c["item"] for c in summary.get("root_causes", [])],
        }
    )
    shown = "\n".join(
        f"{t['item']} {t['nodeid'].split('::')[-1]}: {t['message'][:600]}"
        for t in summary["tests"]
        if t["outcome"] in FAILED
    )
    assert not problems, f"{name}: {'; '.join(problems)}\n{shown}"


def _divergence_listed(want: dict, divergences: list[dict]) -> bool:
    """A divergence row matches when each wanted field occurs in the row's field."""
    return any(all(str(v) in str(d.get(k, "")) for k, v in want.items()) for d in divergences)


@pytest.mark.parametrize("name", EQUAL)
def test_equal_meaning_variant_passes(name, server, pooler, run_acceptance, pytester):
    variant = EQUAL[name]
    database = f"eq_{list(EQUAL).index(name)}_{os.getpid()}"
    result, summary = _run_variant(variant, database, server, pooler, run_acceptance, pytester.path)
    failing = sorted({t["item"] for t in summary["tests"] if t["outcome"] in FAILED})
    divergences = summary.get("divergences", [])
    want = variant.get("divergence")
    listed = want is None or _divergence_listed(want, divergences)
    green = summary["status"] in GREEN and not failing
    EQUAL_RESULTS.append(
        {"variant": name, "failed": failing, "listed": listed, "passed": green and listed}
    )
    said = "\n".join(t["message"] for t in summary["tests"] if t["outcome"] in FAILED)
    assert not failing, f"{name}: false alarm in {failing}:\n{said}"
    assert summary["status"] in GREEN, f"{name}: status {summary['status']}"
    assert result.ret == EXIT[summary["status"]], result.stdout.str()[-2000:]
    assert listed, f"{name}: no divergence like {want} in {json.dumps(divergences)[:2000]}"
    if want is None:  # an equivalence is no difference at all, not even a divergence
        assert not divergences, f"{name}: equal meaning reported as {divergences}"


def test_the_suite_covers_every_structural_item_at_least_twice():
    counts = Counter(m["item"] for m in MUTANTS.values() if "item" in m)
    assert len(MUTANTS) >= 90
    assert {f"DOD-{n:02d}" for n in range(4, 13)} <= {i for i, c in counts.items() if c >= 2}
    have = {(m.get("item", "several"), m["class"]) for m in MUTANTS.values()}
    need = {(item, c) for item, classes in REQUIRED.items() for c in classes}
    assert not need - have, f"property classes without a mutant: {sorted(need - have)}"
    assert not have - need, f"mutant classes not in required_classes: {sorted(have - need)}"


def test_the_equal_meaning_set_proves_every_equivalence():
    assert len(EQUAL) >= 10
    assert sum("equivalence" in v for v in EQUAL.values()) >= 9
    ids = {e["id"] for e in yaml.safe_load((ROOT / "schema" / "equivalences.yaml").read_text())}
    proven = {v["equivalence"] for v in EQUAL.values() if "equivalence" in v}
    assert proven == ids, f"equivalences without a self-test: {sorted(ids - proven)}"
    assert sum("divergence" in v for v in EQUAL.values()) >= 5


@pytest.mark.parametrize("supabase_like", [False, True], ids=["plain", "supabase-like"])
def test_canonical_schema_raises_no_alarm_through_the_pooler(
    supabase_like, server, pooler, run_acceptance, pytester
):
    database = f"canon_{int(supabase_like)}_{os.getpid()}"
    ddl = SCHEMA.read_text()
    if supabase_like:
        ddl = (SCHEMA.parent / "supabase_like.sql").read_text() + "\n" + ddl
    asyncio.run(fresh(server, database, ddl, pytester.path))
    try:
        result = run_acceptance("-m", "supabase", "--database-url", pooler.dsn(server, database))
    finally:
        asyncio.run(drop(server, database))
    outcomes = result.parseoutcomes()
    summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    assert summary["status"] in GREEN, result.stdout.str()[-3000:]
    assert result.ret == EXIT[summary["status"]]
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0
    assert outcomes["passed"] >= 100
