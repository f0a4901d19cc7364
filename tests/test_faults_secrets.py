"""Secrets never printed, whatever the verbosity or traceback options; every output and every
file written is grepped for the password (and its URL-encoded form)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from supabase_acceptance import errors
from supabase_acceptance.errors import Secret, mask
from supabase_acceptance.remote import parse

LOUD = ("-vv", "--showlocals", "--tb=long", "-rA")


def leaks(secret: str, result: pytest.RunResult, *dirs: Path) -> list[str]:
    """Where `secret` (or a 6-character piece of it, or its encoded form) shows up."""
    pieces = {secret, quote(secret, safe="")} | {secret[i : i + 6] for i in range(len(secret) - 5)}
    outputs = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for d in dirs:
        for path in d.rglob("*"):
            if path.is_file():
                outputs[str(path)] = path.read_text(errors="replace")
    return [name for name, text in outputs.items() if any(p in text for p in pieces)]


def _mask_whole_text(text: str) -> str:
    """mask() as first written: each pattern over the whole text (errors.py runs the two that
    need an @ only in the words holding one, the same matches in linear time)."""
    text = errors._URL_PASSWORD.sub(r"\g<head>***", text)
    text = errors._KV_PASSWORD.sub(r"\g<head>***", text)
    return errors._USERINFO.sub(errors._userinfo, text)


PIECES = ["a", "b", "9", ".", ":", "/", "@", " ", "\n", "=", "'", "password", "://", "u:p@h"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_masking_word_by_word_hides_what_masking_the_whole_text_hides(text: str):
    assert mask(text) == _mask_whole_text(text)


def test_secret_repr_str_format_and_assertion_rewriting_are_masked():
    secret = Secret("hunter2-very-secret")
    assert repr(secret) == "Secret('***')"
    assert str(secret) == f"{secret}" == "***"
    assert secret.reveal() == "hunter2-very-secret"
    assert mask("x hunter2-very-secret y") == "x *** y"
    url = parse("postgresql://u:hunter2-very-secret@h:6543/db?sslmode=require")
    assert "hunter2" not in repr(url)
    with pytest.raises(AssertionError) as info:
        assert url.password == Secret("another-password")
    assert "hunter2" not in str(info.value)


def test_a_failing_check_under_showlocals_and_long_tracebacks_shows_no_password(
    staging, run_acceptance, pytester
):
    async def break_a_comment() -> None:
        conn = await asyncpg.connect(staging.server.dsn(staging.database))
        await conn.execute("COMMENT ON TABLE users IS NULL")
        await conn.close()

    asyncio.run(break_a_comment())
    # a finding (one line) and a plain assert (a long traceback with every local shown), as
    # a check a user adds would fail
    pytester.makepyfile(
        test_user_check="import pytest\n"
        "pytestmark = pytest.mark.dod('DOD-12')\n"
        "async def test_plain_assert(target, db):\n"
        "    url = target.url\n"
        "    assert db.is_closed(), url\n"
    )
    result = run_acceptance(
        *("-m", "supabase", "--database-url", staging.url, *LOUD),
        str(pytester.path / "test_user_check.py"),
        modules=("test_dod12_comments.py",),
    )
    assert result.ret == 1, result.stdout.str()[-2000:]  # FAILED
    assert "DOD-12" in result.stdout.str()
    assert "target = " in result.stdout.str()  # the locals were shown, the URL among them...
    assert "raw=Secret('postgresql://postgres:***@" in result.stdout.str()
    assert leaks(staging.server.password, result, pytester.path / "reports") == []  # ...masked


def test_a_connection_lost_under_showlocals_shows_no_password(staging, run_acceptance, pytester):
    """A setup error inside asyncpg's connect (its frames hold the DSN as locals)."""
    url = staging.url.replace(f"/{staging.database}?", "/postgres?") + "&connect_timeout=x"
    result = run_acceptance("-m", "supabase", "--database-url", url, *LOUD)
    assert result.ret != 0
    assert leaks(staging.server.password, result, pytester.path / "reports") == []


@pytest.mark.parametrize(
    "password",
    ["Xy7@kq:Lm9zT2vBw", "Xy7kq:Lm9zT2@vBw", "pa:ss/word?x1"],
    ids=["at", "colon", "slash"],
)
def test_an_unencoded_at_or_colon_in_the_password_is_one_line_and_fully_masked(
    password, run_acceptance, pytester
):
    url = f"postgresql://postgres.abcdefghijklmnopqrst:{password}@db.example.com:6543/postgres"
    result = run_acceptance("-m", "supabase", "--database-url", url, *LOUD)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [ln for ln in result.stderr.lines if ln.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr.str()
    assert "must be percent-encoded" in errors[0]
    assert ":***@db.example.com" in errors[0]
    assert leaks(password, result, pytester.path / "reports") == []
    assert not (pytester.path / "reports").exists() or not list(
        (pytester.path / "reports").glob("acceptance-*")
    )
