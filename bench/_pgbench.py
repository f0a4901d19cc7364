"""pgbench for `SELECT 1` through a URL: the reference the harness's DOD-11 samples compare with
(bench/remote.py, and the sampler's process under bench/_phases.py)."""

import glob
import re
import shutil
import subprocess
import tempfile


def pgbench(url: str, transactions: int) -> float:
    """pgbench's "latency average" (ms) for `SELECT 1`: one client, one thread, simple protocol
    (`-c 1 -j 1 -M simple`), no vacuum. pgbench computes it as the run's elapsed time after
    the connection is made, divided by the transactions: a mean that includes pgbench's own
    client work (libpq, in C) and any stall of the machine (its per-transaction log, -l, is no
    better here: version 15 reads the clock lazily and logs many 0 µs transactions)."""
    binary = shutil.which("pgbench") or max(
        glob.glob("/usr/lib/postgresql/*/bin/pgbench"), default="pgbench"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write("SELECT 1;\n")
        script.flush()
        out = subprocess.run(
            [
                binary,
                "-n",
                "-M",
                "simple",
                "-c",
                "1",
                "-j",
                "1",
                "-t",
                str(transactions),
                "-f",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
    found = re.search(r"latency average = ([\d.]+) ms", out.stdout)
    if not found:
        raise RuntimeError(f"pgbench failed: {out.stderr[-1000:]}")
    return float(found.group(1))
