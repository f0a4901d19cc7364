"""The seeds' commands (Makefile targets) as thin wrappers: real runs against the stand-in."""

from __future__ import annotations

import os

from .conftest import cli, make


def test_test_connection_reports_version_tls_and_latency(staging):
    done = cli("test-connection", "--database-url", staging.url)
    assert done.returncode == 0, done.stderr
    assert "server:  PostgreSQL" in done.stdout
    assert "TLS:     TLSv1." in done.stdout
    assert "latency:" in done.stdout
    assert staging.server.password not in done.stdout + done.stderr


def test_apply_schema_refuses_production_without_being_asked(staging):
    done = cli("apply-schema", "--env", "production", "--database-url", staging.url)
    assert done.returncode == 2
    assert done.stderr.startswith("ERROR: refusing to apply the schema to the production")


def test_apply_schema_applies_in_one_transaction_and_logs(staging):
    """On staging the schema is already there: the apply fails at its first non-idempotent
    statement, rolls back, and says which one."""
    done = cli("apply-schema", "--database-url", staging.url)
    assert done.returncode == 2
    assert "statement 2 (line 46) failed: 42P07" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_database_url_is_read_from_a_dot_env_file(staging, tmp_path):
    (tmp_path / ".env").write_text(f"DATABASE_URL={staging.url}\n")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = cli("test-connection", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert f"/{staging.database}?" in done.stdout


def test_make_targets_wrap_the_harness(staging):
    env = {**os.environ, "DATABASE_URL": staging.url}
    done = make("supabase-test-connection", env=env)
    assert done.returncode == 0, done.stderr
    assert "TLS:     TLSv1." in done.stdout
    refused = make("supabase-apply-schema", "ENV=production", env=env)
    assert refused.returncode != 0
    assert "refusing to apply the schema to the production profile" in refused.stderr
    validate = make("supabase-validate", env=env, timeout=120)
    # the checks that write were not run: the sign-off is PARTIAL, exit status 10 (make: 2)
    assert "Error 10" in validate.stderr, validate.stdout[-2000:]
    assert " passed" in validate.stdout
    assert staging.server.password not in done.stdout + refused.stderr + validate.stdout
