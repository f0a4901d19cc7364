"""Live traffic: `-m supabase` three times against a staging database an application is
writing through the same pooler, at the same time. Every run is green (no false alarm), the
application sees no error, and its writes of the keys the harness also writes (the DDL's
sample block) never take 50 ms or more while the harness runs.

The application is pgbench through PgBouncer + TLS, simple protocol, two processes so that no
two of its clients write the same key (its own lock waits would hide the harness's): 3 clients
at 70 tx/s of sign-ups (a tenant, a user of the sample tenant with a session, an audit row)
and logins (a user updated, so its trigger fires, a session added, the client's tenant
touched); 1 client at 30 tx/s writing the sample block's own keys (`hotel-demo`,
`resort-test`, the identifier, `usr_admin_demo`) in one round trip and abandoning them, timing
its inserts server-side (NOTICE `app-keys <epoch> <ms>`). The staging database holds ~20k users
and sessions and none of the sample rows, so every harness run inserts the sample's keys
itself: the worst case for an application writing them. The server also logs every lock wait
of 10 ms or more (`log_lock_waits`, `deadlock_timeout` on the staging database): reported.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import statistics
import subprocess
import time
from pathlib import Path

import asyncpg
import pytest

ROWS = 20_000
LEAD = 4.0  # seconds of application traffic before the first harness run: the baseline
CAP = 600  # pgbench's -T; it is stopped (SIGINT) TAIL seconds after the last harness run
TAIL = 5.0  # more than its log buffer holds (4 KB), so every transaction of the runs is logged
WAIT_MS = 50
LOGGED_MS = 10  # lock waits from this long are logged (deadlock_timeout), to measure
# Debian's, built with TLS (the embedded wheel's is not: the pooler requires TLS)
PGBENCH = shutil.which("pgbench") or "pgbench"

SEED = f"""
-- the sample block never loaded: each harness run inserts its keys itself
DELETE FROM tenants WHERE tenant_id IN ('hotel-demo', 'resort-test');  -- and identifiers
DELETE FROM users WHERE id = 'usr_admin_demo';  -- and its sessions, password history
SELECT setval(pg_get_serial_sequence('tenants', 'id'), max(id)) FROM tenants;  -- past 1001
INSERT INTO tenants (tenant_id, name) SELECT 'app-' || g, 'App ' || g
  FROM generate_series(1, 2000) g;
INSERT INTO users (id, username, email, hashed_password, tenant_id)
  SELECT 'app-user-' || g, 'app-user-' || g, 'app-user-' || g || '@example.com', 'x',
         'app-' || (g % 2000 + 1) FROM generate_series(1, {ROWS}) g;
INSERT INTO user_sessions (id, user_id, token_jti, expires_at)
  SELECT 'app-sess-' || g, 'app-user-' || g, 'app-jti-' || g, now() + interval '1 day'
  FROM generate_series(1, {ROWS}) g;
ANALYZE;
"""

SCRIPTS = {
    # a new tenant; a user of the sample tenant with a session; an audit row
    "signup": """
BEGIN;
INSERT INTO tenants (tenant_id, name) VALUES ('app-' || gen_random_uuid(), 'App tenant');
WITH u AS (
  INSERT INTO users (id, username, email, hashed_password, tenant_id)
  SELECT x, x, x || '@example.com', 'x', 'hotel-demo' FROM (SELECT gen_random_uuid()::text) s(x)
  RETURNING id)
INSERT INTO user_sessions (id, user_id, token_jti, expires_at)
SELECT gen_random_uuid(), id, gen_random_uuid(), now() + interval '1 hour' FROM u;
INSERT INTO lock_audit (lock_key, event_type, details)
VALUES ('reservation:' || gen_random_uuid(), 'acquired', '{"holder_id": "worker-1"}');
END;
""",
    # an existing user logs in: updated (trigger), a session added, its tenant touched
    "login": """
\\set n random(1, 20000)
BEGIN;
UPDATE users SET password_last_changed = now(), full_name = 'User ' || :n
WHERE id = 'app-user-' || :n;
INSERT INTO user_sessions (id, user_id, token_jti, expires_at)
VALUES (gen_random_uuid(), 'app-user-' || :n, gen_random_uuid(), now() + interval '1 hour');
UPDATE tenants SET status = 'active' WHERE tenant_id = 'app-' || (:client_id + 1);
END;
""",
    # the sample block's own keys written and abandoned (one round trip, so the only client
    # running it never waits on itself); the time its inserts took, waits included, is noted
    "demo": """
DO $app$
DECLARE t timestamptz := clock_timestamp();
BEGIN
  BEGIN
    INSERT INTO tenants (tenant_id, name, status)
    VALUES ('hotel-demo', 'Hotel Demo', 'active'), ('resort-test', 'Resort Test', 'active')
    ON CONFLICT (tenant_id) DO NOTHING;
    INSERT INTO tenant_user_identifiers (tenant_id, identifier)
    SELECT t.id, '+5491112345678' FROM tenants t WHERE t.tenant_id = 'hotel-demo'
    ON CONFLICT (identifier) DO NOTHING;
    INSERT INTO users (id, username, email, hashed_password, is_superuser, tenant_id)
    VALUES ('usr_admin_demo', 'admin', 'admin@hotel-demo.com', 'x', TRUE, 'hotel-demo')
    ON CONFLICT (id) DO NOTHING;
    RAISE SQLSTATE 'AP001';
  EXCEPTION WHEN SQLSTATE 'AP001' THEN NULL;
  END;
  RAISE NOTICE 'app-keys % %', extract(epoch FROM clock_timestamp()),
    extract(epoch FROM clock_timestamp() - t) * 1000;
