"""The harness's DOD-11 sampler process (supabase_acceptance.sampling) as bench/_phases.py runs
it: the same worker, the same samples, plus, in the file BENCH_SAMPLER_OUT, when the samples ran
(time.time(), so bench/remote.py can tell their round trips from the others') and, with
BENCH_PGBENCH_URL set, pgbench's averages for the same query through the same path right before
and right after them, in this process, while the rest of the run goes on beside them: on a
shared machine the load changes within a second, so only runs adjacent in time compare."""

import json
import os
import subprocess
import sys
import time
from typing import Any

from _pgbench import pgbench
from supabase_acceptance import sampling

BRACKET_RUNS = 3  # pgbench runs before and again after the samples (the median counts)
BRACKET_TRANSACTIONS = 100  # as many queries as DOD-11 times
FOUND: dict[str, Any] = {"span": None, "ms": [], "errors": []}
_take = sampling.take


def _bracket() -> None:
    url = os.environ.get("BENCH_PGBENCH_URL")
    if not url:
        return
    try:
        FOUND["ms"] += [pgbench(url, BRACKET_TRANSACTIONS) for _ in range(BRACKET_RUNS)]
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        FOUND["errors"].append(str(exc))


def take(*args: Any, **kwargs: Any) -> Any:
    _bracket()
    start = time.time()
    try:
        return _take(*args, **kwargs)
    finally:
        FOUND["span"] = [start, time.time()]
        _bracket()
        with open(os.environ["BENCH_SAMPLER_OUT"], "w") as out:
            json.dump(FOUND, out)


sampling.take = take

if __name__ == "__main__":
    sampling.run(sys.argv)
