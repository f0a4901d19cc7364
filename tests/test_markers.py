"""The `dod` and `advisory` markers (markers.py) are checked at collection against
schema/dod.yaml: a typo is one usage error line (exit 4), not a test that vanishes from the
sign-off and a run that ends PARTIAL."""

from __future__ import annotations

import pytest

from .conftest import suite_args

TYPO = """\
import pytest

@pytest.mark.dod("DOD-5")
async def test_columns(db):
    assert True
"""


def _run(pytester: pytest.Pytester, name: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        *suite_args(
            *("-p", "supabase_acceptance.plugin", "-p", "supabase_acceptance.fixtures"),
            *("-m", "local", "--report-dir", str(pytester.path / "reports")),
            str(pytester.path / f"{name}.py"),
        ),
    )


def test_a_dod_marker_naming_no_item_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_typo=TYPO)
    result = _run(pytester, "test_typo")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    result.stderr.fnmatch_lines(
        ["ERROR: *::test_columns[[]local[]]: pytest.mark.dod('DOD-5') names no item of*"]
    )
    assert len([line for line in result.stderr.lines if "DOD-5" in line]) == 1
    assert not (pytester.path / "reports" / "latest-local.json").exists()


def test_a_dod_marker_without_its_item_is_one_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bare=TYPO.replace('dod("DOD-5")', "dod"))
    result = _run(pytester, "test_bare")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    result.stderr.fnmatch_lines(
        ["ERROR: *::test_columns[[]local[]]: pytest.mark.dod(): *missing*item*"]
    )
