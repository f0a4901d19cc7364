"""Transport: TLS really in use on the client connection (protocol and cipher recorded); remote
profiles require sslmode=require or stricter and the pooler port 6543; the client works in
transaction-pooling mode (no named prepared statement outlives its transaction)."""

import re

import asyncpg
import pytest
from supabase_acceptance.asserts import caution, differ, finding, verdict
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.remote import STRICT_SSLMODES, SUPABASE_POOLER_SUFFIX
from supabase_acceptance.target import Target
from supabase_acceptance.transport import named_statements_after, tls

pytestmark = pytest.mark.dod("DOD-02")


def _tls_expected(target: Target) -> bool:
    if target.mode == "local" and target.pooler is None:
        pytest.skip("no TLS pooler in the local path (install pgbouncer to rehearse Supabase's)")
    return True


def test_tls_is_negotiated_on_the_client_connection(
    db: asyncpg.Connection, target: Target, evidence: Evidence
) -> None:
    _tls_expected(target)
    facts = tls(db)
    evidence.have_want(facts, "TLSv1.2 or TLSv1.3 negotiated")
    if facts is None:
        finding(evidence, f"connection to {target.url.where}: TLS have none, want negotiated")
    evidence.key(f"{facts['protocol']} {facts['cipher']}")
    modern = facts["protocol"] in ("TLSv1.2", "TLSv1.3")
    verdict(evidence, [differ("TLS protocol", "version", modern, True)])


def test_url_asks_for_sslmode_require_or_stricter(target: Target, evidence: Evidence) -> None:
    _tls_expected(target)
    have = target.url.sslmode
    evidence.have_want({"sslmode": have}, {"sslmode": list(STRICT_SSLMODES)})
    if have not in STRICT_SSLMODES:
        finding(
            evidence,
            f"DATABASE_URL sslmode: have {have!r}, want one of {', '.join(STRICT_SSLMODES)}",
        )


async def test_url_uses_the_transaction_pooler_port(
    db: asyncpg.Connection, target: Target, evidence: Evidence
) -> None:
    want = target.profile.port
    server_port = target.server_facts["server_port"]
    evidence.sql("SELECT inet_server_port()  -- read once per session with the server facts")
    evidence.have_want(
        {"client port": target.url.port, "server port": server_port},
        {"client port": want or "any"},
    )
    if server_port != target.url.port:
        evidence.key(f"pooler in the path (port {target.url.port} -> {server_port})")
    if want is None:
        pytest.skip(f"profile {target.profile.name} requires no port (local pooler on a free port)")
    if target.url.port == want:
        return
    message = (
        f"DATABASE_URL port: have {target.url.port}, want {want} (the transaction pooler; "
        "5432 is the direct or session-mode port)"
    )
    if target.profile.port_policy == "warn":
        caution(evidence, message)
        return
    finding(evidence, message)


def test_pooler_user_has_the_postgres_dot_project_ref_form(
    target: Target, evidence: Evidence
) -> None:
    if not target.url.host.endswith(SUPABASE_POOLER_SUFFIX):
        pytest.skip(f"{target.url.host} is not a Supabase pooler host")
    evidence.have_want({"user": target.url.user}, {"user": "postgres.<project-ref>"})
    if not re.fullmatch(r"[a-z_][a-z0-9_]*\.[a-z0-9]+", target.url.user):
        finding(evidence, f"pooler user: have {target.url.user!r}, want postgres.<project-ref>")


async def test_no_named_prepared_statement_outlives_its_transaction(
    db: asyncpg.Connection, run_id: str, expected: Expected, evidence: Evidence
) -> None:
    table = next(iter(expected.tables))
    left = await named_statements_after(db, f"dod02_{run_id}", table)
    evidence.have_want({"named prepared statements left": left}, {"named prepared statements": []})
    verdict(evidence, [differ("client statement cache", "named prepared statements", left, [])])
