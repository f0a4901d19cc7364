"""A delaying TCP proxy that counts client turns: what a far-away database costs, as a count.

Every byte is delivered `delay_s` late in each direction and a new connection waits one extra
round trip (the TCP handshake a real link pays). A *turn* starts when the client sends after
the server has answered (or first on a connection). Its *depth* is one more than the deepest
turn whose answer the client had received before it sent: the length of the chain of round
trips the run had to wait for. Concurrent turns (the pool's ten connections) share a depth,
sequential ones do not, so the run's depth is its wall time in round trips, counted rather
than timed (stable on a noisy machine). At 0 ms delay concurrency is not visible to the proxy
and parallel turns count in sequence; compare budgets at a real delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Turn:
    at: float  # time.time() when the client sent
    conn: int
    depth: int
    kind: str  # "connect" or "send"
    answered: bool = False  # a turn nobody waited on (Terminate) costs no round trip


@dataclass
class Ledger:
    turns: list[Turn] = field(default_factory=list)
    answered: int = 0  # deepest turn whose answer reached the client
    connections: int = 0
    port: int = 0  # where the proxy listens (the kernel's choice when asked for port 0)

    @property
    def depth(self) -> int:
        """Round trips on the critical path: the deepest turn that was answered."""
        return self.answered

    def turn(self, conn: int, kind: str) -> Turn:
        t = Turn(time.time(), conn, self.answered + 1, kind)
        self.turns.append(t)
        return t

    def answer(self, turn: Turn | None) -> None:
        if turn is not None:
            turn.answered = True
            self.answered = max(self.answered, turn.depth)


@contextlib.contextmanager
def counting_proxy(
    listen: tuple[str, int], target: tuple[str, int], delay_s: float
) -> Iterator[Ledger]:
    """Serve `listen`, forward to `target`; the ledger fills while the block runs. Port 0:
    the kernel picks a free one, bound at once (no race), told in `ledger.port`."""
    ledger = Ledger()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failed: list[OSError] = []
    ids = itertools.count(1)
    stop: dict[str, asyncio.Event] = {}

    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        conn = next(ids)
        ledger.connections += 1
        opening = ledger.turn(conn, "connect")
        await asyncio.sleep(2 * delay_s)  # the handshake's round trip
        ledger.answer(opening)
        try:
            server_r, server_w = await asyncio.open_connection(*target)
        except OSError:
            client_w.close()
            return
        state: dict[str, Turn | None] = {"pending": None, "last": opening}

        async def upstream() -> None:  # client -> server: a send after an answer is a turn
            await pipe(client_r, server_w, on_chunk=client_sent)

        async def downstream() -> None:  # server -> client: the first chunk answers the turn
            await pipe(server_r, client_w, on_delivered=delivered)

        def client_sent() -> None:
            if state["pending"] is None:
                state["pending"] = ledger.turn(conn, "send")

        def delivered() -> None:
            ledger.answer(state["pending"])
            state["pending"] = None

        with contextlib.suppress(asyncio.CancelledError, OSError):
            await asyncio.gather(upstream(), downstream())

    async def pipe(reader, writer, on_chunk=None, on_delivered=None) -> None:
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                due, chunk = item
                await asyncio.sleep(max(0.0, due - loop.time()))
                if on_delivered:  # before the client can see the data and answer it
                    on_delivered()
                writer.write(chunk)
                with contextlib.suppress(OSError):
                    await writer.drain()
            writer.close()

        task = loop.create_task(deliver())
        try:
            while chunk := await reader.read(65536):
                if on_chunk:
                    on_chunk()
                await queue.put((loop.time() + delay_s, chunk))
        except (OSError, asyncio.CancelledError):
            pass
        await queue.put(None)
        with contextlib.suppress(OSError):
            await task

    async def main() -> None:
        stop["event"] = asyncio.Event()
        try:
            server = await asyncio.start_server(handle, *listen)
        except OSError as exc:  # the address is taken: the caller must hear it
            failed.append(exc)
            ready.set()
            return
        ledger.port = server.sockets[0].getsockname()[1]
        ready.set()
        await stop["event"].wait()
        server.close()
        pending = asyncio.all_tasks() - {asyncio.current_task()}
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    ready.wait(5)
    if failed:
        thread.join(5)
        raise failed[0]
    try:
        yield ledger
    finally:
        loop.call_soon_threadsafe(stop["event"].set)
        thread.join(5)
