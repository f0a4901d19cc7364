"""DOD-12 Comments: the table, column, constraint and function comments of the DDL."""

import pytest

from fixtures.expected import load
from fixtures.verdict import differ, verdict

pytestmark = pytest.mark.dod("DOD-12")
COMMENTS = {
    f"{kind}:{obj}": (kind, obj, text)
    for kind, objs in load().comments.items()
    for obj, text in objs.items()
}


@pytest.mark.parametrize("key", COMMENTS)
def test_comment_of_the_ddl_is_present(catalog, evidence, key):
    kind, obj, want = COMMENTS[key]
    have = catalog.comment(kind, obj)
    evidence.catalog("comments", have, want)
    evidence.tally("comments present", have == want, 1)
    verdict("DOD-12", [differ(f"comment on {kind} {obj}", "text", have, want)])
