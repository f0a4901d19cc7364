"""Loopback services that are not a working Postgres, for the bad-input tests."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def listener(reply: bytes | None) -> Iterator[int]:
    """A TCP port that accepts and then never answers (reply=None: a black hole at the
    protocol level) or answers `reply` and closes (a non-Postgres service)."""
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if reply is None:
                held.append(conn)
            else:
                with contextlib.suppress(OSError):
                    conn.recv(1024)
                    conn.sendall(reply)
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield srv.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        srv.close()
        for conn in held:
            conn.close()


_HELD: list[socket.socket] = []  # bound, never listening: refused, and nobody can take them


def closed_port() -> int:
    """A loopback port that refuses connections for the rest of the session: bound by us
    without listen(), so no other process can start listening on it meanwhile."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    return s.getsockname()[1]


@contextlib.contextmanager
def delaying_proxy(host: str, port: int, target: tuple[str, int], delay_s: float) -> Iterator[None]:
    """A TCP proxy that adds `delay_s` to every round trip (a far-away region): the
    benchmark's counting proxy (bench/turns.py), half the delay each way."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from turns import counting_proxy

    with counting_proxy((host, port), target, delay_s / 2):
        yield
