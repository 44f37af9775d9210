"""The test suite's own layout: helpers shared by tests live in ``tests/support/``; no test
module imports ``conftest`` (fixtures only) or another test module (ruff's ``banned-api``
also flags ``conftest``)."""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import ROOT

TESTS = ROOT / "tests"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module) of every import in ``path``, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def test_no_test_imports_conftest_or_another_test_module():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: import {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for line, module in imported_modules(path)
        if module == "conftest" or module.startswith("test_")
    ]
    assert not offenders, "import from tests/support/ instead:\n" + "\n".join(offenders)


def test_the_layout_check_sees_both_kinds_of_import(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom conftest import ROOT\n\ndef f():\n    import test_toc\n")
    assert imported_modules(sample) == [(1, "os"), (2, "conftest"), (5, "test_toc")]


def test_only_fixtures_and_hooks_are_defined_in_conftest():
    tree = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            fixture = any(
                "fixture" in ast.unparse(d) or "hookimpl" in ast.unparse(d)
                for d in node.decorator_list
            )
            assert fixture or node.name.startswith("pytest_"), (
                f"conftest.py defines {node.name}, neither a fixture nor a hook: "
                "move it to tests/support/"
            )
        assert not isinstance(node, ast.ClassDef), f"conftest.py defines class {node.name}"
