"""Wall time of a cold `pytest -m local` and its breakdown, per backend, side by side.

    python bench/cold_run.py [--runs 5] [--backends native,embedded]

Each run is a fresh process that provisions a new server, applies the schema, runs every check
and writes the report. Phases: startup (interpreter, imports, collection), provision (initdb +
start), pooler (PgBouncer + TLS certificate, when installed), apply (create database + DDL),
checks (the test loop minus the three before), report (after the loop: HTML, JUnit, JSON,
Markdown, teardown), exit (interpreter shutdown). Medians over the runs; compare within one
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


def one_run(backend: str, extra: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "timing.json"
        env = {
            **os.environ,
            "BENCH_TIMING_OUT": str(out),
            "PYTHONPATH": f"{ROOT / 'bench'}:{os.environ.get('PYTHONPATH', '')}",
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
    parser.add_argument("extra", nargs="*", help="more pytest arguments")
    args = parser.parse_args()
    print(f"{'backend':<10}" + "".join(f"{p:>11}" for p in PHASES) + "   (s, median)")
    for backend in args.backends.split(","):
        runs = [one_run(backend, args.extra) for _ in range(args.runs)]
        med = {p: statistics.median(r[p] for r in runs) for p in PHASES}
        print(f"{backend:<10}" + "".join(f"{med[p]:>11.2f}" for p in PHASES))


if __name__ == "__main__":
    main()