END
$app$;
""",
}
# (clients, tx/s, scripts@weight): no two clients write the same key
APPS = {"app": (3, 70, ["signup@3", "login@4"]), "keys": (1, 30, ["demo@1"])}
KEYS = re.compile(r"app-keys ([\d.]+) ([\d.]+)")
LOCK_WAIT = re.compile(r"process \d+ (?:still waiting|acquired) .*? after ([\d.]+) ms")


def pgbench(url: str, tmp: Path, name: str, seconds: float) -> subprocess.Popen[str]:
    clients, rate, scripts = APPS[name]
    args = [PGBENCH, "-n", "-M", "simple", "-c", str(clients), "-j", "1", "-R", str(rate)]
    args += ["-T", str(int(seconds)), "-l", f"--log-prefix={tmp / name}"]
    for script in scripts:
        (tmp / f"{script.split('@')[0]}.sql").write_text(SCRIPTS[script.split("@")[0]])
        args += ["-f", str(tmp / script.replace("@", ".sql@"))]
    err = (tmp / f"{name}.err").open("w")
    return subprocess.Popen([*args, url], stdout=subprocess.PIPE, stderr=err, text=True)


def transactions(tmp: Path) -> list[tuple[float, float]]:
    """(end time epoch s, latency ms or nan for a failure) per app transaction."""
    out = []
    for name in APPS:
        for log in tmp.glob(f"{name}.[0-9]*"):
            for line in log.read_text().splitlines():
                f = line.split()
                if len(f) < 6:  # the last line, cut by the stop
                    continue
                latency = float(f[2]) / 1000 if f[2].isdigit() else float("nan")
                out.append((int(f[4]) + int(f[5]) / 1e6, latency))
    return sorted(out)


def summary(values: list[float]) -> dict[str, float]:
    values = [v for v in values if v == v]  # failures (nan) are counted apart
    if len(values) < 2:
        return {"n": len(values), "max": max(values, default=0.0)}
    q = statistics.quantiles(values, n=100)
    return {"n": len(values), "p50": q[49], "p99": q[98], "max": max(values)}


def during(t: float, windows: list[tuple[float, float]]) -> bool:
    return any(a <= t <= b for a, b in windows)


@pytest.mark.skipif(shutil.which("pgbench") is None, reason="pgbench is not installed")
async def test_three_runs_under_application_traffic(staging, run_acceptance, pytester, tmp_path):
    log = staging.server.details.get("log")
    if log is None:
        pytest.skip(f"{staging.server.backend}: the server's log is not readable here")
    admin = await asyncpg.connect(staging.server.dsn(staging.database))
    try:
        await admin.execute(SEED)
        for setting in ("log_lock_waits = on", f"deadlock_timeout = '{LOGGED_MS}ms'"):
            await admin.execute(f'ALTER DATABASE "{staging.database}" SET {setting}')
    finally:
        await admin.close()
    server_log = Path(log)
    log_start = server_log.stat().st_size

    apps = {name: pgbench(staging.url, tmp_path, name, CAP) for name in APPS}
    await asyncio.sleep(LEAD)
    windows: list[tuple[float, float]] = []
    statuses: list[str] = []
    failures: list[str] = []
    for _ in range(3):
        start = time.time()
        result = run_acceptance("-m", "supabase", "--database-url", staging.url)
        windows.append((start, time.time()))
        report = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
        statuses.append(report["status"])
        failures += [
            f"{t['item']} {t['message']}" for t in report["tests"] if t["outcome"] == "failed"
        ]
        assert result.ret in (0, 1), result.stdout.str()[-3000:]
    await asyncio.sleep(TAIL)
    errors = ""
    for name, app in apps.items():
        assert app.poll() is None, f"{name} stopped: {(tmp_path / f'{name}.err').read_text()}"
        app.send_signal(signal.SIGINT)  # pgbench has no clean stop; errors are on stderr
        app.communicate(timeout=30)
        errors += "".join(ln for ln in (tmp_path / f"{name}.err").open() if "app-keys" not in ln)

    done = transactions(tmp_path)
    keys = [(float(t), float(ms)) for t, ms in KEYS.findall((tmp_path / "keys.err").read_text())]
    logged = server_log.read_bytes()[log_start:].decode(errors="replace")
    waits = [float(m[1]) for m in LOCK_WAIT.finditer(logged)]  # waiting, then acquired, ms
    measured = {
        "statuses": statuses,
        "harness runs s": [round(b - a, 1) for a, b in windows],
        "app transactions": len(done),
        "app failed": sum(lat != lat for _, lat in done),
        "app latency before the harness ms": summary([x for t, x in done if t < windows[0][0]]),
        "app latency during the harness ms": summary([x for t, x in done if during(t, windows)]),
        # the sample's keys, inserted by the application itself: waits on the harness show here
        "app's sample-key inserts before ms": summary([x for t, x in keys if t < windows[0][0]]),
        "app's sample-key inserts during ms": summary([x for t, x in keys if during(t, windows)]),
        f"lock waits logged (>= {LOGGED_MS} ms, any session)": len(waits),
        "longest lock wait ms": max(waits, default=0.0),
    }
    print(json.dumps(measured, indent=1))
    (tmp_path / "measured.json").write_text(json.dumps(measured, indent=1))
    assert statuses == ["SUCCESS"] * 3, failures
    assert measured["app failed"] == 0, errors[-3000:]
    assert not errors.strip(), errors[-3000:]
    assert measured["app's sample-key inserts during ms"]["max"] < WAIT_MS
