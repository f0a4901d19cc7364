"""The mutation data and helpers every self-test shares: the mutants (tests/mutants.yaml), the
equal-meaning variants (tests/equal_meaning.yaml), the advisory mutants
(tests/advisory_mutants.yaml), how a mutant edits schema.sql, and fresh databases on the shared
test server. Test modules import from here, never from each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from supabase_acceptance import databases
from supabase_acceptance.provision import Server

from .conftest import loopback

HERE = Path(__file__).parent
_DOC: dict[str, Any] = yaml.safe_load((HERE / "mutants.yaml").read_text())
REQUIRED: dict[str, list[str]] = _DOC.pop("required_classes")
MUTANTS: dict[str, dict[str, Any]] = _DOC
EQUAL: dict[str, dict[str, Any]] = yaml.safe_load((HERE / "equal_meaning.yaml").read_text())
ADVISORY_MUTANTS: dict[str, dict[str, Any]] = yaml.safe_load(
    (HERE / "advisory_mutants.yaml").read_text()
)
FAILED = ("failed", "error")  # outcomes of a failing test in the JSON summary


def mutate(ddl: str, mutant: dict[str, Any], prefix: str = "") -> str:
    """schema.sql with the variant's edits and append (prefix "expected_": its expectation)."""
    for find, replace in mutant.get(f"{prefix}edits", []):
        assert find in ddl, f"mutant edit does not apply: {find[:60]!r}"
        ddl = ddl.replace(find, replace)
    return ddl + ("\n" + mutant[f"{prefix}append"] if f"{prefix}append" in mutant else "")


def structural(name: str) -> bool:
    """A mutant whose defect is in the catalog alone: not of the deployment (`kind` network or
    pooler) and not a cause outside the DDL's text (settings, names, data: `cause_*`). Its
    differences are the golden tier's (tests/golden)."""
    return not MUTANTS[name].get("kind") and not name.startswith("cause_")


def has_expectation(mutant: dict[str, Any]) -> bool:
    """Whether the mutant's expectation differs from schema.sql (`expected_edits/append`)."""
    return any(k.startswith("expected_") for k in mutant)


def targets(mutant: dict[str, Any]) -> dict[str, list[str]]:
    """Item -> words its failure messages must contain: one item, or several causes at once
    (`items`, `names` per item), each to be named by its own item."""
    if "items" in mutant:
        return {item: mutant["names"].get(item, []) for item in mutant["items"]}
    return {mutant["item"]: mutant["names"]}


def host(n: int) -> str:
    """The mutation suite's loopback addresses (block 1)."""
    return loopback(1, n)


async def fresh(server: Server, name: str, ddl: str, tmp: Path) -> None:
    """Database `name` on the shared server with `ddl` applied (written under `tmp`)."""
    path = tmp / f"{name}.sql"
    path.write_text(ddl)
    await databases.create(server, name, ddl=path)


async def drop(server: Server, name: str) -> None:
    await databases.drop(databases.Database(server, name))
