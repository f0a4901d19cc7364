"""The harness as a plugin: registered through `pytest11`, shadowing no other distribution's
import name, reading nothing at import time, and no formatter exemption without a reason."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "fixtures" / "supabase_acceptance"


def test_the_plugin_is_registered_through_an_entry_point():
    points = importlib.metadata.entry_points(group="pytest11")
    assert "supabase_acceptance.plugin" in {p.value for p in points}


def test_a_distribution_named_fixtures_is_not_shadowed(tmp_path: Path):
    """pytest puts the project root first on sys.path (conftest.py, prepend mode); `fixtures/`
    there is a directory without __init__.py, so a real package `fixtures` still wins."""
    other = tmp_path / "fixtures"
    other.mkdir()
    (other / "__init__.py").write_text("WHO = 'the other distribution'\n")
    probe = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import fixtures, supabase_acceptance.plugin
        print(fixtures.WHO)
    """)
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "the other distribution"


def test_nothing_is_read_at_import_time():
    """Importing every module of the package and every acceptance module opens no file of
    the project (schema/, profiles, templates): all of that is read in pytest_configure."""
    modules = [
        "supabase_acceptance." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for p in sorted(PACKAGE.rglob("*.py"))
        if p.name != "__init__.py"
    ]
    probe = textwrap.dedent(f"""
        import importlib, os, sys
        opened = []
        root = {str(ROOT)!r}
        def audit(event, args):
            path = args[0] if isinstance(args[0], str) else ""
            if path.startswith(root) and not path.startswith(sys.prefix):  # the venv's own
                is_data = os.path.isfile(path) and not path.endswith((".py", ".pyc"))
                if is_data and "__pycache__" not in path:
                    opened.append(path)
        sys.addaudithook(audit)
        for name in {modules!r}:
            importlib.import_module(name)
        sys.path.insert(0, root + "/acceptance")
        for path in sorted(__import__("pathlib").Path(root, "acceptance").glob("test_*.py")):
            importlib.import_module(path.stem)
        print("\\n".join(opened))
    """)
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"read at import time:\n{out.stdout}"


