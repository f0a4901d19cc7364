"""Bad input ends in one clear line (what is wrong, what to do), a non-zero exit, within the
connect timeout, with the password masked in every output."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from supabase_acceptance.config import load_profiles
from supabase_acceptance.errors import HarnessError
from supabase_acceptance.expected import load
from supabase_acceptance.reads import role_sql
from supabase_acceptance.report.signoff import EXIT

from ._services import closed_port, listener
from .conftest import ROOT, start_acceptance

TIMEOUT = 3  # --connect-timeout for these runs
BUDGET = TIMEOUT + 12  # plus interpreter start-up and collection on a loaded machine
PASSWORD = "Sup3r-s3cret!pw"


def _url(host: str, port: int, db: str = "postgres", query: str = "sslmode=require") -> str:
    return (
        f"postgresql://postgres.abcdefghijklmnopqrst:{quote(PASSWORD)}@{host}:{port}/{db}?{query}"
    )


def run_bad(run_acceptance, url: str, *extra: str) -> tuple[pytest.RunResult, str, float]:
    """Run loud (-vv --showlocals --tb=long): no output and no file holds the password, and a
    run stopped before any test writes no report (pytester runs in its own directory)."""
    t0 = time.monotonic()
    loud = ("-vv", "--showlocals", "--tb=long")
    result = run_acceptance(
        "-m", "supabase", "--database-url", url, "--connect-timeout", str(TIMEOUT), *loud, *extra
    )
    elapsed = time.monotonic() - t0
    out = result.stdout.str() + result.stderr.str()
    files = [p for p in Path.cwd().rglob("*") if p.is_file()]
    for text in [out, *(p.read_text(errors="replace") for p in files)]:
        assert PASSWORD not in text
        assert quote(PASSWORD) not in text
    if result.ret == pytest.ExitCode.USAGE_ERROR:
        assert not [p for p in files if p.name.startswith(("acceptance-", "latest-"))]
    return result, out, elapsed


def one_error_line(result: pytest.RunResult, phrase: str) -> str:
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [ln for ln in result.stderr.lines if ln.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr.str()
    assert phrase in errors[0], errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    return errors[0]


def test_malformed_url(run_acceptance):
    result, _, elapsed = run_bad(run_acceptance, f"postgres//postgres:{PASSWORD}@host/db")
    one_error_line(result, "DATABASE_URL is malformed")
    assert elapsed < BUDGET


def test_wrong_password(staging, run_acceptance):
    url = staging.url.replace(staging.server.password, quote(PASSWORD))
    result, _, elapsed = run_bad(run_acceptance, url)
    one_error_line(result, "authentication failed for user 'postgres'")
    assert elapsed < BUDGET


def test_unknown_database(staging, run_acceptance):
    url = staging.url.replace(f"/{staging.database}?", "/no_such_db?")
    result, out, elapsed = run_bad(run_acceptance, url)
    one_error_line(result, "database 'no_such_db' does not exist")
    assert staging.server.password not in out
    assert elapsed < BUDGET


def test_nothing_listening_on_the_port(run_acceptance):
    result, _, elapsed = run_bad(run_acceptance, _url("127.0.0.1", closed_port()))
    one_error_line(result, "nothing listens on 127.0.0.1:")
    assert elapsed < BUDGET


def test_host_that_does_not_resolve(run_acceptance):
    result, _, elapsed = run_bad(run_acceptance, _url("no-such-host.invalid", 6543))
    one_error_line(result, "host 'no-such-host.invalid' does not resolve")
    assert elapsed < BUDGET


def test_host_that_does_not_answer(run_acceptance):
    with listener(reply=None) as port:
        result, _, elapsed = run_bad(run_acceptance, _url("127.0.0.1", port))
    one_error_line(result, f"no answer from 127.0.0.1:{port} within {TIMEOUT} s")
    assert TIMEOUT <= elapsed < BUDGET


def test_server_without_tls_when_tls_is_required(server, run_acceptance):
    direct = f"{server.dsn()}?sslmode=require"
    result, out, elapsed = run_bad(run_acceptance, direct)
    one_error_line(result, "does not offer TLS but sslmode=require requires it")
    assert server.password not in out
    assert elapsed < BUDGET


def test_tls_verification_failure_with_verify_full(staging, run_acceptance, tmp_path):
    other_ca = tmp_path / "other-ca.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=other",
            "-keyout",
            str(tmp_path / "k"),
            "-out",
            str(other_ca),
        ],
        check=True,
        capture_output=True,
    )
    url = staging.url.replace("sslmode=require", f"sslmode=verify-full&sslrootcert={other_ca}")
    result, _, elapsed = run_bad(run_acceptance, url)
    one_error_line(result, "failed verification")
    assert elapsed < BUDGET


def test_verify_full_with_the_right_ca_passes_the_preflight(staging, run_acceptance):
    url = staging.url.replace(
        "sslmode=require", f"sslmode=verify-full&sslrootcert={staging.pooler.cafile}"
    )
    modules = ("test_dod01_connectivity.py", "test_dod02_transport.py")
    result = run_acceptance("-m", "supabase", "--database-url", url, modules=modules)
    assert result.ret == EXIT["PARTIAL"], result.stdout.str()[-2000:]  # two items only


def test_a_non_postgres_service_on_the_port(run_acceptance):
    with listener(reply=b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n") as port:
        result, _, elapsed = run_bad(run_acceptance, _url("127.0.0.1", port))
    one_error_line(result, "does not speak the PostgreSQL protocol")
    assert elapsed < BUDGET


def test_missing_database_url(run_acceptance, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = run_acceptance("-m", "supabase")
    one_error_line(result, "DATABASE_URL is not set")


def test_direct_port_under_the_staging_profile_fails_dod02(staging, run_acceptance):
    direct = staging.server.dsn(staging.database)
    result = run_acceptance(
        "-m",
        "supabase",
        "--database-url",
        f"{direct}?sslmode=disable",
        modules=("test_dod02_transport.py",),
    )
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*DOD-02 DATABASE_URL port: have *, want 6543*"])
    assert staging.server.password not in result.stdout.str()


def test_the_pooler_going_down_in_the_middle_of_a_run(staging, tmp_path):
    proc = start_acceptance(
        *("-v", "-m", "supabase", "--database-url", staging.url),
        *("--connect-timeout", str(TIMEOUT), "--report-dir", str(tmp_path)),
        str(ROOT / "acceptance"),
    )
    out = []
    for line in proc.stdout:
        out.append(line)
        if "test_dod07_foreign_keys.py::" in line:
            subprocess.run(["kill", "-KILL", str(staging.pooler.pid)], check=True)
            t0 = time.monotonic()
            break
    rest, _ = proc.communicate(timeout=60)
    elapsed = time.monotonic() - t0
    text = "".join(out) + rest
    assert proc.returncode == EXIT["INTERRUPTED"], text[-2000:]
    summary = json.loads((tmp_path / "latest-staging.json").read_text())
    assert summary["status"] == "INTERRUPTED"
    assert re.match(r"lost the connection to the database during test_", summary["interrupted"])
    assert not [r for r in summary["signoff"] if r["verdict"] == "fail"], summary["signoff"]
    lost = re.findall(r"lost the connection to the database during \S+ \(.*\): the pooler", text)
    assert lost, text[-3000:]
    assert "Interrupted: lost the connection" in text
    assert staging.server.password not in text
    assert elapsed < BUDGET * 2
    assert proc.returncode != -signal.SIGKILL


def test_a_profile_with_an_unknown_key_is_one_error_line(tmp_path: Path) -> None:
    bad = tmp_path / "profiles.yaml"
    bad.write_text((ROOT / "profiles.yaml").read_text().replace("pool_size:", "pool_sise:", 1))
    with pytest.raises(HarnessError, match=r"profiles.yaml: not a set of profiles .*pool_size"):
        load_profiles(bad)


def test_a_role_attribute_the_check_cannot_read_is_one_error_line(tmp_path: Path) -> None:
    """role.yaml is data; an attribute DOD-13 has no query for stops the run at start."""
    role = tmp_path / "role.yaml"
    text = (ROOT / "schema" / "role.yaml").read_text()
    role.write_text(text.replace("  login: true\n", "  login: true\n  replication: false\n"))
    expected = load(ROOT / "schema" / "expected.yaml", role_file=role)
    with pytest.raises(HarnessError, match=r"role.yaml attributes: have \['replication'\]"):
        role_sql(expected)
