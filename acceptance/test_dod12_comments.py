"""DOD-12 Comments: the table, column, constraint and function comments of the DDL, with
their exact text; an extra comment is listed as a divergence."""

import pytest
from supabase_acceptance.structure import check

pytestmark = pytest.mark.dod("DOD-12")


def test_comments_of_the_ddl_are_present(structure, evidence, table_or_schema):
    check(structure, evidence, "DOD-12", table_or_schema, "comments present")
