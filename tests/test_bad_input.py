"""Bad input ends in one clear line (what is wrong, what to do), a non-zero exit, within the
connect timeout, with the password masked in every output."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from supabase_acceptance.config import load_profiles
from supabase_acceptance.errors import HarnessError
from supabase_acceptance.expected import load
from supabase_acceptance.inputs import url_options
from supabase_acceptance.reads import role_sql
from supabase_acceptance.report import markdown
from supabase_acceptance.report.run import Run
from supabase_acceptance.report.signoff import EXIT, Row

from ._services import closed_port, listener
from .conftest import PATHS, ROOT, start_acceptance

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
    expected = load(PATHS.expected_file, role_file=role, samples_file=PATHS.samples_file)
    with pytest.raises(HarnessError, match=r"role.yaml attributes: have \['replication'\]"):
        role_sql(expected)


# --- every input validated: one line naming the file (or DATABASE_URL) and the key ---------

DUMMY_URL = "postgresql://postgres:pw@127.0.0.1:6543/postgres?sslmode=require"  # never reached
LATIN1 = b"# caf\xe9\n"  # a comment saved in Latin-1: byte 0xe9 is not UTF-8


def _project(tmp_path: Path) -> Path:
    """A copy of the project (pytest.ini, conftest.py, profiles.yaml, schema/) whose files a
    case may break; the acceptance tests are the real ones."""
    proj = tmp_path / "project"
    proj.mkdir()
    for name in ("pytest.ini", "conftest.py", "profiles.yaml"):
        shutil.copy(ROOT / name, proj / name)
    shutil.copytree(ROOT / "schema", proj / "schema")
    (proj / "acceptance").symlink_to(ROOT / "acceptance")
    return proj


def _append(rel: str, data: bytes = LATIN1) -> Callable[[Path], int]:
    """Add `data` at the end of the project's file `rel`; the offset of its bad byte."""

    def mutate(proj: Path) -> int:
        path = proj / rel
        old = path.read_bytes() if path.exists() else b""
        path.write_bytes(old + data)
        return len(old) + data.find(b"\xe9")

    return mutate


