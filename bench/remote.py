"""A remote run, rehearsed: `pytest -m supabase` through a slow link, in round trips and seconds.

    python bench/remote.py [--delays 0,25,75] [--ci]

Starts the local rehearsal (a throwaway Postgres, PgBouncer in transaction mode with TLS, the
schema applied), puts bench/turns.py's delaying proxy in front (the delay is added each way)
and runs `pytest -m supabase` through it once per delay. Prints per delay: wall time (pytest
start to report written), client round trips on the critical path counted by the proxy, their
breakdown (connect, snapshot, behaviour, DOD-11, report, other), connections, and the latency
fidelity check: the harness's DOD-11 p50 for `SELECT 1` (single connection) against pgbench's
"latency average" for the same query on the same path (`ratio`; `avg/pgb`: the harness's mean,
like for like with pgbench's). At 0 ms (and `direct`, no proxy) pgbench runs 3 times right
before and 3 times right after the samples, inside the run, and the median counts: the
machine's load changes within a second (when those runs differ by more than 1.5x, the load
changed while the samples ran: the row is measured again, at most 3 times in all). At 25 ms
and more, pgbench runs once after the run.

--ci runs once at 25 ms, prints its wall time (information: a time on a shared machine is no
budget) and exits non-zero when the round-trip budget of issue 10 is exceeded (a count, not a
time): at most 150 in all, of which at least 100 are DOD-11's sequential samples (the chain
their connection waited for), and at most 15 for the behaviour checks with connection set-up.

DOD-11's samples run in a process of their own from the start of the session (bench/_phases.py
has the harness run bench/_sampling_bracket.py there, which says when they ran): their
connection's turns are DOD-11's, its login's are connect's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _phases import SAMPLES_TEST, pgbench  # noqa: E402
from supabase_acceptance import databases  # noqa: E402
from supabase_acceptance.provision import Request, Server, provision  # noqa: E402
from supabase_acceptance.provision.pooler import Pooler, pgbouncer  # noqa: E402
from turns import Ledger, counting_proxy  # noqa: E402

PHASES = ("connect", "snapshot", "behaviour", "DOD-11", "other", "report")
SAMPLES = "DOD-11 samples (own process)"
BUDGET = {"total": 150, "behaviour": 15, "DOD-11 at least": 100}
DATABASE = "remote_bench"
# The pooler's port on a loopback address of our own, so DOD-02's port check sees 6543.
PROXY = (f"127.3.{os.getpid() % 250 + 1}.1", 6543)
POOLER_HOST = f"127.3.{os.getpid() % 250 + 1}.2"
GREEN = ("SUCCESS", "PARTIAL")  # through a pooler DOD-03 is not run (remote runs do not apply)
Row = dict[str, Any]  # a row of the table, a span, a JSON summary
STEADY = 1.5  # max/min of pgbench's runs beside the samples: the machine's load held still
ATTEMPTS = 3


def run_suite(
    url: str, tmp: Path, pgbench_url: str | None = None
) -> tuple[tuple[float, float], list[Row], Row, list[float]]:
    """One `pytest -m supabase` run: wall time, its phase spans, its JSON summary, and with
    `pgbench_url` pgbench's averages right before and after DOD-11's sequential samples.
    The wall time comes with the moment the process started (for the timeline)."""
    spans = tmp / "phases.json"
    env = {
        **os.environ,
        "BENCH_PHASES_OUT": str(spans),
        "PYTHONPATH": f"{ROOT / 'bench'}:{os.environ.get('PYTHONPATH', '')}",
    }
    env.pop("DATABASE_URL", None)
    if pgbench_url:
        env["BENCH_PGBENCH_URL"] = pgbench_url
    t0 = time.time()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-m",
            "supabase",
            "-q",
            "-p",
            "_phases",
            "-p",
            "no:cacheprovider",
            f"--database-url={url}",
            f"--report-dir={tmp}/reports",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.time() - t0
    latest = tmp / "reports" / "latest-staging.json"
    if not latest.exists() or not spans.exists():  # stopped before any check ran
        sys.exit(f"pytest exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    summary = json.loads(latest.read_text())
    failed = [t["nodeid"] for t in summary["tests"] if t["outcome"] in ("failed", "error")]
    if failed:
        print(f"  (the run failed: {failed[:5]})", file=sys.stderr)
    phases = json.loads(spans.read_text())
    bench = phases["pgbench"]
    if pgbench_url and (bench["errors"] or not bench["ms"]):
        sys.exit(f"pgbench beside the samples: {bench['errors'] or f'no {SAMPLES_TEST} ran'}")
    found = phases["spans"]
    if phases.get("samples"):  # the sampler's process: when its samples ran
        start, end = phases["samples"]
        found.append({"phase": "DOD-11", "start": start, "end": end, "what": SAMPLES})
    return (t0, wall), found, summary, bench["ms"]


def breakdown(ledger: Ledger, spans: list[Row], key: str = "phase") -> dict[str, int]:
    """Critical-path round trips per phase (or per test, key="what"): DOD-11's samples run in
    a process of their own from the session's start, beside everything else, so their
    connection's turns are theirs (DOD-11; its login: connect), told by who sent most turns
    while they ran; every other answered turn goes to the innermost span running when it was
    sent. A phase's share is how much deeper the chain got in it."""
    per: dict[str, int] = dict.fromkeys(PHASES, 0) if key == "phase" else {}
    samples = next((s for s in spans if s.get("what") == SAMPLES), None)
    spans = [s for s in spans if s is not samples]
    sampler = None
    if samples is not None:
        during = Counter(t.conn for t in ledger.turns if samples["start"] <= t.at <= samples["end"])
        sampler = during.most_common(1)[0][0] if during else None
    deepest = 0
    for turn in sorted((t for t in ledger.turns if t.answered), key=lambda t: t.at):
        if samples is not None and turn.conn == sampler:
            sampling = turn.at >= samples["start"]
            if key == "phase":
                name = "DOD-11" if sampling else "connect"
            else:
                name = SAMPLES if sampling else f"{SAMPLES} (login)"
            if turn.depth > deepest:
                per[name] = per.get(name, 0) + turn.depth - deepest
                deepest = turn.depth
            continue
        inside = [s for s in spans if s["start"] <= turn.at <= s["end"]]
        span = max(inside, key=lambda s: s["start"]) if inside else {}
        name = span.get(key) or ("other" if key == "phase" else "(between tests)")
        if turn.depth > deepest:
            per[name] = per.get(name, 0) + turn.depth - deepest
            deepest = turn.depth
    return per


