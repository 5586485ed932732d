"""No module of scanner/, detectors/, reports/ reaches into another's private names.

A leading underscore says "may change without notice"; a module that
imports ``jsonfile._columns`` or reads ``run._datasets`` breaks silently when
its owner does. What another module needs gets a public name in its module.
Read with ``ast`` (function-level imports included), like
scripts/import_cycles.py.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("scanner", "detectors", "reports")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _absolute(node: ast.ImportFrom, here: str, is_package: bool) -> str:
    """The module an ``import from`` names, relative imports resolved against the importing module."""
    if not node.level:
        return node.module or ""
    package = here.split(".") if is_package else here.split(".")[:-1]
    anchor = package[: len(package) - node.level + 1]
    return ".".join([*anchor, node.module] if node.module else anchor)


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` of an attribute chain over a plain name, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def private_uses(path: Path, root: Path, modules: set[str]) -> Iterator[str]:
    """``file:line: module._name`` for each private name of another project module the file uses."""
    here = _module_name(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bound: dict[str, str] = {}  # local name -> the project module it is bound to
    where = f"{path.relative_to(root)}"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = _absolute(node, here, path.name == "__init__.py")
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    bound[alias.asname or alias.name] = f"{source}.{alias.name}"
                elif source in modules and source != here and _private(alias.name):
                    yield f"{where}:{node.lineno}: {source}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    bound[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = _dotted(node.value)
            target = bound.get(owner, owner) if owner else None
            if target in modules and target != here:
                yield f"{where}:{node.lineno}: {target}.{node.attr}"


def project_private_uses(root: Path) -> list[str]:
    files = [p for pkg in PACKAGES for p in (root / pkg).rglob("*.py")]
    modules = {_module_name(p, root) for p in files}
    return sorted(use for path in files for use in private_uses(path, root, modules))


def test_no_module_uses_another_modules_private_names():
    assert project_private_uses(ROOT) == []


def test_the_scan_sees_each_way_of_reaching_in(tmp_path):
    pkg = tmp_path / "scanner"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("_hidden = 1\npublic = 2\n")
    (pkg / "b.py").write_text(
        "import os\nimport scanner.a\nfrom scanner import a\nfrom scanner import a as alias\n"
        "from scanner.a import public\n"
        "os._exit\n"  # not a project module
        "def f():\n    from .a import _hidden\n    return a._hidden, alias._hidden, scanner.a._hidden\n"
    )
    (pkg / "c.py").write_text("_own = 1\nprint(_own)\n")
    found = project_private_uses(tmp_path)
    assert found == [
        "scanner/b.py:8: scanner.a._hidden",
        "scanner/b.py:9: scanner.a._hidden",
        "scanner/b.py:9: scanner.a._hidden",
        "scanner/b.py:9: scanner.a._hidden",
    ]
