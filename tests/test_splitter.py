"""The apply path's SQL splitter (pglast, i.e. Postgres' own parser) on what real DDL holds."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st
from supabase_acceptance.apply import split


def heads(sql: str) -> list[str]:
    return [s.text.strip() for s in split(sql)]


def test_dollar_quoting_with_tags_keeps_the_body_whole():
    sql = (
        "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; SELECT $$x;$$; $body$ LANGUAGE sql;\n"
        "DO $do$ BEGIN PERFORM 1; END $do$;\nSELECT 2;"
    )
    got = heads(sql)
    assert len(got) == 3
    assert got[0].endswith("LANGUAGE sql")
    assert got[1].startswith("DO $do$")


def test_nested_block_comments_are_not_statements():
    assert heads("/* outer /* inner; */ still; */ SELECT 1;\n-- x; y\nSELECT 2;") == [
        "SELECT 1",
        "SELECT 2",
    ]


def test_semicolons_inside_strings_e_strings_and_quoted_identifiers():
    sql = (
        "SELECT 'a;b';\n"
        "SELECT E'it\\'s; fine';\n"
        'CREATE TABLE "we;ird" ("x;y" int);\n'
        "COMMENT ON TABLE \"we;ird\" IS 'one; two';"
    )
    got = heads(sql)
    assert got == [
        "SELECT 'a;b'",
        "SELECT E'it\\'s; fine'",
        'CREATE TABLE "we;ird" ("x;y" int)',
        "COMMENT ON TABLE \"we;ird\" IS 'one; two'",
    ]


def test_statement_lines_count_from_one_through_comments():
    sql = "-- header\n\n/* a\nb */\nSELECT 1;\n\nSELECT\n  2;"
    assert [s.line for s in split(sql)] == [5, 7]


# Property: statements built from the tricky pieces, joined with comments and blank lines,
# come back one for one, in order, with the line they start on.
_text = st.text(alphabet=string.ascii_letters + " ;'$\\\"/*-", max_size=12)
_tag = st.text(alphabet=string.ascii_lowercase, min_size=0, max_size=4)


def _plain(t: str) -> str:
    return "'" + t.replace("'", "''") + "'"


def _estring(t: str) -> str:
    return "E'" + t.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ident(t: str) -> str:
    return '"' + (t.replace('"', '""') or "x") + '"'


@st.composite
def statement(draw: st.DrawFn) -> str:
    t = draw(_text)
    kind = draw(st.sampled_from(["plain", "e", "dollar", "ident"]))
    if kind == "dollar":
        tag = draw(_tag)
        body = t.replace("$", "")
        return f"SELECT ${tag}${body}${tag}$"
    if kind == "ident":
        return f"SELECT 1 AS {_ident(t)}"
    return f"SELECT {_plain(t) if kind == 'plain' else _estring(t)}"


_gap = st.sampled_from(["\n", "\n\n", "\n-- note; x\n", "\n/* c; /* n; */ */\n", " "])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(statement(), _gap), min_size=1, max_size=8))
def test_split_recovers_every_statement_and_its_line(parts):
    sql, want = "", []
    for text, gap in parts:
        want.append((text, sql.count("\n") + 1))
        sql += text + ";" + gap
    got = [(s.text.strip(), s.line) for s in split(sql)]
    assert got == want
