"""Tables: public holds exactly the tables of the DDL, each defined as the DDL defines it
(persistence, kind, partitioning, inheritance, row level security forced); no out-of-scope
table exists."""

import pytest
from supabase_acceptance.asserts import holds, verdict
from supabase_acceptance.catalog import Catalog
from supabase_acceptance.diagnosis.check import check_causes
from supabase_acceptance.diagnosis.diagnose import Diagnosis
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.expected import Expected
from supabase_acceptance.structure import Structure

pytestmark = pytest.mark.dod("DOD-04")


def test_canonical_table_exists_in_public(catalog: Catalog, evidence: Evidence, table: str) -> None:
    schemas = catalog.schemas_of(table)
    evidence.facts("have (catalog snapshot)", {"schemas holding it": schemas})
    evidence.facts("want (expected.yaml)", {"schema": "public"})
    evidence.tally("tables in public", "public" in schemas, 1)
    if "public" in schemas:
        return
    where = f"found in schema {', '.join(schemas)}" if schemas else "absent"
    verdict(evidence, [f"table {table}: have {where}, want in public"])


def test_table_is_defined_as_in_the_ddl(
    structure: Structure, evidence: Evidence, table: str
) -> None:
    holds(evidence, structure.judge(evidence.dod, table, "tables defined as in the DDL"))


def test_public_holds_no_extra_table(
    structure: Structure, expected: Expected, evidence: Evidence
) -> None:
    extra = [
        d
        for d in structure.differences
        if d.item == evidence.dod
        and d.kind == "tables"
        and d.property == "exists"
        and d.have != "missing"
    ]
    views = [d.line for d in structure.differences if d.kind == "relations"]
    evidence.facts("have (catalog snapshot)", sorted(structure.live["tables"]))
    evidence.facts("want (expected.yaml)", sorted(expected.tables))
    if views:
        evidence.facts("divergences", views)
    verdict(evidence, [d.line for d in extra])


def test_no_out_of_scope_table_exists(
    catalog: Catalog, expected: Expected, evidence: Evidence
) -> None:
    there = sorted(set(catalog.public_tables()) & set(expected.forbidden_tables))
    evidence.facts("have (catalog snapshot)", {"out-of-scope present": there})
    evidence.facts("want (expected.yaml)", {"none of": expected.forbidden_tables})
    verdict(evidence, [f"public: out-of-scope tables have {there}, want none" if there else None])


def test_the_ddl_table_names_resolve_to_public_for_the_connecting_role(
    diagnosis: Diagnosis, evidence: Evidence
) -> None:
    """Under the role's effective search_path each unqualified table name of the DDL reaches
    public's table, not a same-named one elsewhere (auth.users)."""
    check_causes(diagnosis, evidence)
