"""Provisions as `pytest -m local` does (the server, then PgBouncer in front of it) and holds both
until killed: the subject of the kill tests (tests/test_kill.py). Prints `UP` once both run.

`KILL_AT_FORK=<program>` (initdb, postgres, pgbouncer) with `KILL_FIFO=<fifo>`: the child that
will run that program, right after the fork and before any of the harness's own code runs in it,
writes one byte to the fifo (whoever reads it SIGKILLs this process) and waits until this process
is gone: the harness killed at the worst instant of a start.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from typing import Any

from supabase_acceptance.provision import Request, provision
from supabase_acceptance.provision.pooler import binary, pgbouncer


def _pause_at_fork(program: str, fifo: str) -> None:
    real_init = subprocess.Popen.__init__

    def init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        argv = [args] if isinstance(args, str | os.PathLike) else list(args)
        if os.path.basename(str(argv[0])) == program and not os.environ.get("KILL_FORKED"):
            os.environ["KILL_FORKED"] = "1"  # the first start of that program only
            inner = kwargs.get("preexec_fn")

            def at_fork() -> None:
                parent = os.getppid()
                fd = os.open(fifo, os.O_WRONLY)
                os.write(fd, b"F")
                os.close(fd)
                deadline = time.monotonic() + 10
                while os.getppid() == parent and time.monotonic() < deadline:
                    time.sleep(0.001)
                if inner is not None:
                    inner()

            kwargs["preexec_fn"] = at_fork
        real_init(self, args, *rest, **kwargs)

    subprocess.Popen.__init__ = init  # type: ignore[method-assign]


def main() -> None:
    if os.environ.get("KILL_AT_FORK"):
        _pause_at_fork(os.environ["KILL_AT_FORK"], os.environ["KILL_FIFO"])
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(provision(Request(backend="native")))
        if binary():
            stack.enter_context(pgbouncer(server))
        print("UP", flush=True)
        time.sleep(120)
    sys.exit(0)


if __name__ == "__main__":
    main()
