"""The Supabase advisories (advisories/) on real Postgres: the canonical schema on a
project's old privilege defaults is exposed (ERROR, proven by behaviour), on the new ones it is
not, hardened it has no finding while every DoD item still passes through the pooler, and each
advisory mutant is caught by its lint name. Strict mode's exit status; make supabase-harden."""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from supabase_acceptance import advisories as adv
from supabase_acceptance import databases
from supabase_acceptance.apply import apply_file
from supabase_acceptance.client import connect
from supabase_acceptance.errors import HarnessError

from ._mutation import ADVISORY_MUTANTS, drop
from .conftest import PATHS, SCHEMA, cli, make, pooler_on

LIKE = PATHS.supabase_like_file
HARDENING = PATHS.hardening_file
HARDENING_DIVERGENCES = PATHS.hardening_divergences_file


async def build(conn, defaults: str | None, *files: Path, extra: str = "") -> None:
    """supabase_like.sql with the given privilege defaults (None: plain Postgres), then files."""
    if defaults:
        await conn.execute(f"SET supabase_like.defaults = '{defaults}'")
        await apply_file(conn, LIKE)
    for f in files:
        await apply_file(conn, f)
    if extra:
        await conn.execute(extra)


@pytest.fixture(scope="module")
def spec() -> adv.AdvisorySpec:
    """schema/advisories.yaml, as the harness loads it in pytest_configure."""
    return adv.AdvisorySpec.load(PATHS.advisories_file)


async def advise(conn, spec, *, read_only: bool = False, backend: list[str] | None = None):
    if backend:
        spec = replace(spec, backend_roles=tuple(backend))
    cat = await adv.read_catalog(conn, spec)
    roles = adv.api_roles(spec, cat)
    sql, proof = "", {}
    if roles:
        sql, proof = await adv.prove(conn, spec, cat, roles, "t01", read_only)
    return sql, adv.lint(spec, cat, proof, proved=bool(roles), read_only=read_only)


def names(result: adv.Result) -> set[str]:
    return {f.name for f in result.findings}


async def test_canonical_on_the_old_defaults_is_exposed_and_proven(fresh_db, spec):
    conn = await fresh_db()
    await build(conn, "old", SCHEMA)
    sql, result = await advise(conn, spec)
    exposed = {f.object for f in result.of("rls_disabled_in_public")}
    tables = "users user_sessions password_history tenants tenant_user_identifiers lock_audit"
    assert exposed == {f"public.{t}" for t in tables.split()}
    assert all(f.level == "ERROR" for f in result.of("rls_disabled_in_public"))
    users = next(f for f in result.of("sensitive_columns_exposed") if f.object == "public.users")
    assert "hashed_password" in users.detail
    assert "as anon: SELECT saw 1 harness row; INSERT accepted; UPDATE changed 1 row" in users.proof
    assert "REVOKE" in users.remediation
    assert "ENABLE ROW LEVEL SECURITY" in users.remediation
    sensitive = {f.object: f.detail for f in result.of("sensitive_columns_exposed")}
    assert "password_hash" in sensitive["public.password_history"]
    assert "token_jti" in sensitive["public.user_sessions"]
    dup = {f.object: f.detail for f in result.of("duplicate_index")}
    assert set(dup) == {
        "public.idx_users_username",
        "public.idx_users_email",
        "public.idx_user_sessions_token_jti",
        "public.idx_tenants_tenant_id",
        "public.idx_tenant_identifiers_identifier",
    }
    assert "duplicates users_email_key, the index behind" in dup["public.idx_users_email"]
    assert "uq_identifier" in dup["public.idx_tenant_identifiers_identifier"]
    fn = result.of("function_search_path_mutable")
    assert [f.object for f in fn] == ["public.update_updated_at_column()"]
    assert fn[0].remediation.endswith("update_updated_at_column() SET search_path = '';")
    assert "timestamp_without_time_zone" in names(result)
    assert "unindexed_foreign_keys" not in names(result)  # every FK of the DDL is indexed
    # the proof left nothing behind and closed its transaction
    assert not conn.is_in_transaction()
    assert await conn.fetchval("SELECT count(*) FROM users") == 0
    assert sql.startswith("BEGIN;")
    assert sql.endswith("ROLLBACK")


async def test_canonical_on_the_new_defaults_has_no_exposure_finding(fresh_db, spec):
    conn = await fresh_db()
    await build(conn, "new", SCHEMA)
    _, result = await advise(conn, spec)
    assert not names(result) & {"rls_disabled_in_public", "sensitive_columns_exposed"}
    outcome = result.proof["public.users"]["anon"]["select"]
    assert outcome["sqlstate"] == "42501", outcome


