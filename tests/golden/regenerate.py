"""Regenerate the golden tier's files from real databases:

    python -m tests.golden.regenerate              # every structural mutant
    python -m tests.golden.regenerate NAME ...     # only these
    python -m tests.golden.regenerate --stale      # those whose mutant or schema.sql changed
    python -m tests.golden.regenerate --prune      # also remove files of mutants gone

Provisions one throwaway server with the harness's own provisioning (supabase_acceptance
.provision: the backend `--pg-backend` picks, `auto` by default), and for each mutant applies
schema.sql with its edits to a database of its own (supabase_acceptance.databases), reads the
catalog snapshot (catalog.py: the same single query a run sends), writes it to
`cases/<mutant>.json` (and the snapshot of the mutant's own expected DDL to
`cases/<mutant>.want.json` when it has `expected_edits/append`), then the differences the
comparison finds to `cases/<mutant>.expected.yaml`. Review the diff of the .expected.yaml files
before committing them: they are what the golden tier asserts."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from supabase_acceptance import databases
from supabase_acceptance.catalog import snapshot
from supabase_acceptance.client import connect
from supabase_acceptance.provision import Request, Server, choose, provision

from .cases import (
    CASES,
    NAMES,
    ddls,
    differences,
    snapshot_file,
    stale,
    want_file,
    write_expected,
    write_json,
)


async def _snapshot(server: Server, ddl: str, tmp: Path) -> dict[str, Any]:
    """The raw catalog snapshot of a database holding `ddl` (dropped afterwards)."""
    path = tmp / "mutant.sql"
    path.write_text(ddl)
    async with databases.scratch(server, "golden", ddl=path) as db:
        conn = await connect(db.dsn)
        try:
            return asdict(await snapshot(conn))  # the JSON the one catalog query returns
        finally:
            await conn.close()


async def _regenerate(server: Server, names: list[str], tmp: Path) -> None:
    for n, name in enumerate(names, 1):
        have_ddl, want_ddl = ddls(name)
        have = await _snapshot(server, have_ddl, tmp)
        want = await _snapshot(server, want_ddl, tmp) if want_ddl is not None else None
        write_json(snapshot_file(name), have)
        if want is not None:
            write_json(want_file(name), want)
        else:
            want_file(name).unlink(missing_ok=True)
        found = differences(have, want)
        write_expected(name, found)
        print(f"{n:>3}/{len(names)} {name}: {len(found)} differences", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.golden.regenerate", description=__doc__)
    ap.add_argument("names", nargs="*", help="mutants to regenerate (default: every one)")
    ap.add_argument("--pg-backend", default="auto", help="auto, container, native, embedded")
    ap.add_argument("--prune", action="store_true", help="remove files of mutants gone")
    ap.add_argument("--stale", action="store_true", help="only mutants whose DDL changed")
    args = ap.parse_args(argv)
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        print(f"ERROR: not structural mutants of tests/mutants.yaml: {unknown}", file=sys.stderr)
        return 2
    CASES.mkdir(exist_ok=True)
    req = Request(backend=args.pg_backend)
    with provision(req, choose(req)) as server, tempfile.TemporaryDirectory() as tmp:
        names = args.names or [n for n in NAMES if not args.stale or stale(n)]
        asyncio.run(_regenerate(server, names, Path(tmp)))
    if args.prune:
        for path in CASES.iterdir():
            if path.name.split(".")[0] not in NAMES:
                path.unlink()
                print(f"removed {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
