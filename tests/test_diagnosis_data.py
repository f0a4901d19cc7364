"""Data state (issue 16): rows that break a promise of the catalog are found as one root cause
each, with the expected item, object, count and samples; the fix statements clear them.

Every case starts from the canonical schema with the staging rows, adds one defect, reads
`data_sql` (one round trip), checks the one finding, applies its fix (the DECISIONs too, as a
human who chose them would) and reads again: nothing is left."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from supabase_acceptance import databases
from supabase_acceptance.catalog import read_json, snapshot
from supabase_acceptance.client import connect
from supabase_acceptance.diagnosis.data import data_sql, findings
from supabase_acceptance.expected import Expected, document, live_model, load
from supabase_acceptance.findings import HAZARDS, PHASES, Finding
from supabase_acceptance.provision import Server

from .conftest import PATHS, SCHEMA, STAGING_ROWS


@pytest.fixture(scope="module")
async def expected(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Expected:
    """The expected state of schema.sql, generated here (as `python -m
    supabase_acceptance.expected` does) so it is never stale."""
    async with databases.scratch(server, "dx_expected", ddl=SCHEMA) as db:
        conn = await connect(db.dsn)
        try:
            cat = await snapshot(conn)
        finally:
            await conn.close()
    raw = yaml.safe_load(PATHS.expected_file.read_text()) or {}
    policy = {k: raw[k] for k in ("server", "forbidden_tables") if k in raw}
    path: Path = tmp_path_factory.mktemp("expected") / "expected.yaml"
    path.write_text(document(cat, policy))
    return load(path, role_file=PATHS.role_file, samples_file=PATHS.samples_file)


async def _rows(conn: asyncpg.Connection) -> None:
    await conn.execute(STAGING_ROWS.read_text())


@pytest.fixture
async def staging(server: Server) -> AsyncIterator[databases.Database]:
    async with databases.scratch(server, "dx", ddl=SCHEMA, setup=_rows) as db:
        yield db


async def diagnose(
    conn: asyncpg.Connection, expected: Expected
) -> tuple[list[Finding], float, Any]:
    """The findings, the time of the one data read (ms), and what it read."""
    cat = await snapshot(conn)
    sql = data_sql(expected, live_model(cat, expected))
    start = time.perf_counter()
    result = await read_json(conn, sql)
    ms = (time.perf_counter() - start) * 1000
    return findings(result, expected), ms, result


async def fix(conn: asyncpg.Connection, finding: Finding) -> None:
    for statement in finding.fix:
        await conn.execute(statement.sql)
        if statement.preview:  # the preview is a read-only query that runs
            await conn.fetch(statement.preview)


def well_formed(finding: Finding) -> None:
    assert finding.fix
    for st in finding.fix:
        assert st.phase in PHASES, st
        assert set(st.hazards) <= set(HAZARDS), st
        assert '"public".' in st.sql, st  # every relation qualified and quoted
        assert (st.preview is not None) == st.decision, st
        if st.decision:
            assert "DELETES_DATA" in st.hazards
            assert st.preview is not None
            assert st.preview.startswith("SELECT")


REPLICA_ORPHANS = """SET session_replication_role = replica;
INSERT INTO user_sessions (id, user_id, token_jti, expires_at) VALUES
  ('orphan-1', 'no-such-user', 'jti-o1', '2030-01-01'),
  ('orphan-2', 'no-such-user', 'jti-o2', '2030-01-01');
