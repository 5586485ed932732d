"""No import cycles among scanner/, detectors/, reports/ (scripts/import_cycles.py), lazy imports included.

A cycle hidden behind a function-level import still couples two modules both
ways; the script reads every import with ``ast`` so it finds those too.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.conftest import ROOT

KNOWN: list[list[str]] = []


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_cycles", ROOT / "scripts" / "import_cycles.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_new_import_cycles():
    cycles = _script().find_cycles()
    assert [c for c in cycles if c not in KNOWN] == []


def test_the_script_sees_a_cycle_behind_a_lazy_import(tmp_path):
    script = _script()
    assert script.components({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]
    module = tmp_path / "scanner" / "x.py"
    module.parent.mkdir()
    module.write_text("import os\nfrom scanner import y\n\ndef f():\n    from scanner.z import g\n")
    script.ROOT = tmp_path
    found = sorted(script.imports(module, {"scanner", "scanner.x", "scanner.y", "scanner.z"}, False))
    assert found == [("scanner.y", True), ("scanner.z", False)]


def test_policy_counts_and_database_are_no_longer_a_cycle():
    assert not any("scanner.policy.counts" in cycle for cycle in _script().find_cycles())


def test_audit_and_config_are_no_longer_a_cycle():
    assert not any("scanner.audit" in cycle for cycle in _script().find_cycles())
