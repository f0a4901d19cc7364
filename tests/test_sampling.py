"""DOD-11's sampler process on a real server: libpq through ctypes (_libpq.py), each outcome the
kind the harness reports (a sample, a refused login, a server error, a lost link), and a process
that never imports psycopg (its import was what the samples' login waited for)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from supabase_acceptance import _libpq, sampling
from supabase_acceptance.provision import Server


def test_samples_are_timed_with_their_command_tag(server: Server):
    conn = sampling.login(server.dsn(), timeout=5)
    try:
        timed = sampling.take(conn, 20, b"SELECT 1", 5)
        assert len(timed) == 20
        assert all(tag == b"SELECT 1" and 0 < ms < 5000 for ms, tag in timed)
        assert conn.ok
        assert conn.idle
    finally:
        conn.finish()
    assert _libpq.version().split(".")[0].isdigit()


def test_a_refused_login_is_a_login_failure_without_the_password(server: Server):
    url = server.dsn().replace(f":{server.password}@", ":not-the-password-42@")
    with pytest.raises(sampling.LoginFailed) as info:
        sampling.login(url, timeout=5)
    assert "password authentication failed" in str(info.value)
    assert "not-the-password-42" not in str(info.value)


def test_a_server_error_is_a_sample_error_and_leaves_the_connection_idle(server: Server):
    conn = sampling.login(server.dsn(), timeout=5)
    try:
        with pytest.raises(sampling.SampleError, match=r"^22012: .*division by zero"):
            sampling.take(conn, 1, b"BEGIN; SELECT 1/0", 5)
        assert conn.ok
        assert conn.idle
    finally:
        conn.finish()


def test_a_connection_the_server_drops_is_a_lost_link(server: Server):
    conn = sampling.login(server.dsn(), timeout=5)
    try:
        with pytest.raises(ConnectionError, match="latency connection was lost"):
            sampling.take(conn, 1, b"SELECT pg_terminate_backend(pg_backend_pid())", 5)
    finally:
        conn.finish()


def test_an_unanswered_sample_times_out(server: Server):
    conn = sampling.login(server.dsn(), timeout=5)
    with pytest.raises(TimeoutError, match=r"no answer within 0\.2 s"):
        sampling.take(conn, 1, b"SELECT pg_sleep(2)", 0.2)
    assert not conn.ok  # dropped, not left waiting


def test_the_sampler_process_answers_without_importing_psycopg(server: Server):
    probe = (
        "import json, sys\n"
        "sys.argv = ['sampling', sys.argv[1]]\n"
        "import supabase_acceptance.sampling as s\n"
        "code = s.main(sys.argv)\n"
        "print(json.dumps({'psycopg': 'psycopg' in sys.modules}))\n"
    )
    jobs = [
        {"dsn": server.dsn(), "timeout": 5},
        {"query": "SELECT 1", "samples": 3, "limit": 5},
    ]
    done = subprocess.run(
        [sys.executable, "-c", probe, str(os.getpid())],
        input="".join(json.dumps(j) + "\n" for j in jobs),
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = [json.loads(line) for line in done.stdout.splitlines()]
    assert said[0] == {"login": "ok"}, done.stderr
    assert said[1]["status"] == ["SELECT 1"] * 3
    assert len(said[1]["ms"]) == 3
    assert said[1]["client"].startswith("libpq ")
    assert said[2] == {"psycopg": False}


def test_a_url_with_an_uppercase_scheme_reaches_the_same_server(server: Server):
    """libpq expands only a lowercase scheme; the harness's parser and asyncpg read any case."""
    url = server.dsn()
    scheme, rest = url.split("://", 1)
    conn = sampling.login(scheme.upper() + "://" + rest, timeout=5)
    try:
        assert sampling.take(conn, 1, b"SELECT 1", 5)[0][1] == b"SELECT 1"
    finally:
        conn.finish()


def test_text_that_is_neither_a_url_nor_parameters_is_a_login_failure():
    with pytest.raises(sampling.LoginFailed, match="neither postgresql://"):
        sampling.login("postgresq1://u:secret-pw-99@db.example.com/postgres", timeout=5)
