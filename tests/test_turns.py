"""The round-trip counter of bench/remote.py (bench/turns.py) counts what a link costs: each
sequential query one round trip, concurrent connections once, a new connection its handshake."""

from __future__ import annotations

import asyncio
import sys

from supabase_acceptance.client import POOLER_SAFE

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from turns import counting_proxy

DELAY = 0.02  # each way: concurrency is visible to the proxy


async def _connect(url: str):
    import asyncpg

    return await asyncpg.connect(url, **POOLER_SAFE)


def _through(server, ledger) -> str:
    return server.dsn().replace(f"{server.host}:{server.port}", f"127.0.0.1:{ledger.port}")


def test_sequential_queries_count_one_round_trip_each(server):
    async def run() -> tuple[int, int]:
        conn = await _connect(_through(server, ledger))
        opened = ledger.depth
        for _ in range(5):
            await conn.execute("SELECT 1")
        after = ledger.depth
        await conn.close()
        return opened, after

    with counting_proxy(("127.0.0.1", 0), (server.host, server.port), DELAY) as ledger:
        opened, after = asyncio.run(run())
    assert after - opened == 5
    assert opened >= 3  # TCP handshake, startup, authentication at least
    assert ledger.depth == after  # the close (Terminate) is not waited for


def test_concurrent_connections_cost_their_round_trips_once(server):
    async def one() -> None:
        conn = await _connect(_through(server, ledger))
        for _ in range(3):
            await conn.execute("SELECT 1")
        await conn.close()

    async def run() -> None:
        await one()
        alone = ledger.depth
        await asyncio.gather(*(one() for _ in range(5)))
        together.append(ledger.depth - alone)
        together.append(alone)

    together: list[int] = []
    with counting_proxy(("127.0.0.1", 0), (server.host, server.port), DELAY) as ledger:
        asyncio.run(run())
    five, alone = together
    assert ledger.connections == 6
    assert five <= alone + 1, f"five concurrent connections cost {five}, one alone {alone}"