def test_every_formatter_exemption_says_why_and_changes_something():
    """A formatter pragma (fmt: skip) only where an aligned table reads better: the line
    says so, and without the pragma the formatter would rewrite it."""
    pragma = re.compile(r"\s*#\s*fmt:\s*(skip|off)\b.*$")
    files = [
        path
        for folder in ("fixtures", "acceptance", "tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "fmt:" in path.read_text()
    ]
    bare, idle = [], []
    for path in files:
        lines = path.read_text().splitlines()
        hits = [n for n, line in enumerate(lines, 1) if pragma.search(line)]
        bare += [f"{path.name}:{n}" for n in hits if not lines[n - 1].rstrip().endswith(")")]
        stripped = "\n".join(pragma.sub("", line) for line in lines) + "\n"
        formatted = subprocess.run(
            ["ruff", "format", "--stdin-filename", str(path), "-"],
            input=stripped,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        ).stdout
        idle += [path.name] if hits and formatted == stripped else []
    assert not bare, f"formatter exemptions without a reason in parentheses: {bare}"
    assert not idle, f"formatter exemptions that change nothing: {idle}"


def _imports(path: Path) -> set[str]:
    """The package modules `path` imports, as dotted names under supabase_acceptance."""
    here = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found |= {module} | {f"{module}.{a.name}" for a in node.names}
    return found


def test_evidence_and_the_report_do_not_import_each_other():
    """evidence.py knows the run through a protocol; report/ knows a test's item through
    markers.py: neither imports the other."""
    evidence = _imports(PACKAGE / "evidence.py")
    assert not {m for m in evidence if m.startswith("supabase_acceptance.report")}, evidence
    for path in sorted((PACKAGE / "report").glob("*.py")):
        found = {m for m in _imports(path) if m.startswith("supabase_acceptance.evidence")}
        assert not found, f"{path.name} imports {found}"


def test_only_asserts_fails_a_test():
    """Comparison, structure and probe outcomes are values: their modules import no pytest;
    asserts.py turns an outcome into a failure."""
    for name in ("model", "compare", "structure", "probes", "verdict", "expected"):
        found = {m for m in _imports(PACKAGE / f"{name}.py") if m.split(".")[0] == "pytest"}
        assert not found, f"{name}.py imports {found}"
    assert "pytest" in _imports(PACKAGE / "asserts.py")


# A private name of pytest, pytest-html, asyncpg or the standard library used anyway, with
# the reason it is not one: documented APIs that merely start with an underscore.
PUBLIC_UNDERSCORE = {
    "os._exit": "documented: leave a forked child without the parent's cleanup",
}


def _own_names(files: list[Path]) -> set[str]:
    """Every name the package itself defines (functions, classes, variables, arguments,
    attributes it sets on self): its own privates may be used across its modules."""
    own: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                own.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.arg):
                own.add(node.arg)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                own.add(node.attr)
    return own


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _foreign_privates(path: Path, own: set[str]) -> list[str]:
    """`x._name` (also through getattr/setattr/hasattr/delattr), `import _mod`, `from mod import
    _name` or `from _mod import ...` naming something the package does not define."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        said = ""
        attribute = isinstance(node, ast.Attribute) and _private(node.attr)
        if (attribute and node.attr not in own) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _private(node.args[1].value)
            and node.args[1].value not in own
        ):
            said = ast.unparse(node)
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if any(map(_private, a.name.split(".")))]
            said = ", ".join(f"import {n}" for n in names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mine = node.module.split(".")[0] == "supabase_acceptance"
            private = any(map(_private, node.module.split("."))) or any(
                _private(a.name) for a in node.names
            )
            if private and not mine:
                said = f"from {node.module} import {', '.join(a.name for a in node.names)}"
        if said and said not in PUBLIC_UNDERSCORE:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {said}")
    return found


def test_private_apis_of_other_libraries_are_used_in_compat_only():
    """pytest internals (`_pytest.*`, `config._rootpath`), pytest-html's `_report_path`,
    asyncpg's `_copy_out` / `_transport`: each behind a shim of `_compat.py` that says why, so
    an upgrade is checked in one module."""
    files = sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "acceptance").rglob("*.py"))
    own = _own_names(files)
    outside = [p for p in files if p != PACKAGE / "_compat.py"]
    found = [line for path in outside for line in _foreign_privates(path, own)]
    assert not found, "private APIs outside _compat.py:\n" + "\n".join(found)
    shims = _foreign_privates(PACKAGE / "_compat.py", own)
    assert shims, "the scan finds nothing even in _compat.py: it is broken"


def test_no_module_of_the_package_locates_the_project_by_itself():
    """Every file the harness reads is a field of the config's Paths (paths.py), built from the
    rootdir and the options: no module finds schema/ or profiles.yaml from its own location."""
    project = re.compile(
        r"""parents\[|\.parent\.parent|/\s*["'](schema|profiles\.yaml|reports)["']|Path\(["']schema"""
    )
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name not in ("paths.py", "config.py")  # Paths, and the options' defaults
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if project.search(line) and not line.lstrip().startswith("#")
    ]
    assert not found, "\n".join(found)


# Issue 18.1: an object's identity is a typed value (model.Identity), never a string parsed
# back. A heuristic: a string method that takes a string apart, called on an expression that
# names a `key` or an `object` (an identifier, attribute or subscript containing either word,
# any case), in the modules that compare, judge, plan and report objects. It misses a key by
# another name (`k.split(".")`) and `in` tests: the rule is review's, this catches its usual
# spellings.
IDENTITY_READERS = ("compare.py", "structure.py", "model.py", "remedy/*.py", "report/*.py")
TAKES_APART = {"split", "rsplit", "partition", "rpartition", "startswith", "endswith"}
NAMES_AN_IDENTITY = re.compile("key|object", re.IGNORECASE)


def _identity_parsing(source: str) -> list[tuple[int, str]]:
    """(line, call) of each `<...key...>.split(`/`.partition(`/`.startswith(` (and their
    r-/end- siblings) in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TAKES_APART
        ):
            continue
        named = [
            n.id if isinstance(n, ast.Name) else n.attr if isinstance(n, ast.Attribute) else n.value
            for n in ast.walk(node.func.value)
            if isinstance(n, ast.Name | ast.Attribute)
            or (isinstance(n, ast.Constant) and isinstance(n.value, str))
        ]
        if any(NAMES_AN_IDENTITY.search(str(n)) for n in named):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_no_identity_is_parsed_back_from_a_string():
    """Who an object is (kind, table, name, owning constraint) is read from its Identity's
    fields: no module that compares, judges, plans or reports objects splits a key apart."""
    files = sorted({p for pattern in IDENTITY_READERS for p in PACKAGE.glob(pattern)})
    assert len(files) > len(IDENTITY_READERS), "the scan reads the modules it names"
    found = [
        f"{path.relative_to(ROOT)}:{line}: {call}"
        for path in files
        for line, call in _identity_parsing(path.read_text())
    ]
    assert not found, "identities parsed from strings (use model.Identity):\n" + "\n".join(found)
    spelled = [  # what remedy/ once did: the scan finds each, so it cannot pass vacuously
        'what, _, name = key.partition(" ")',
        'table, col = key.split(".", 1)',
        'index = t.key.startswith("index of ")',
        'table = d.object.split(".")[0]',
        'table = str(entry["object"]).rsplit(".", 1)[0]',
    ]
    missed = [line for line in spelled if not _identity_parsing(line)]
    assert not missed, f"the scan misses {missed}"


def test_the_harness_is_imported_plain_and_the_checks_are_rewritten():
    """pytest rewrites the asserts of the checks (test modules, conftest.py) for their messages;
    the harness's own modules, imported after the plugin registers, load as plain Python."""
    import supabase_acceptance.catalog as catalog
    import supabase_acceptance.harness as harness
    from _pytest.assertion.rewrite import AssertionRewritingHook

    assert not isinstance(catalog.__loader__, AssertionRewritingHook)
    assert not isinstance(harness.__loader__, AssertionRewritingHook)
    assert isinstance(sys.modules[__name__].__loader__, AssertionRewritingHook)
