"""Comments: the table, column, constraint and function comments of the DDL, with their exact
text; an extra comment is listed as a divergence."""

import pytest
from supabase_acceptance.asserts import holds
from supabase_acceptance.evidence import Evidence
from supabase_acceptance.structure import Structure

pytestmark = pytest.mark.dod("DOD-12")


def test_comments_of_the_ddl_are_present(
    structure: Structure, evidence: Evidence, table_or_schema: str
) -> None:
    holds(evidence, structure.judge(evidence.dod, table_or_schema, "comments present"))
