"""The evidence is tested: the files of a run, the sign-off table, the environment, the
per-test extras, a failing run read as findings, and the page rendered in headless Chromium."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from pathlib import Path

import pytest
from supabase_acceptance.compare import Rules
from supabase_acceptance.report import histogram, markdown, signoff
from supabase_acceptance.report import html as html_report
from supabase_acceptance.report.run import Run

from .conftest import PATHS, SCHEMA

CHROMIUM = "/usr/bin/chromium"
ENV_KEYS = (
    "Target",
    "Host",
    "Port",
    "Database",
    "User",
    "Profile",
    "Server version",
    "TLS",
    "Pooler",
    "Backend",
    "Harness",
    "schema.sql sha256",
    "Start (UTC)",
    "End (UTC)",
    "Machine",
    "OS user",
)


def blob(page: str) -> dict:
    return json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', page).group(1)))


def signoff_rows(page: str) -> dict[str, str]:
    """Item -> verdict class, in the order of the sign-off table."""
    table = re.search(r'<table id="signoff".*?</table>', page, re.S).group(0)
    found = re.findall(r'<tr class="signoff-([a-z-]+)" data-item="(DOD-\d\d)"', table)
    return {item: verdict for verdict, item in found}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """One real `pytest -m local` run whose evidence the tests below read."""
    import subprocess
    import sys

    from .conftest import IMAGE, ROOT

    reports = tmp_path_factory.mktemp("reports")
    args = ["-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), "-p", "no:cacheprovider"]
    args += ["-m", "local", "--report-dir", str(reports), "--pg-image", IMAGE]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args, str(ROOT / "acceptance")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    return reports


def test_every_run_writes_html_junit_json_markdown_with_latest_links(local_run):
    stamped = sorted(p.name for p in local_run.glob("acceptance-local-*"))
    assert [n.rsplit(".", 1)[1] for n in stamped] == ["html", "json", "md", "xml"]
    assert re.fullmatch(r"acceptance-local-\d{8}T\d{6}\.\d{6}Z\.html", stamped[0])
    for suffix in ("html", "json", "md", "xml"):
        latest = local_run / f"latest-local.{suffix}"
        assert latest.is_symlink()
        assert latest.resolve().name.startswith("acceptance-local-")


def test_signoff_table_comes_first_with_one_row_per_dod_item(local_run):
    page = (local_run / "latest-local.html").read_text()
    rows = signoff_rows(page)
    assert list(rows) == [f"DOD-{n:02d}" for n in range(1, 16)]
    assert rows["DOD-13"] == "not-run"  # optional role absent, with why
    assert all(v == "pass" for k, v in rows.items() if k != "DOD-13")
    assert page.index('id="signoff"') < page.index('<table id="results-table"')
    summary = json.loads((local_run / "latest-local.json").read_text())
    assert summary["status"] == "SUCCESS"
    by_item = {r["item"]: r for r in summary["signoff"]}
    assert by_item["DOD-11"]["key_fact"].startswith("p95 ")
    assert "< 200 ms" in by_item["DOD-11"]["key_fact"]
    assert by_item["DOD-04"]["key_fact"].startswith("6/6 tables in public; ")
    assert "tables: exists, persistence" in by_item["DOD-04"]["covers"]
    assert "TLSv1." in by_item["DOD-02"]["key_fact"] or "pgbouncer" not in str(summary)
    assert "optional" in by_item["DOD-13"]["why"]


def test_environment_is_complete_and_masked(local_run):
    page = (local_run / "latest-local.html").read_text()
    env = blob(page)["environment"]
    missing = [k for k in ENV_KEYS if k not in env]
    assert missing == []
    assert ":***@" in env["Target"]
    assert env["schema.sql sha256"] == hashlib.sha256(SCHEMA.read_bytes()).hexdigest()
    assert re.search(r"\(git \w+\)", env["Harness"])
    summary = json.loads((local_run / "latest-local.json").read_text())
    assert summary["environment"]["Target"] == env["Target"]


def test_per_test_evidence_shows_sql_facts_and_have_vs_want(local_run):
    tests = blob((local_run / "latest-local.html").read_text())["tests"]
    columns = next(v for k, v in tests.items() if "test_columns_primary_key" in k)[0]
    names = [e["name"] for e in columns["extras"]]
    assert names[:2] == ["have (catalog snapshot)", "want (expected.yaml)"]
    crud = next(v for k, v in tests.items() if "test_create_read_update_delete" in k)[0]
    assert any(e["name"] == "SQL" for e in crud["extras"])


def test_apply_log_validation_output_and_histograms_are_in_the_report(local_run):
    page = (local_run / "latest-local.html").read_text()
    links = re.findall(r'<a href="((?:apply|validation)-local-[^"]+)"', page)
    assert sorted(p.split("-")[0] for p in links) == ["apply", "validation"]
    assert all((local_run / p).is_file() for p in links)
    assert "information_schema.tables" in (local_run / links[1]).read_text()
    assert page.count('<svg class="latency-histogram"') >= 2
    md = (local_run / "latest-local.md").read_text()
    assert md.startswith("## Supabase Migration - Final Report")
    assert "**Status:** ✅ SUCCESS" in md
    assert re.search(r"- P95 latency: [\d.]+ms", md)


def test_a_failing_run_reads_like_a_finding(run_acceptance, pytester, tmp_path):
    mutant = tmp_path / "mutant.sql"
    mutant.write_text(SCHEMA.read_text().replace("email VARCHAR(255) UNIQUE", "email TEXT UNIQUE"))
    result = run_acceptance("-m", "local", "--schema-file", str(mutant))
    assert result.ret == 1
    summary = json.loads((pytester.path / "reports" / "latest-local.json").read_text())
    row = next(r for r in summary["signoff"] if r["item"] == "DOD-05")
    assert summary["status"] == "FAILED"
    assert row["verdict"] == "fail"
    assert "users.email: type have 'text', want 'character varying(255)'" in row["why"]
    md = (pytester.path / "reports" / "latest-local.md").read_text()
    assert "1. DOD-05 Columns: root cause: column users.email: type have 'text'" in md
    cause = next(c for c in summary["root_causes"] if c["item"] == "DOD-05")
    assert cause["object"] == "column users.email"
    assert "ALTER COLUMN" in summary["remediation"]["sql"]
    assert (pytester.path / "reports" / "latest-local-remediation.sql").exists()


def test_root_causes_and_long_sql_stay_inside_the_page_at_1280_px(
    run_acceptance, pytester, tmp_path
):
    """A red run's root causes (with their SQL) and the advisories' remediations wrap inside
    their cells: nothing runs off a 1280 px page."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("HARNESS_REQUIRE_BROWSER") == "1":
            pytest.fail("CI must render the report: apt-get install chromium")
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    mutant = tmp_path / "mutant.sql"
    imported = (
        "INSERT INTO tenants (id, tenant_id, name) SELECT g, 'imported-' || g, repeat('n', 300) "
        "FROM generate_series(1, 5) g;\n"
        "SET LOCAL session_replication_role = replica;\n"
        "INSERT INTO password_history (user_id, password_hash) VALUES "
        "('a-user-id-that-is-long-enough-to-wrap-" + "x" * 120 + "', 'h');\n"
    )
    mutant.write_text(SCHEMA.read_text() + "\n" + imported)
    result = run_acceptance("-m", "local", "--schema-file", str(mutant), "--supabase-like", "old")
    assert result.ret == 1
    page_file = pytester.path / "reports" / "latest-local.html"
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", "--no-first-run"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_file.resolve().as_uri())
        page.wait_for_selector("#root-causes")
        causes = page.locator("#root-causes tr").count()
        widest = page.evaluate(
            """() => Math.max(...[...document.querySelectorAll(
                 '#root-causes, #advisories-table, #signoff, #root-causes pre, '
                 + '#advisories-table pre')].map(e => e.getBoundingClientRect().right))"""
        )
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll('#root-causes pre, #advisories-table pre')]
               .filter(e => e.scrollWidth > e.clientWidth + 1).length"""
        )
        browser.close()
    assert causes >= 3  # a header and the two causes
    assert widest <= 1280, widest
    assert overflowing == 0


def test_report_renders_in_headless_chromium_with_the_signoff_visible(local_run):
    if not Path(CHROMIUM).exists():
        if os.environ.get("HARNESS_REQUIRE_BROWSER") == "1":
            pytest.fail("CI must render the report: apt-get install chromium")
        pytest.skip("Debian's chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--disable-component-update", "--disable-sync", "--no-first-run"]
    problems: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=flags)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((local_run / "latest-local.html").resolve().as_uri())
        page.wait_for_selector("#signoff")
        visible = page.is_visible("#signoff")
        rows = page.locator("#signoff tr[data-item]").count()
        signoff_y = page.locator("#signoff").bounding_box()["y"]
        env_y = page.locator("#environment").bounding_box()["y"]
        results = page.locator("#results-table tbody.results-table-row").count()
        browser.close()
    assert visible
    assert rows == 15
    assert signoff_y < env_y < 1e6
    assert results > 100
    assert problems == []


def test_the_renderers_escape_html_and_svg_and_keep_markdown_cells_whole(tmp_path):
    """The templates, not the data, decide the markup: what a database or a reason says is text."""
    items = Rules.load(PATHS.dod_file, PATHS.equivalences_file, None).items
    run = Run("local", "local", tmp_path, interrupted="<b>stopped</b>", items=items)
    run.divergences = [
        {
            "item": "DOD-04",
            "verdict": "accepted",
            "line": "table users: options",
            "reason": "<script>alert(1)</script>",
        }
    ]
    run.advisories = {
        "mode": "report",
        "findings": [
            {
                "level": "WARN",
                "name": "lint",
                "object": "a|b",
                "detail": "one\ntwo",
                "proof": "",
                "remediation": "ALTER <x>",
            }
        ],
    }
    run.latency["single <x>"] = {
        **{"p50": 2.0, "p95": 3.0, "p99": 3.0, "budget_ms": 200},
        "samples": [1.0, 2.0, 3.0],
    }
    svg = histogram.of("single <x>", run.latency["single <x>"])
    table, status = signoff.of(run)
    page = html_report.summary(run, table, status)
    assert status == "INTERRUPTED"
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Sign-off: INTERRUPTED (&lt;b&gt;stopped&lt;/b&gt;)" in page
    assert "<pre>ALTER &lt;x&gt;</pre>" in page
    assert page.count('<tr class="signoff-') == 15
    assert svg in page
    assert "<title>single &lt;x&gt;: 3 samples (ms)</title>" in svg
    assert "(budget 200 ms, off the axis)" in svg
    md = markdown.render(run, table, status)
    assert "**Status:** ⛔ INTERRUPTED: &lt;b&gt;stopped&lt;/b&gt;" in md
    assert "| WARN | `lint` | a\\|b | one two | `ALTER <x>` |" in md  # a code span is literal
    assert "- DOD-04 accepted: table users: options — &lt;script&gt;alert(1)&lt;/script&gt;" in md


def test_the_evidence_item_says_so_when_other_items_failed(tmp_path):
    """dod.yaml marks the evidence item; its pass is not read as "all is well"."""
    items = Rules.load(PATHS.dod_file, PATHS.equivalences_file, None).items
    run = Run("local", "local", tmp_path, items=items)
    record = {"duration_s": 0.1, "why": "", "message": ""}
    run.tests = [
        {**record, "nodeid": "a", "item": "DOD-04", "outcome": "failed", "why": "table x"},
        {**record, "nodeid": "b", "item": "DOD-15", "outcome": "passed"},
    ]
    rows = {r.item: r for r in signoff.table(run)}
    assert [i for i, s in items.items() if s.get("evidence")] == ["DOD-15"]
    assert rows["DOD-15"].verdict == "pass"
    assert rows["DOD-15"].why == "the evidence is complete; other items failed"


def test_templates_compile_once_per_machine_and_draw_the_same(tmp_path, monkeypatch):
    """Jinja's bytecode cache in the user's cache directory: a later process loads the compiled
    template instead of compiling it again, and draws the same; an unwritable cache compiles."""
    import jinja2
    from supabase_acceptance.report import templating

    compiles: list[str] = []
    real = jinja2.Environment.compile

    def counted(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiles.append(name)
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)

    def fresh_process(cache: Path) -> str:
        monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
        templating.template.cache_clear()
        templating._compiled.cache_clear()
        return histogram.svg([1.0, 2.0, 2.5, 9.0], {"p50": 2.0, "p95": 8.0}, 50.0, "t")

    first = fresh_process(tmp_path / "cache")
    assert compiles == ["histogram.svg.j2"]
    assert list((tmp_path / "cache" / "supabase-acceptance" / "templates").rglob("*.cache"))
    assert fresh_process(tmp_path / "cache") == first
    assert compiles == ["histogram.svg.j2"]  # loaded, not compiled
    (tmp_path / "file").write_text("not a directory")
    assert fresh_process(tmp_path / "file") == first
    assert compiles == ["histogram.svg.j2"] * 2
    templating.template.cache_clear()
    templating._compiled.cache_clear()
