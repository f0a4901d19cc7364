"""Wall time of a cold `pytest -m local` and its breakdown, per backend, side by side.

    python bench/cold_run.py [--runs 5] [--backends native,embedded] [--no-cache-too]

Each run is a fresh process that provisions a new server, applies the schema, runs every check
and writes the report. The data directory comes from a cache of the bench's own (a temporary
XDG_CACHE_HOME): the backend's first run builds it (initdb, then the copy kept: a fresh
machine's first run, reported on its own row), the next --runs copy it. --no-cache-too adds a
row of runs with --no-cache (initdb every time), measured in turn with the cached ones.
Phases: startup (interpreter, imports, collection), provision (data directory + start),
pooler (PgBouncer + TLS certificate, when installed), apply (create database + DDL): these
three are made while pytest collects (ahead.py), so their columns are what the first test
still waited for (provision holds the whole wait), checks
(the test loop minus the three before), report (after the loop: HTML, JUnit, JSON, Markdown,
teardown), exit (interpreter shutdown). Medians over the runs; compare within one
run of this script only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("startup", "provision", "pooler", "apply", "checks", "report", "exit", "wall")


def one_run(backend: str, extra: list[str], cache: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "timing.json"
        env = {
            **os.environ,
            "BENCH_TIMING_OUT": str(out),
            "PYTHONPATH": f"{ROOT / 'bench'}:{os.environ.get('PYTHONPATH', '')}",
            "XDG_CACHE_HOME": str(cache),
        }
        t0 = time.time()
        pytest_args = ["-m", "local", "-q", "-p", "_timing", "-p", "no:cacheprovider"]
        where = [f"--pg-backend={backend}", f"--report-dir={tmp}/reports"]
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *pytest_args, *where, *extra],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.time() - t0
        if proc.returncode != 0:
            sys.exit(f"{backend}: pytest exited {proc.returncode}:\n{proc.stdout[-2000:]}")
        s = json.loads(out.read_text())
    loop = s["loop_end"] - s["loop_start"]
    provision, pooler = s.get("provision", 0.0), s.get("pooler", 0.0)
    apply = s.get("apply", 0.0) - provision - pooler
    return {
        "startup": s["session_start"] - t0 + (s["loop_start"] - s["session_start"]),
        "provision": provision,
        "pooler": pooler,
        "apply": apply,
        "checks": loop - provision - pooler - apply,
        "report": s["end"] - s["loop_end"],
        "exit": t0 + wall - s["end"],
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backends", default="native,embedded")
    parser.add_argument("--no-cache-too", action="store_true", help="also runs with --no-cache")
    parser.add_argument("extra", nargs="*", help="more pytest arguments")
    args = parser.parse_args()
    print(f"{'backend':<22}" + "".join(f"{p:>10}" for p in PHASES) + "   (s, median)")

    def show(label: str, runs: list[dict[str, float]]) -> None:
        med = {p: statistics.median(r[p] for r in runs) for p in PHASES}
        print(f"{label:<22}" + "".join(f"{med[p]:>10.2f}" for p in PHASES))

    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as cache:
            first = one_run(backend, args.extra, Path(cache))  # builds the cache
            cached, uncached = [], []
            for _ in range(args.runs):  # side by side: one of each in turn
                cached.append(one_run(backend, args.extra, Path(cache)))
                if args.no_cache_too:
                    uncached.append(one_run(backend, [*args.extra, "--no-cache"], Path(cache)))
        show(f"{backend} (first run)", [first])
        show(backend, cached)
        if uncached:
            show(f"{backend} --no-cache", uncached)


if __name__ == "__main__":
    main()
