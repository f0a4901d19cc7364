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
    try:  # under way since the session started: collected here
        got = await latency_sampler.result()
    except LoginError as exc:
        finding(evidence, f"single connection: {exc}, want a libpq login with the same URL")
    s = latency.summarize(got.ms)
    budget = target.profile.latency_budget_ms
    evidence.sql(latency.query_for(db))
    evidence.latency("single", got.ms, s.as_dict(), budget)
    answers = {"queries": len(got.ms), "answered": got.answered, "client": latency_sampler.client}
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
    latency_pool: latency.PoolRun,
    target: Target,
    evidence: Evidence,
) -> None:
    size = latency_pool.size
    read = latency_pool.warm_query  # each connection's warm-up: the application's read
    if read is None:
        finding(evidence, "expected.yaml: tables have none, want the DDL's")
    evidence.sql(read)
    try:  # opened and used since the session's connection was in: collected here
        got, used = await latency_pool.outcome()
    except asyncpg.PostgresError as exc:
        finding(
            evidence,
            f"pool of {size}: {read} have error {exc.sqlstate} ({exc}), "
            "want every connection to read the application's tables",
        )
    except latency.PoolFailure as exc:
        evidence.key(f"pool of {size}: {exc}")
        finding(evidence, f"pool of {size}: {exc}, want {size} connections in use at once")
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
