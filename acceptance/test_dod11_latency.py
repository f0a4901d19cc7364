"""Latency: p95 of simple queries under the profile's budget (plan §3.5: 100 queries,
min/avg/p50/p95/p99/max), and a pool of the profile's size (10 in staging) works under
concurrent use."""

import asyncpg
import pytest
from supabase_acceptance import latency
from supabase_acceptance.asserts import finding
from supabase_acceptance.client import LoginError
from supabase_acceptance.config import HarnessConfig
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.sql import quote
from supabase_acceptance.target import Target

pytestmark = pytest.mark.dod("DOD-11")


async def test_p95_of_simple_queries_is_under_budget(
    db: asyncpg.Connection,
    latency_sampler: latency.Sampler,
    target: Target,
    harness_config: HarnessConfig,
    evidence: Evidence,
) -> None:
    want = harness_config.latency_samples
    try:
        got = await latency_sampler.run(want)
    except LoginError as exc:
        finding(evidence, f"single connection: {exc}, want a libpq login with the same URL")
    s = latency.summarize(got.ms)
    budget = target.profile.latency_budget_ms
    evidence.sql(latency.query_for(db))
    evidence.latency("single", got.ms, s.as_dict(), budget)
    answers = {"queries": len(got.ms), "answered": got.answered, "client": latency.client()}
    evidence.facts("answers", {**answers, "expected answer": latency.answer_for(db)})
    evidence.key(f"p95 {s.p95:.2f} ms < {budget:g} ms ({got.answered} queries answered)")
    if got.answered < want:
        answer = latency.answer_for(db)
        finding(
            evidence,
            f"single connection: queries answered {answer!r} have {got.answered}, want {want}",
        )
    if s.p95 >= budget:
        finding(evidence, f"single connection: p95 have {s.p95:.2f} ms, want < {budget} ms")


async def test_pool_of_10_connections_works_under_concurrent_use(
    db: asyncpg.Connection,
    latency_pool: latency.PoolOpening,
    target: Target,
    harness_config: HarnessConfig,
    expected: Expected,
    evidence: Evidence,
) -> None:
    size = latency_pool.size
    table = next(iter(expected.tables), None)
    if not table:
        await latency_pool.close()
        finding(evidence, "expected.yaml: tables have none, want the DDL's")
    read = f"SELECT 1 FROM public.{quote(table)} LIMIT 1"  # each connection's warm-up: app read
    evidence.sql(read)
    try:
        got, used = await latency.pooled(
            latency_pool, harness_config.latency_samples, warm_query=read
        )
    except asyncpg.PostgresError as exc:
        finding(
            evidence,
            f"pool of {size}: {read} have error {exc.sqlstate} ({exc}), "
            "want every connection to read the application's tables",
        )
    except latency.PoolFailure as exc:
        evidence.key(f"pool of {size}: {exc}")
        finding(evidence, f"pool of {size}: {exc}, want {size} connections in use at once")
    finally:
        await latency_pool.close()
    s = latency.summarize(got.ms)
    budget = target.profile.latency_budget_ms
    used_facts = {"size": size, "connections used concurrently": used}
    evidence.facts("pool", {**used_facts, "queries answered": got.answered})
    evidence.latency("pool", got.ms, s.as_dict(), budget)
    evidence.key(f"pool of {size}: {used} used at once, p95 {s.p95:.2f} ms")
    if used != size:
        finding(evidence, f"pool: connections used have {used}, want {size}")
    if got.answered != len(got.ms):
        finding(
            evidence, f"pool of {size}: queries answered have {got.answered}, want {len(got.ms)}"
        )
    if s.p95 >= budget:
        finding(evidence, f"pool of {size}: p95 have {s.p95:.2f} ms, want < {budget} ms")