def samples_chain(ledger: Ledger, spans: list[Row]) -> int:
    """Round trips DOD-11's samples waited for one after another: how much deeper the chain
    got from the sampler's login to its last answer (at least one per sample; the breakdown
    may give a turn that reached a depth first to another connection's phase)."""
    samples = next((s for s in spans if s.get("what") == SAMPLES), None)
    if samples is None:
        return 0
    during = Counter(t.conn for t in ledger.turns if samples["start"] <= t.at <= samples["end"])
    if not during:
        return 0
    mine = [t for t in ledger.turns if t.conn == during.most_common(1)[0][0] and t.answered]
    login = max((t.depth for t in mine if t.at < samples["start"]), default=0)
    return max((t.depth for t in mine), default=0) - login


def timeline(ledger: Ledger, spans: list[Row], t0: float, wall: float) -> dict[str, float]:
    """Seconds from the process's start: its first and last turn on the wire, when DOD-11's
    samples started and ended, and its exit: what runs outside the samples, and where."""
    at = [t.at for t in ledger.turns]
    samples = next((s for s in spans if s.get("what") == SAMPLES), None)
    marks = {"first turn": min(at, default=t0), "last turn": max(at, default=t0)}
    if samples is not None:
        marks |= {"samples start": samples["start"], "samples end": samples["end"]}
    return {k: round(v - t0, 3) for k, v in sorted(marks.items(), key=lambda kv: kv[1])} | {
        "exit": round(wall, 3)
    }


def pgbench_after(url: str, transactions: int) -> float:
    try:
        return pgbench(url, transactions)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        sys.exit(str(exc))


def measure(delay_ms: float | None, server: Server, pooler: Pooler) -> Row:
    """One row. At 0 ms, when pgbench's runs beside the samples differ by more than STEADY,
    the machine's load changed while they ran and the ratio says nothing: the run is measured
    again (at most ATTEMPTS in all; the row's `attempts` tells, and stderr why)."""
    for attempt in range(1, ATTEMPTS + 1):
        row = measure_once(delay_ms, server, pooler)
        runs = row["pgbench_runs"]
        if max(runs) <= STEADY * min(runs) or attempt == ATTEMPTS:
            return row | {"attempts": attempt}
        print(
            f"  ({'direct' if delay_ms is None else f'{delay_ms:g} ms'}: pgbench beside the "
            f"samples took {min(runs):.3f}-{max(runs):.3f} ms, the load changed: again)",
            file=sys.stderr,
        )
    raise AssertionError("unreachable")