def test_plain_postgres_skips_the_exposure_advisories_with_a_reason(run_acceptance, pytester):
    """A server of its own: the shared one holds Supabase's roles once any test created them."""
    result = run_acceptance("-m", "local", "--supabase-like", "no", "--advisories", "strict")
    summary = json.loads((pytester.path / "reports" / "latest-local.json").read_text())
    assert result.ret == 0, result.stdout.str()[-2000:]
    skipped = summary["advisories_run"]["skipped"]
    assert set(adv.EXPOSURE) <= set(skipped)
    assert "do not exist: not a Supabase project" in skipped["rls_disabled_in_public"]
    assert "duplicate_index" in {f["name"] for f in summary["advisories"]}  # the rest still runs
    outcomes = {t["nodeid"].split("[")[0]: t["outcome"] for t in summary["tests"]}
    assert outcomes["acceptance/test_advisories.py::test_data_api_roles_by_behaviour"] == "skipped"


async def test_hardened_canonical_has_no_finding(fresh_db, spec):
    conn = await fresh_db()
    await build(conn, "old", SCHEMA, HARDENING)
    _, result = await advise(conn, spec)
    assert result.findings == [], [(f.name, f.object) for f in result.findings]
    assert {f.name for f in result.accepted} == {"duplicate_index", "timestamp_without_time_zone"}
    assert result.proof["public.users"]["authenticated"]["insert"]["sqlstate"] == "42501"


async def test_read_only_proof_writes_nothing_and_reads_no_value(fresh_db, spec):
    conn = await fresh_db()
    await build(conn, "old", SCHEMA)
    sql, result = await advise(conn, spec, read_only=True)
    assert sql.startswith("BEGIN READ ONLY;")
    assert not any(w in sql for w in ("INSERT", "UPDATE ", "DELETE"))
    outcomes = [a for roles in result.proof.values() for acts in roles.values() for a in acts]
    assert set(outcomes) == {"select"}
    found = result.of("rls_disabled_in_public")  # still found, from the catalog
    assert found
    assert (
        "READ ONLY transaction, nothing written, no value read: as anon: SELECT allowed, sees "
        "no row" in found[0].proof
    )


async def test_a_table_the_harness_cannot_fill_is_reported_not_proven(fresh_db, spec):
    conn = await fresh_db()
    ddl = "CREATE TABLE public.places (id int PRIMARY KEY, spot point NOT NULL, api_key text)"
    await build(conn, "old", SCHEMA, extra=ddl)
    _, result = await advise(conn, spec)
    places = {f.name: f for f in result.findings if f.object == "public.places"}
    unproven = places["rls_disabled_in_public"].proof
    assert "not proven: the harness could not insert its own row" in unproven
    assert "api_key" in places["sensitive_columns_exposed"].detail
    assert "SELECT saw 1 harness row" in result.of("rls_disabled_in_public")[0].proof


# --- the spec: schema/advisories.yaml, loaded once by the harness ---------------------------


def _without_duplicate_index(raw: dict) -> None:
    del raw["lints"]["duplicate_index"]


# Each case edits the real file; `says` is what the one line must say.
BAD_SPECS: dict[str, dict] = {
    "no file": {"edit": None, "says": "(the advisories): No such file"},
    "not YAML": {"text": "lints: [unclosed", "says": "(the advisories): not valid YAML at line"},
    "not a mapping": {"text": "- a list\n", "says": "not a mapping of advisory settings"},
    "a misspelt key": {
        "edit": lambda raw: raw.update(exposed_schema=raw.pop("exposed_schemas")),
        "says": "unknown key `exposed_schema`",
    },
    "no API role": {
        "edit": lambda raw: raw.update(api_roles=[]),
        "says": "`api_roles` is empty",
    },
    "a pattern that is no regular expression": {
        "edit": lambda raw: raw["sensitive_columns"].append("(unclosed"),
        "says": "'(unclosed' is not a regular expression",
    },
    "a lint the harness runs left out": {
        "edit": _without_duplicate_index,
        "says": "`lints` has no entry for duplicate_index (the harness runs it)",
    },
    "a lint the harness does not run": {
        "edit": lambda raw: raw["lints"].update(shadow_lint={"level": "WARN", "title": "x"}),
        "says": "shadow_lint is not a lint the harness runs",
    },
    "an unknown level": {
        "edit": lambda raw: raw["lints"]["no_primary_key"].update(level="LOUD"),
        "says": "`lints.no_primary_key.level` must be one of ERROR, WARN, INFO",
    },
    "no accept marker": {
        "edit": lambda raw: raw.update(accept_marker=""),
        "says": "`accept_marker` must be a non-empty string",
    },
}


