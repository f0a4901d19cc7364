"""Loopback services that are not a working Postgres, for the bad-input tests."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


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


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def delaying_proxy(host: str, port: int, target: tuple[str, int], delay_s: float) -> Iterator[None]:
    """A TCP proxy that delivers every server answer `delay_s` late (a far-away region)."""
    import asyncio

    loop = asyncio.new_event_loop()
    ready = threading.Event()
    state: dict = {}

    async def pipe(reader, writer, delay: float) -> None:
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                due, chunk = item
                await asyncio.sleep(max(0.0, due - loop.time()))
                writer.write(chunk)
                await writer.drain()
            writer.close()

        task = loop.create_task(deliver())
        try:
            while chunk := await reader.read(65536):
                await queue.put((loop.time() + delay, chunk))
        except OSError:
            pass
        await queue.put(None)
        with contextlib.suppress(OSError):
            await task

    async def handle(client_r, client_w) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(*target)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(pipe(client_r, server_w, 0.0), pipe(server_r, client_w, delay_s))

    async def main() -> None:
        state["stop"] = asyncio.Event()
        server = await asyncio.start_server(handle, host, port)
        ready.set()
        await state["stop"].wait()
        server.close()
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(state["stop"].set)
        thread.join(5)