def measure_once(delay_ms: float | None, server: Server, pooler: Pooler) -> Row:
    """pgbench goes the same way as the run (the pooler, with TLS, and the proxy's delay). At
    0 ms it runs beside DOD-11's samples (through a second proxy, so the ledger counts only
    the run's turns), where the machine's load is the same; at 25 ms and more the delay
    dominates and one run after the suite does (inside, it would add seconds to the wall)."""
    direct = pooler.dsn(server, DATABASE)
    via = partial(direct.replace, f"{pooler.host}:{pooler.port}")
    with tempfile.TemporaryDirectory() as tmp:
        if delay_ms is None:
            (t0, wall), spans, summary, beside = run_suite(direct, Path(tmp), direct)
            ledger = None
        else:
            target, delay = (pooler.host, pooler.port), delay_ms / 1000
            with contextlib.ExitStack() as stack:
                pgb = None
                if delay_ms == 0:
                    pgb = stack.enter_context(counting_proxy((PROXY[0], 0), target, delay))
                ledger = stack.enter_context(counting_proxy(PROXY, target, delay))
                url = via(f"{PROXY[0]}:{PROXY[1]}")
                pgbench_url = via(f"{PROXY[0]}:{pgb.port}") if pgb else None
                (t0, wall), spans, summary, beside = run_suite(url, Path(tmp), pgbench_url)
                counted = Ledger(list(ledger.turns), ledger.answered, ledger.connections)
            if not beside:
                with counting_proxy(PROXY, target, delay):
                    beside = [pgbench_after(url, 40)]
            ledger = counted
    single = summary["latency"].get("single", {})
    p50, mean = single.get("p50", float("nan")), single.get("avg", float("nan"))
    avg = statistics.median(beside)
    row = {
        "delay_ms": delay_ms,
        "wall_s": wall,
        "status": summary["status"],
        "p50_ms": p50,
        "avg_ms": mean,
        "pgbench_ms": avg,
        "pgbench_runs": beside,
        "ratio": p50 / avg,
        "avg_ratio": mean / avg,
    }
    if ledger is not None:
        row |= {
            "round_trips": ledger.depth,
            "connections": ledger.connections,
            "turns": len(ledger.turns),
            "phases": breakdown(ledger, spans),
            "samples_chain": samples_chain(ledger, spans),
            "per_test": breakdown(ledger, spans, "what"),
            "timeline": timeline(ledger, spans, t0, wall),
        }
    return row


def show(rows: list[Row]) -> None:
    head = f"{'delay':>6} {'wall s':>7} {'RTs':>5} " + "".join(f"{p:>10}" for p in PHASES)
    print(
        head + f" {'conns':>6} {'turns':>6} {'p50 ms':>8} {'pgbench':>8} {'ratio':>6}"
        f" {'avg/pgb':>7}"
    )
    for r in rows:
        delay = "direct" if r["delay_ms"] is None else f"{r['delay_ms']:g} ms"
        phases = r.get("phases") or {}
        print(
            f"{delay:>6} {r['wall_s']:>7.2f} {r.get('round_trips', '-'):>5} "
            + "".join(f"{phases.get(p, '-'):>10}" for p in PHASES)
            + f" {r.get('connections', '-'):>6} {r.get('turns', '-'):>6} {r['p50_ms']:>8.3f}"
            f" {r['pgbench_ms']:>8.3f} {r['ratio']:>6.2f} {r['avg_ratio']:>7.2f}"
        )
    for r in rows:
        if r.get("timeline"):
            marks = ", ".join(f"{k} {v:.2f}" for k, v in r["timeline"].items())
            print(f"  timeline at {r['delay_ms']:g} ms (s from start): {marks}")


def over_budget(row: Row) -> list[str]:
    phases = row["phases"]
    found = []
    if row["round_trips"] > BUDGET["total"]:
        found.append(f"round trips have {row['round_trips']}, want <= {BUDGET['total']}")
    if phases["behaviour"] > BUDGET["behaviour"]:
        found.append(f"behaviour round trips have {phases['behaviour']}, want <= 15")
    if row["samples_chain"] < BUDGET["DOD-11 at least"]:
        found.append(
            f"DOD-11 sequential round trips have {row['samples_chain']}, want >= 100 (the samples)"
        )
    if row["status"] not in GREEN:
        found.append(f"sign-off have {row['status']}, want one of {GREEN}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delays", default="direct,0,25,75", help="ms each way, or direct")
    parser.add_argument("--ci", action="store_true", help="25 ms once; fail over budget")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--pg-backend", default="auto", help="throwaway Postgres backend")
    parser.add_argument("--pg-image", default="postgres:17", help="image (container backend)")
    args = parser.parse_args()
    delays = ["25"] if args.ci else args.delays.split(",")
    req = Request(backend=args.pg_backend, image=args.pg_image)
    with provision(req) as server, pgbouncer(server, POOLER_HOST, 6543) as pooler:
        asyncio.run(databases.create(server, DATABASE, ddl=ROOT / "schema" / "schema.sql"))
        rows = [measure(None if d == "direct" else float(d), server, pooler) for d in delays]
    show(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    if args.ci:
        problems = over_budget(rows[0])
        row = rows[0]
        print(
            f"remote run at 25 ms each way: {row['wall_s']:.2f} s wall, {row['round_trips']} round"
            f" trips ({row['samples_chain']} of them DOD-11's sequential samples)"
        )
        for p in problems:
            print(f"ERROR: remote budget at 25 ms: {p}")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
