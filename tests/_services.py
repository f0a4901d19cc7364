"""Loopback services that are not a working Postgres, for the bad-input tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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


@dataclass
class Fault:
    """What a `faulty_proxy` does to a connection: `mode` stall (stops forwarding both ways,
    keeps the sockets open: a dead link, no error) or reset (closes with an RST: connection
    reset by peer), on the connections numbered `conns` (in accept order, from 1; None: every
    one), once the client has sent `after` turns on it (a turn: a send after an answer)."""

    mode: str
    conns: frozenset[int] | None = None
    after: int = 0

    def hits(self, conn: int, turn: int) -> bool:
        return (self.conns is None or conn in self.conns) and turn > self.after


@dataclass
class FaultyProxy:
    """A TCP proxy in front of the test pooler whose links can stall or be reset: armed
    with a Fault before the run, or tripped while it runs (`trip`)."""

    port: int = 0
    fault: Fault | None = None
    connections: int = 0
    faulted: list[int] = field(default_factory=list)  # connections a fault hit, in order
    _loop: asyncio.AbstractEventLoop | None = None
    _live: dict[int, Any] = field(default_factory=dict)  # conn -> what ends it

    def trip(self, mode: str) -> None:
        """From now on every connection, open or new, stalls or is reset."""
        assert self._loop is not None
        self.fault = Fault(mode)
        for end in list(self._live.values()):
            self._loop.call_soon_threadsafe(end, mode)


def _rst(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextlib.contextmanager
def faulty_proxy(
    listen: tuple[str, int], target: tuple[str, int], fault: Fault | None = None
) -> Iterator[FaultyProxy]:
    """Listens on `listen` (port 0: a free one, told in `.port`); forwards to `target` until a
    Fault hits."""
    proxy = FaultyProxy(fault=fault)
    loop = asyncio.new_event_loop()
    proxy._loop = loop
    ready, stop = threading.Event(), asyncio.Event()

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        proxy.connections += 1
        n = proxy.connections
        stalled = asyncio.Event()
        writers = [client_w]

        def end(mode: str) -> None:
            if n not in proxy.faulted:
                proxy.faulted.append(n)
            if mode == "reset":
                _rst(client_w)
                for w in writers[1:]:
                    w.transport.abort()
            stalled.set()

        proxy._live[n] = end
        turns, answered = 0, True
        try:
            if proxy.fault is not None and proxy.fault.hits(n, 1) and proxy.fault.after == 0:
                end(proxy.fault.mode)
                await stop.wait()
                return
            server_r, server_w = await asyncio.open_connection(*target)
            writers.append(server_w)

            async def up() -> None:
                nonlocal turns, answered
                while chunk := await client_r.read(65536):
                    if answered:
                        turns, answered = turns + 1, False
                    if proxy.fault is not None and proxy.fault.hits(n, turns):
                        end(proxy.fault.mode)
                    if stalled.is_set():
                        return
                    server_w.write(chunk)
                    await server_w.drain()

            async def down() -> None:
                nonlocal answered
                while chunk := await server_r.read(65536):
                    if stalled.is_set():
                        return
                    answered = True
                    client_w.write(chunk)
                    await client_w.drain()

            pumps = [loop.create_task(up()), loop.create_task(down())]
            pumps.append(loop.create_task(stalled.wait()))
            await asyncio.wait(pumps, return_when="FIRST_COMPLETED")
            if stalled.is_set():
                await stop.wait()  # a dead link: nothing moves, nothing closes
            for task in pumps:
                task.cancel()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            proxy._live.pop(n, None)
            for w in writers:
                w.transport.abort()

    async def main() -> None:
        server = await asyncio.start_server(handle, *listen)
        proxy.port = server.sockets[0].getsockname()[1]
        ready.set()
        await stop.wait()
        server.close()
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield proxy
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        loop.close()