SET session_replication_role = origin"""

# (defect SQL, (item, cause, object, count, samples), decisions among the fix statements)
CASES: dict[str, tuple[str, tuple[Any, ...], int]] = {
    "orphans-loaded-as-replica": (
        REPLICA_ORPHANS,
        (
            "DOD-07",
            "fk_orphans",
            "constraint user_sessions_user_id_fkey on public.user_sessions",
            2,
            ("orphan-1", "orphan-2"),
        ),
        1,
    ),
    "fk-added-not-valid-over-orphans": (
        """ALTER TABLE password_history DROP CONSTRAINT password_history_user_id_fkey;
        INSERT INTO password_history (user_id, password_hash) VALUES ('ghost', 'h');
        ALTER TABLE password_history ADD CONSTRAINT password_history_user_id_fkey
          FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE NOT VALID""",
        (
            "DOD-07",
            "fk_orphans",
            "constraint password_history_user_id_fkey on public.password_history",
            1,
            ("3",),
        ),
        1,
    ),
    "fk-not-valid-without-orphans": (
        """ALTER TABLE tenant_user_identifiers
             DROP CONSTRAINT tenant_user_identifiers_tenant_id_fkey;
        ALTER TABLE tenant_user_identifiers ADD CONSTRAINT tenant_user_identifiers_tenant_id_fkey
          FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE NOT VALID""",
        (
            "DOD-07",
            "not_valid",
            "constraint tenant_user_identifiers_tenant_id_fkey on public.tenant_user_identifiers",
            None,
            (),
        ),
        0,
    ),
    "fk-triggers-disabled": (
        "ALTER TABLE user_sessions DISABLE TRIGGER ALL",
        (
            "DOD-07",
            "trigger_disabled",
            "constraint user_sessions_user_id_fkey on public.user_sessions",
            None,
            (),
        ),
        0,
    ),
    "check-added-not-valid-over-rows": (
        """UPDATE tenants SET business_hours_start = 25 WHERE tenant_id = 'resort-test';
        ALTER TABLE tenants ADD CONSTRAINT chk_hours
          CHECK (business_hours_start BETWEEN 0 AND 23) NOT VALID""",
        ("DOD-05", "check_violation", "constraint chk_hours on public.tenants", 1, ("2",)),
        1,
    ),
    "nulls-in-a-ddl-not-null-column": (
        """ALTER TABLE lock_audit ALTER COLUMN event_type DROP NOT NULL;
        INSERT INTO lock_audit (lock_key) VALUES ('k-null')""",
        ("DOD-05", "null_violation", "column public.lock_audit.event_type", 1, ("3",)),
        1,
    ),
    "sequence-set-back-after-imported-ids": (
        """INSERT INTO tenants (tenant_id, name)
          SELECT 'imported-' || g, 'Imported' FROM generate_series(1, 5) g;
        SELECT setval('tenants_id_seq', 2)""",
        ("DOD-05", "sequence_behind", "sequence public.tenants_id_seq", 7, ("3", "4", "5")),
        0,
    ),
    "trigger-disabled": (
        "ALTER TABLE users DISABLE TRIGGER update_users_updated_at",
        ("DOD-08", "trigger_disabled", "trigger update_users_updated_at on public.users", None, ()),
        0,
    ),
    "unique-dropped-then-duplicates": (
        """ALTER TABLE users DROP CONSTRAINT users_email_key;
        INSERT INTO users (id, username, email, hashed_password) VALUES
          ('dup-1', 'dup-user-1', 'admin@hotel-demo.com', 'x'),
          ('dup-2', 'dup-user-2', 'admin@hotel-demo.com', 'x')""",
        ("DOD-09", "duplicates", "unique public.users(email)", 3, ("admin@hotel-demo.com",)),
        1,
    ),
    "primary-key-dropped-then-duplicates": (
        """ALTER TABLE lock_audit DROP CONSTRAINT lock_audit_pkey;
        INSERT INTO lock_audit (id, lock_key, event_type) VALUES (1, 'again', 'acquired')""",
        ("DOD-05", "duplicates", "primary key public.lock_audit(id)", 2, ("1",)),
        1,
    ),
}


def _shape(f: Finding) -> tuple[Any, ...]:
    return (f.item, f.cause, f.object, f.count, f.samples)


async def _case(
    server: Server,
    expected: Expected,
    defect: Callable[[asyncpg.Connection, databases.Database], Awaitable[None]],
    want: tuple[Any, ...],
    decisions: int,
    label: str,
) -> Finding:
    async with databases.scratch(server, "dx", ddl=SCHEMA, setup=_rows) as db:
        conn = await connect(db.dsn)
        try:
            await defect(conn, db)
            found, ms, _ = await diagnose(conn, expected)
            print(f"\n{label}: data read {ms:.1f} ms; {[f.headline for f in found]}")
            assert [_shape(f) for f in found] == [want]
            (finding,) = found
            well_formed(finding)
            assert sum(st.decision for st in finding.fix) == decisions
            await fix(conn, finding)
            after, _, _ = await diagnose(conn, expected)
            assert after == [], [f.headline for f in after]
            return finding
        finally:
            await conn.close()


@pytest.mark.parametrize("name", list(CASES))
async def test_each_defect_is_one_finding_and_its_fix_clears_it(
    name: str, server: Server, expected: Expected
) -> None:
    sql, want, decisions = CASES[name]

    async def defect(conn: asyncpg.Connection, db: databases.Database) -> None:
        await conn.execute(sql)

    await _case(server, expected, defect, want, decisions, name)


async def test_staging_rows_have_no_finding_and_the_read_is_cheap(
    staging: databases.Database, expected: Expected
) -> None:
    # search_path empty: nothing the checks run resolves through it
    admin = await connect(staging.dsn)
    try:
        await admin.execute(f"ALTER DATABASE \"{staging.name}\" SET search_path = ''")
    finally:
        await admin.close()
    conn = await connect(staging.dsn)
    try:
        times = []
        for _ in range(5):
            found, ms, result = await diagnose(conn, expected)
            assert found == [], [f.headline for f in found]
            times.append(ms)
        print(f"\nstaging rows: data read {sorted(times)[2]:.1f} ms (median of 5)")
        assert sorted(times)[2] < 1000
        # every DDL table was read, every promise of the DDL was checked
        assert sorted(result["tables"]) == sorted(expected.tables)
        assert len(result["foreign_keys"]) == len(expected.foreign_keys)
        assert {(s["table"], s["column"]) for s in result["sequences"]} == {
            ("lock_audit", "id"),
            ("password_history", "id"),
            ("tenant_user_identifiers", "id"),
            ("tenants", "id"),
        }
        # valid unique indexes: no duplicate scan ran
        assert all(d["result"] is None for d in result["duplicates"])
        # tenants.id 1001, inserted by hand: far ahead of the sequence, not a finding
        tenants = next(s for s in result["sequences"] if s["table"] == "tenants")
        assert (tenants["next"], tenants["first_stored"], tenants["behind"]) == (4, 1001, False)
    finally:
        await conn.close()


async def test_a_cancelled_concurrent_index_build_is_an_invalid_index(
    server: Server, expected: Expected
) -> None:
    async def defect(conn: asyncpg.Connection, db: databases.Database) -> None:
        await conn.execute("DROP INDEX idx_tenants_status")
        holder = await connect(db.dsn)
        try:
            # an open writer: CREATE INDEX CONCURRENTLY waits for it, then is cancelled
            await holder.execute(
                "BEGIN; INSERT INTO lock_audit (lock_key, event_type) "
                "VALUES ('hold', 'acquired'); UPDATE tenants SET name = name"
            )
            await conn.execute("SET statement_timeout = '300ms'")
            with pytest.raises(asyncpg.QueryCanceledError):
                await conn.execute(
                    "CREATE INDEX CONCURRENTLY idx_tenants_status ON tenants (status)"
                )
            await conn.execute("RESET statement_timeout")
            await holder.execute("ROLLBACK")
        finally:
            await holder.close()

    want = ("DOD-06", "invalid_index", "index public.idx_tenants_status", None, ())
    await _case(server, expected, defect, want, 0, "cancelled-concurrent-index")


async def test_a_unique_build_failed_on_duplicates_is_one_finding_with_reindex(
    server: Server, expected: Expected
) -> None:
    async def defect(conn: asyncpg.Connection, db: databases.Database) -> None:
        await conn.execute(CASES["unique-dropped-then-duplicates"][0])
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute("CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email)")

    want = CASES["unique-dropped-then-duplicates"][1]
    found = await _case(server, expected, defect, want, 1, "unique-build-failed-on-duplicates")
    # the invalid index is this finding's, rebuilt once the duplicates are gone
    assert [st.decision for st in found.fix] == [True, False]
    assert found.fix[1].sql == 'REINDEX INDEX "public"."users_email_key"'
    assert "invalid" in found.detail


async def test_cost_on_a_million_sessions(server: Server, expected: Expected) -> None:
    async with databases.scratch(server, "dx_big", ddl=SCHEMA, setup=_rows) as db:
        conn = await connect(db.dsn)
        try:
            start = time.perf_counter()
            for first in range(1, 1_000_001, 100_000):  # each batch within the timeout
                await conn.execute(
                    "INSERT INTO user_sessions (id, user_id, token_jti, expires_at) "
                    "SELECT 'bulk-' || g, 'usr_admin_demo', 'bulk-jti-' || g, '2030-01-01' "
                    f"FROM generate_series({first}, {first + 99_999}) g"
                )
            await conn.execute("ANALYZE user_sessions")
            print(f"\n1M sessions loaded in {time.perf_counter() - start:.1f} s")
            clean = []
            for _ in range(3):
                found, ms, _ = await diagnose(conn, expected)
                assert found == [], [f.headline for f in found]
                clean.append(ms)
            await conn.execute(REPLICA_ORPHANS)
            found, dirty, _ = await diagnose(conn, expected)
            assert [_shape(f) for f in found] == [CASES["orphans-loaded-as-replica"][1]]
            print(
                f"1M user_sessions: data read {min(clean):.0f} ms clean (best of 3), "
                f"{dirty:.0f} ms with 2 orphans (count + samples)"
            )
        finally:
            await conn.close()


def test_the_check_expression_of_a_definition() -> None:
    from supabase_acceptance.diagnosis.data import check_expression

    assert check_expression("CHECK ((a > 0))") == "(a > 0)"
    assert check_expression("CHECK ((a > 0)) NOT VALID") == "(a > 0)"
    assert check_expression("CHECK (((a)::text <> ''::text)) NO INHERIT") == (
        "((a)::text <> ''::text)"
    )
    assert check_expression("FOREIGN KEY (a) REFERENCES b(id)") is None