@pytest.mark.parametrize("case", BAD_SPECS)
def test_a_missing_or_malformed_spec_is_one_harness_error_line(tmp_path, case):
    bad, path = BAD_SPECS[case], tmp_path / "advisories.yaml"
    if "text" in bad:
        path.write_text(bad["text"])
    elif bad["edit"] is not None:
        raw = yaml.safe_load(PATHS.advisories_file.read_text())
        bad["edit"](raw)
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(HarnessError) as err:
        adv.AdvisorySpec.load(path)
    line = str(err.value)
    assert "\n" not in line, line
    assert str(path) in line, line
    assert bad["says"] in line, line


def test_the_spec_keeps_the_file_s_order_and_compiles_its_patterns(spec):
    assert list(spec.lints)[:2] == ["rls_disabled_in_public", "sensitive_columns_exposed"]
    assert spec.lints["rls_disabled_in_public"].level == "ERROR"
    assert spec.sensitive("hashed_password")
    assert spec.sensitive("Token_JTI")  # case-insensitive
    assert not spec.sensitive("username")
    assert spec.accepts("advisory-accepted: duplicate_index of x", "duplicate_index")
    assert not spec.accepts("advisory-accepted: duplicate_indexes", "duplicate_index")
    assert not spec.accepts(None, "duplicate_index")


def test_the_advisory_tests_are_the_spec_s_lints(run_acceptance, spec):
    """`lint` comes from the harness in pytest_generate_tests, one test per lint, in order."""
    result = run_acceptance("--collect-only", "-q", "-m", "local", modules=("test_advisories.py",))
    ids = [
        line.split("[", 1)[1].rsplit("-", 1)[0]
        for line in result.outlines
        if "::test_advisory[" in line
    ]
    assert ids == list(spec.lints), result.stdout.str()[-2000:]


@pytest.mark.parametrize("name", ADVISORY_MUTANTS)
async def test_advisory_mutant_is_caught_by_its_lint(fresh_db, spec, name):
    mutant = ADVISORY_MUTANTS[name]  # tests/advisory_mutants.yaml
    conn = await fresh_db()
    if mutant.get("needs") and not await conn.fetchval(
        "SELECT count(*) FROM pg_available_extensions WHERE name = $1", mutant["needs"]
    ):
        pytest.skip(f"extension {mutant['needs']} is not installed on this server")
    backend = f"advb_{os.getpid()}"
    await conn.execute(f"DROP ROLE IF EXISTS {backend}; CREATE ROLE {backend} NOLOGIN")
    try:
        await build(conn, "old", SCHEMA, HARDENING, extra=mutant["sql"].format(backend=backend))
        _, result = await advise(conn, spec, backend=[backend])
    finally:  # the role is cluster-wide: leave none behind for the other tests' databases
        await conn.execute(
            f"REASSIGN OWNED BY {backend} TO CURRENT_USER; DROP OWNED BY {backend};"
            f" DROP ROLE {backend}"
        )
    caught = {f.object: f for f in result.of(mutant["lint"])}
    obj = mutant["object"].format(backend=backend)
    assert obj in caught, f"{name}: {mutant['lint']} missed {obj} (found {names(result)})"
    assert mutant.get("says", "").format(backend=backend) in caught[obj].detail
    assert caught[obj].remediation
    assert names(result) <= {mutant["lint"], *mutant.get("also", [])}, names(result)


# --- whole runs: the acceptance suite through the pooler, strict mode, make supabase-harden --


pooler = pooler_on(3)


async def _database(server, name: str, defaults: str | None, *files: Path) -> None:
    await databases.create(server, name, setup=lambda conn: build(conn, defaults, *files))


def test_hardened_canonical_passes_every_dod_item_and_every_advisory_through_the_pooler(
    server, pooler, run_acceptance, pytester
):
    name = f"hard_{os.getpid()}"
    asyncio.run(_database(server, name, "old", SCHEMA, HARDENING))
    try:
        result = run_acceptance(
            *("-m", "supabase", "--advisories", "strict"),  # no --divergences-file: the
            *("--database-url", pooler.dsn(server, name)),  # harness accepts its own advice
        )
    finally:
        asyncio.run(drop(server, name))
    summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert summary["advisories"] == []
    verdicts = {r["item"]: r["verdict"] for r in summary["signoff"]}
    # the search_path, RLS enabled, the policies and comments: hardening.divergences.yaml's
    assert all(d["verdict"] == "accepted" and d["recommended"] for d in summary["divergences"])
    assert "config" in {d["property"] for d in summary["divergences"]}
    assert summary["stale_justifications"] == []
    # remotely the schema is not applied by the run (DOD-03) and DOD-13's role is optional
    assert {i for i, v in verdicts.items() if v != "pass"} <= {"DOD-03", "DOD-13"}, verdicts
    assert summary["advisories_run"]["behaviour"] == "read and write probes"