def _profile(name: str, key: str, value: Any) -> Callable[[Path], None]:
    def mutate(proj: Path) -> None:
        raw = yaml.safe_load((proj / "profiles.yaml").read_text())
        raw[name][key] = value
        (proj / "profiles.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))

    return mutate


def _nothing(proj: Path) -> None:
    return None


# id, how the project is broken, extra arguments, what the one line must say
BAD_INPUTS: list[tuple[str, Callable[[Path], Any], tuple[str, ...], tuple[str, ...]]] = [
    (
        "expected.yaml not UTF-8",
        _append("schema/expected.yaml"),
        (),
        ("expected.yaml", "not UTF-8", "byte 0xe9 at offset {offset}"),
    ),
    (
        "divergences.yaml not UTF-8",
        _append("schema/divergences.yaml", b"- object: users # caf\xe9\n"),
        (),
        ("divergences.yaml", "not UTF-8", "byte 0xe9 at offset {offset}"),
    ),
    (
        "profiles.yaml not UTF-8",
        _append("profiles.yaml"),
        (),
        ("profiles.yaml", "not UTF-8", "byte 0xe9 at offset {offset}"),
    ),
    (
        ".env not UTF-8",
        _append(".env", b"DATABASE_URL=postgresql://u:p@h/db # caf\xe9\n"),
        ("--no-url",),
        (".env", "DATABASE_URL", "not UTF-8", "byte 0xe9 at offset {offset}"),
    ),
    (
        "schema.sql not UTF-8",
        _append("schema/schema.sql", b"-- caf\xe9\n"),
        ("-m", "local"),
        ("schema.sql", "--schema-file", "not UTF-8", "byte 0xe9 at offset {offset}"),
    ),
    (
        "profiles.yaml not YAML",
        _append("profiles.yaml", b"staging: [\n"),
        (),
        ("profiles.yaml", "not valid YAML at line"),
    ),
    (
        "pool_size 100000",
        _profile("staging", "pool_size", 100000),
        (),
        ("profiles.yaml: staging.pool_size: have 100000", "1..50"),
    ),
    (
        "pool_size ten",
        _profile("staging", "pool_size", "ten"),
        (),
        ("profiles.yaml: staging.pool_size: have 'ten'", "whole number in 1..50"),
    ),
    (
        "writes sometimes",
        _profile("staging", "writes", "sometimes"),
        (),
        ("profiles.yaml: staging.writes: have 'sometimes'", "rollback", "none"),
    ),
    (
        "sslmode disable on staging",
        _profile("staging", "sslmode", "disable"),
        (),
        ("profiles.yaml: staging.sslmode: have 'disable'", "require, verify-ca, verify-full"),
    ),
    (
        "production writes rollback",
        _profile("production", "writes", "rollback"),
        ("--env", "production"),
        ("profiles.yaml: production.writes: have 'rollback'", "never writes"),
    ),
    (
        "negative budget in profiles.yaml",
        _profile("staging", "latency_budget_ms", -5),
        (),
        ("profiles.yaml: staging.latency_budget_ms: have -5", "above 0"),
    ),
    (
        "negative --latency-budget-ms",
        _nothing,
        ("--latency-budget-ms", "-5"),
        ("--latency-budget-ms", "have '-5'", "above 0"),
    ),
    (
        "port 70000 in the URL",
        _nothing,
        ("--database-url", "postgresql://postgres:pw@127.0.0.1:70000/postgres?sslmode=require"),
        ("DATABASE_URL port: have '70000'", "1..65535"),
    ),
    (
        "unknown URL option",
        _nothing,
        ("--database-url", DUMMY_URL + "&pgbouncer=true"),
        ("DATABASE_URL option 'pgbouncer'", "connect_timeout"),
    ),
    (
        "connect_timeout 0 in the URL",
        _nothing,
        ("--database-url", DUMMY_URL + "&connect_timeout=0"),
        ("DATABASE_URL connect_timeout: have '0'", "1..600"),
    ),
]


@pytest.mark.parametrize(
    ("mutate", "extra", "says"), [pytest.param(*c[1:], id=c[0]) for c in BAD_INPUTS]
)
def test_a_bad_input_is_one_usage_line_naming_file_and_key(
    tmp_path: Path, mutate: Callable[[Path], Any], extra: tuple[str, ...], says: tuple[str, ...]
) -> None:
    proj = _project(tmp_path)
    offset = mutate(proj)
    args = [a for a in extra if a != "--no-url"]
    if "--database-url" not in args and "--no-url" not in extra:
        args += ["--database-url", DUMMY_URL]
    if "-m" not in args:
        args += ["-m", "supabase"]
    command = [sys.executable, "-m", "pytest", "-c", str(proj / "pytest.ini")]
    command += ["--rootdir", str(proj), "-p", "no:cacheprovider"]
    command += ["--report-dir", str(proj / "reports"), *args, str(proj / "acceptance")]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    t0 = time.monotonic()
    done = subprocess.run(command, cwd=proj, env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - t0
    out = done.stdout + done.stderr
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, out[-2000:]
    errors = [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR:")]
    assert len(errors) == 1, out[-2000:]
    for phrase in says:
        assert phrase.format(offset=offset) in errors[0], errors[0]
    assert "Traceback" not in out, out[-2000:]
    assert "INTERNALERROR" not in out, out[-2000:]
    assert not (proj / "reports").exists() or not list((proj / "reports").iterdir())
    assert elapsed < 15


def test_libpq_options_in_the_url_pass_or_are_honoured() -> None:
    url = DUMMY_URL + (
        "&connect_timeout=7&application_name=acceptance&target_session_attrs=read-write"
        "&keepalives=1&keepalives_idle=30&sslrootcert=/tmp/ca.crt"
    )
    clean, timeout = url_options(url)
    assert timeout == 7
    assert clean == DUMMY_URL + "&application_name=acceptance&target_session_attrs=read-write" + (
        "&sslrootcert=/tmp/ca.crt"
    )
    assert url_options("postgresql://u:p@h/db") == ("postgresql://u:p@h/db", None)


def test_connect_timeout_in_the_url_is_the_connect_timeout(run_acceptance):
    """No --connect-timeout: the URL's libpq connect_timeout bounds the preflight."""
    with listener(reply=None) as port:
        t0 = time.monotonic()
        result = run_acceptance(
            "-m",
            "supabase",
            "--database-url",
            _url("127.0.0.1", port, query=("sslmode=require&connect_timeout=2")),
        )
        elapsed = time.monotonic() - t0
    one_error_line(result, f"no answer from 127.0.0.1:{port} within 2 s")
    assert elapsed < BUDGET


def test_a_url_with_connect_timeout_and_application_name_runs(staging, run_acceptance):
    url = staging.url + "&connect_timeout=10&application_name=acceptance-selftest&keepalives=1"
    modules = ("test_dod01_connectivity.py", "test_dod02_transport.py")
    result = run_acceptance("-m", "supabase", "--database-url", url, modules=modules)
    assert result.ret == EXIT["PARTIAL"], result.stdout.str()[-2000:]  # two items only


def test_the_markdown_report_embeds_no_html_from_entries(tmp_path: Path) -> None:
    """A test message, a reason or a database's answer is text in the .md: < > & escaped, a
    pipe does not split a table cell, a line break does not end the row."""
    evil = "<img src=x onerror=alert(1)> a|b & c\n| forged | row |"
    run = Run("supabase", "staging", tmp_path, interrupted=evil)
    run.divergences = [{"item": "DOD-04", "verdict": "accepted", "line": evil, "reason": evil}]
    run.stale_justifications = [{"object": evil, "property": "options"}]
    run.advisories = {
        "mode": "report",
        "findings": [
            {
                "level": "WARN",
                "name": "lint`x",
                "object": evil,
                "detail": evil,
                "proof": evil,
                "remediation": "SELECT 1 | 2 <> 3",
            }
        ],
        "skipped": {"rls": evil},
    }
    row = Row("DOD-04", evil, "fail", evil, 1, 0, 1, 0, evil, [])
    md = markdown.render(run, [row], "INTERRUPTED")
    assert "<img" not in md
    assert "&lt;img src=x onerror=alert(1)&gt; a\\|b &amp; c \\| forged \\| row \\|" in md
    table = [ln for ln in md.splitlines() if ln.startswith("| DOD-04")]
    assert len(table) == 1, md
    assert len(re.findall(r"(?<!\\)\|", table[0])) == 4, table  # three cells, no more
    assert "| ``lint`x`` |" in md  # a code span keeps its text, backticks and all
    assert "`SELECT 1 \\| 2 <> 3`" in md  # literal inside code: no entity shown there
    assert "forged | row" not in md
