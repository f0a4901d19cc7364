"""The right diagnosis, fast: each case ends in one ERROR line that says what is wrong and
what to do, with the password masked in every output and no report written."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .test_bad_input import BUDGET, TIMEOUT, _url, one_error_line, run_bad


@contextlib.contextmanager
def http_server() -> Iterator[int]:
    """A real HTTP server (it waits for a line end before it answers anything)."""

    class Quiet(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def test_an_http_server_on_the_port_is_named_fast(run_acceptance):
    with http_server() as port:
        result, _, elapsed = run_bad(run_acceptance, _url("127.0.0.1", port))
    line = one_error_line(result, "is not a PostgreSQL server (an HTTP server answers there)")
    assert "check the port" in line
    assert elapsed < TIMEOUT + 8  # named by the probe, not by the connect timeout


def test_verify_full_without_a_ca_file_says_to_add_sslrootcert(staging, run_acceptance):
    url = staging.url.replace("sslmode=require", "sslmode=verify-full")
    result, out, elapsed = run_bad(run_acceptance, url)
    one_error_line(result, "sslmode=verify-full needs the CA certificate")
    assert "sslrootcert=" in out
    assert "does not speak the PostgreSQL protocol" not in out
    assert elapsed < BUDGET


def test_sslmode_disable_against_a_tls_only_pooler_says_what_to_do(staging, run_acceptance):
    url = staging.url.replace("sslmode=require", "sslmode=disable")
    result, _, elapsed = run_bad(run_acceptance, url)
    line = one_error_line(result, "accepts only TLS connections but DATABASE_URL has sslmode=")
    assert "set sslmode=require" in line
    assert elapsed < BUDGET


def test_an_unknown_database_twice_within_the_poolers_login_retry_delay(staging, run_acceptance):
    """PgBouncer holds the second login while it waits server_login_retry: still the right
    diagnosis (the database name), not "check host, port and firewall"."""
    url = staging.url.replace(f"/{staging.database}?", "/no_such_db?")
    first, _, _ = run_bad(run_acceptance, url)
    one_error_line(first, "database 'no_such_db' does not exist")
    t0 = time.monotonic()
    second, _, _ = run_bad(run_acceptance, url)
    line = one_error_line(second, "'no_such_db'")
    assert time.monotonic() - t0 < 15, "the second run must come within the retry delay"
    assert "firewall" not in line