def test_a_selection_without_writes_proves_read_only(server, pooler, run_acceptance, pytester):
    """make supabase-validate (-m "supabase and not writes"): the proof only reads (its SQL
    holds no write: test_read_only_proof_writes_nothing_and_reads_no_value)."""
    name = f"valid_{os.getpid()}"
    asyncio.run(_database(server, name, "old", SCHEMA))

    try:
        url = pooler.dsn(server, name)
        result = run_acceptance("-m", "supabase and not writes", "--database-url", url)
        summary = json.loads((pytester.path / "reports" / "latest-staging.json").read_text())
    finally:
        asyncio.run(drop(server, name))
    # the write checks were not run: PARTIAL, and the exit status says so (README Exit status)
    assert result.ret == 10, result.stdout.str()[-2000:]
    assert summary["advisories_run"]["behaviour"] == "read-only probe"
    found = {(f["name"], f["object"]): f for f in summary["advisories"]}
    users = found["rls_disabled_in_public", "public.users"]
    assert "READ ONLY transaction, nothing written" in users["proof"]


def test_strict_fails_the_run_on_an_error_advisory_and_report_does_not(run_acceptance, pytester):
    strict = run_acceptance("-m", "local", "--supabase-like", "old", "--advisories", "strict")
    summary = json.loads((pytester.path / "reports" / "latest-local.json").read_text())
    assert strict.ret == 1
    assert summary["status"] == "FAILED"
    failed = {t["nodeid"].split("::")[0] for t in summary["tests"] if t["outcome"] == "failed"}
    assert failed == {"acceptance/test_advisories.py"}
    assert all(r["verdict"] != "fail" for r in summary["signoff"])  # the DoD itself holds
    report = run_acceptance("-m", "local", "--supabase-like", "yes")  # yes = old; report
    summary = json.loads((pytester.path / "reports" / "latest-local.json").read_text())
    assert report.ret == 0
    assert summary["status"] == "SUCCESS"
    assert {"rls_disabled_in_public", "sensitive_columns_exposed"} <= {
        f["name"] for f in summary["advisories"] if f["level"] == "ERROR"
    }
    page = (pytester.path / "reports" / "latest-local.html").read_text()
    assert page.index('id="signoff"') < page.index('id="advisories"')
    md = (pytester.path / "reports" / "latest-local.md").read_text()
    assert "### Advisories (--advisories=report)" in md
    assert "`sensitive_columns_exposed`" in md
    new = run_acceptance("-m", "local", "--supabase-like", "new", "--advisories", "strict")
    assert new.ret == 0, new.stdout.str()[-2000:]


def test_bad_advisories_option_is_one_usage_line(run_acceptance):
    result = run_acceptance("-m", "local", "--advisories", "loud")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*unknown --advisories 'loud': use off, report or strict*"])


def test_make_supabase_harden_applies_in_one_transaction_logs_and_refuses_production(
    server, pooler, spec
):
    name = f"harden_{os.getpid()}"
    asyncio.run(_database(server, name, "old", SCHEMA))
    url = pooler.dsn(server, name)
    try:
        refused = cli("harden", "--env", "production", "--database-url", url)
        done = cli("harden", "--database-url", url)
        again = cli("harden", "--database-url", url)  # policies exist: fails, rolls back whole
        made = make("supabase-harden", "ENV=production", env={**os.environ, "DATABASE_URL": url})

        async def facts() -> tuple:
            conn = await connect(server.dsn(name))
            try:
                cat = await adv.read_catalog(conn, spec)
                policies = await conn.fetchval("SELECT count(*) FROM pg_policy")
                return adv.lint(spec, cat, {}, proved=False), policies
            finally:
                await conn.close()

        result, policies = asyncio.run(facts())
    finally:
        asyncio.run(drop(server, name))
    assert refused.returncode == 2
    assert refused.stderr.startswith("ERROR: refusing to apply the hardening to the production")
    assert done.returncode == 0, done.stderr
    log = Path(done.stdout.split("log: ")[1].strip())
    assert log.name.startswith("harden-staging-")
    assert log.is_file()
    assert again.returncode == 2
    assert len(again.stderr.strip().splitlines()) == 1
    assert policies == 6  # the failed second run left nothing of itself
    assert made.returncode != 0
    assert "refusing to apply the hardening" in made.stderr
    assert result.findings == []
    assert server.password not in done.stdout + done.stderr + again.stderr
