"""Adding a table is a data change: a copy of schema.sql with two more tables (a uuid primary
key without a default, numeric, enum, array and date columns, a composite UNIQUE, a composite
foreign key ON DELETE CASCADE to a composite primary key, an updated_at trigger), its expected
state regenerated with the documented command, and every item passes on it with no code
change; the same copy with the composite cascade dropped fails DOD-07, behaviour included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import IMAGE, ROOT, SCHEMA

SEVENTH = """
-- ============================================
-- 7. RATE_PLANS y ROOM_OFFERS (self-test: a table added as data)
-- ============================================
CREATE TYPE room_kind AS ENUM ('standard', 'suite', 'family');

CREATE TABLE IF NOT EXISTS rate_plans (
    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    code VARCHAR(20) NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (tenant_id, code)
);

CREATE TABLE IF NOT EXISTS room_offers (
    id UUID PRIMARY KEY,
    tenant_id INTEGER NOT NULL,
    plan_code VARCHAR(20) NOT NULL,
    kind room_kind NOT NULL,
    price NUMERIC(10, 2) NOT NULL,
    tags TEXT[] NOT NULL,
    valid_from DATE NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMP NOT NULL DEFAULT NOW(),
    CONSTRAINT uq_room_offers_plan_kind UNIQUE (tenant_id, plan_code, kind),
    CONSTRAINT fk_room_offers_plan FOREIGN KEY (tenant_id, plan_code)
        REFERENCES rate_plans(tenant_id, code) ON DELETE CASCADE
);

CREATE INDEX idx_room_offers_valid_from ON room_offers(valid_from);

COMMENT ON TABLE room_offers IS 'Ofertas por plan (tabla de prueba)';

CREATE TRIGGER update_room_offers_updated_at
    BEFORE UPDATE ON room_offers
    FOR EACH ROW
    EXECUTE FUNCTION update_updated_at_column();
"""
CASCADE = "REFERENCES rate_plans(tenant_id, code) ON DELETE CASCADE"
FAILED = ("failed", "error")


def _with_seventh(ddl: str) -> str:
    """The new tables go before the validation SELECTs, as a maintainer would add them."""
    marker = "-- ============================================\n-- VALIDACIONES POST-DEPLOYMENT"
    assert marker in ddl
    return ddl.replace(marker, SEVENTH + "\n" + marker, 1)


def regenerate(schema: Path, out: Path) -> None:
    """The README's regenerate command (`--schema-file F --out OUT`)."""
    cmd = [
        sys.executable,
        "-m",
        "supabase_acceptance.expected",
        "--schema-file",
        str(schema),
        "--out",
        str(out),
        "--pg-image",
        IMAGE,
    ]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)


@pytest.fixture(scope="module")
def seventh(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("seventh")
    schema, expected = tmp / "schema.sql", tmp / "expected.yaml"
    schema.write_text(_with_seventh(SCHEMA.read_text()))
    regenerate(schema, expected)
    return schema, expected


def _run(run_acceptance, pytester, schema: Path, expected: Path) -> tuple[int, dict]:
    result = run_acceptance(
        "-m", "local", "--schema-file", str(schema), "--expected-file", str(expected)
    )
    summary = json.loads((pytester.path / "reports" / "latest-local.json").read_text())
    return result.ret, summary


def test_every_item_passes_on_a_schema_with_a_seventh_table(seventh, run_acceptance, pytester):
    schema, expected = seventh
    state = yaml.safe_load(expected.read_text())
    tables = set((state.get("model") or state)["tables"])
    assert {"rate_plans", "room_offers"} <= tables, "regenerate missed the tables"
    ret, summary = _run(run_acceptance, pytester, schema, expected)
    bad = [
        f"{t['nodeid']}: {t['message'][:300]}" for t in summary["tests"] if t["outcome"] in FAILED
    ]
    assert not bad, "\n".join(bad)
    passed = {t["nodeid"] for t in summary["tests"] if t["outcome"] == "passed"}
    for shown in (
        "room_offers.tenant_id+plan_code->rate_plans",
        "room_offers.tenant_id+",
        "test_create_read_update_delete_work[room_offers-local]",
        "update_of_each_column_and_a_no_op_update_move_updated_at_only[room_",
    ):
        assert any(shown in n for n in passed), f"no passing behaviour check for {shown}"
    rows = {r["item"]: r["verdict"] for r in summary["signoff"]}
    assert "fail" not in rows.values(), rows
    assert summary["status"] == "SUCCESS", summary["status"]
    assert ret == 0


def test_the_composite_cascade_dropped_fails_dod07(seventh, run_acceptance, pytester):
    schema, expected = seventh
    broken = schema.with_name("no_cascade.sql")
    text = schema.read_text()
    assert CASCADE in text
    broken.write_text(text.replace(CASCADE, "REFERENCES rate_plans(tenant_id, code)"))
    ret, summary = _run(run_acceptance, pytester, broken, expected)
    failing = {t["nodeid"]: t for t in summary["tests"] if t["outcome"] in FAILED}
    assert ret != 0
    assert {t["item"] for t in failing.values()} == {"DOD-07"}, list(failing)
    behaviour = [t for n, t in failing.items() if "deleting_a_parent" in n]
    assert behaviour, f"the cascade's behaviour check did not fail: {list(failing)}"
    assert "rate_plans" in behaviour[0]["message"], behaviour[0]["message"]
