"""The policy rule registry: built-ins found by file, outside rules by public API and by entry point.

An outside rule must reach findings.json (and pass the contract's schema
once its enum is extended with the registered names) and the HTML report
without any edit inside scanner/.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
from typer.testing import CliRunner

from reports.html import render_html
from scanner.cli import app
from scanner.model import DatasetResult
from scanner.policy import rules
from scanner.policy.model import Policy
from scanner.policy.rules import Rule, RuleRegistryError, Violation
from tests.conftest import ROOT

BUILTINS = ["minimization", "undeclared_dataset", "plaintext_sensitive", "retention", "minor_data", "access_grant"]

# The outside rule used by both end-to-end tests: written once, as a distribution would ship it.
ACME_SOURCE = '''
from typing import ClassVar

from scanner.policy.rules import Rule


class StaffNumbers(Rule):
    """Flags every column headed 工号: ACME keeps staff numbers out of customer exports."""

    name: ClassVar[str] = "acme.staff_numbers"
    title_en: ClassVar[str] = "Staff numbers in exports"
    title_zh: ClassVar[str] = "导出文件含工号"
    reference: ClassVar[str] = "ACME data handbook 4.2"
    remediation_en: ClassVar[str] = "Drop the staff number column from the export."
    remediation_zh: ClassVar[str] = "从导出文件中删除工号列。"
    needs_policy: ClassVar[bool] = False
    counts: ClassVar[str | None] = None

    def evaluate(self, policy, datasets):
        return [self.violation(2, ds.id, col.name, None,
                               "Column of staff numbers in an export.", "导出文件含工号列。")
                for ds in datasets for col in ds.columns if col.name == "工号"]
'''


def _write_csv(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "export.csv"
    path.write_text("工号,qty\n" + "\n".join(f"E{i:07d},{i}" for i in range(20)) + "\n", encoding="utf-8")
    return path


def _schema_with(findings_schema: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The contract's schema with the ``rule`` enum extended by outside rule names (the documented way)."""
    schema = copy.deepcopy(findings_schema)
    rule = schema["properties"]["violations"]["items"]["properties"]["rule"]
    rule["enum"] = [*rule["enum"], *[n for n in names if n not in rule["enum"]]]
    return schema


def _acme_violations(findings: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in findings["violations"] if v["rule"] == "acme.staff_numbers"]


@pytest.fixture
def acme_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ACME rule module imported from outside the package."""
    site = tmp_path / "site_api"
    site.mkdir()
    (site / "acme_api_rules.py").write_text(ACME_SOURCE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    import acme_api_rules  # type: ignore[import-not-found]

    return acme_api_rules


def test_builtin_rules_are_the_contracts_in_findings_order(findings_schema):
    names = [r.name for r in rules.all_rules()]
    assert names[: len(BUILTINS)] == BUILTINS
    assert set(BUILTINS) == set(findings_schema["properties"]["violations"]["items"]["properties"]["rule"]["enum"])
    for rule in rules.all_rules()[: len(BUILTINS)]:
        assert rule.reference and rule.remediation_en and rule.remediation_zh and rule.title_en and rule.title_zh
    assert [r.name for r in rules.all_rules() if not r.needs_policy] == ["plaintext_sensitive", "minor_data",
                                                                          "access_grant"]
    assert {r.name: r.severity_floor for r in rules.all_rules() if r.severity_floor} == {"retention": 3,
                                                                                        "minor_data": 3}


def test_rule_registered_through_the_api_reaches_findings_and_report(acme_module, tmp_path, findings_schema):
    data = _write_csv(tmp_path / "data")
    out = tmp_path / "out"
    rules.register(acme_module.StaffNumbers)
    try:
        result = CliRunner().invoke(app, ["scan", str(data), "-o", str(out)])
        assert result.exit_code in (0, 1), result.output
        findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
        (violation,) = _acme_violations(findings)
        assert (violation["column"], violation["severity"], violation["reference"]) == (
            "工号", "medium", "ACME data handbook 4.2")
        jsonschema.validate(findings, _schema_with(findings_schema, rules.rule_names()),
                            cls=jsonschema.Draft202012Validator)
        with pytest.raises(jsonschema.ValidationError):  # the bare contract enum does not know it
            jsonschema.validate(findings, findings_schema, cls=jsonschema.Draft202012Validator)
        assert "导出文件含工号" in render_html(findings, "zh")
        assert "Staff numbers in exports" in render_html(findings, "en")
    finally:
        rules.unregister("acme.staff_numbers")
    assert rules.get("acme.staff_numbers") is None


def test_rule_from_an_entry_point_reaches_findings_in_a_fresh_process(tmp_path, findings_schema):
    site = tmp_path / "site_ep"
    site.mkdir()
    (site / "acme_ep_rules.py").write_text(ACME_SOURCE, encoding="utf-8")
    dist = site / "acme_ep_rules-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-ep-rules\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(
        "[piiwarden.rules]\nstaff_numbers = acme_ep_rules:StaffNumbers\n", encoding="utf-8")
    data = _write_csv(tmp_path / "data")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    proc = subprocess.run([sys.executable, "-m", "scanner", "scan", str(data), "-o", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert len(_acme_violations(findings)) == 1
    jsonschema.validate(findings, _schema_with(findings_schema, [*BUILTINS, "acme.staff_numbers"]),
                        cls=jsonschema.Draft202012Validator)


class _Base(Rule):
    title_en: ClassVar[str] = "t"
    title_zh: ClassVar[str] = "t"
    reference: ClassVar[str] = "r"
    remediation_en: ClassVar[str] = "r"
    remediation_zh: ClassVar[str] = "r"

    def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
        return []


@pytest.mark.parametrize("name", ["wide_tables", "retention", "Acme.Rule", "acme.", ""])
def test_outside_rule_names_must_be_namespaced(name):
    cls = type("Bad", (_Base,), {"name": name})
    with pytest.raises(RuleRegistryError):
        rules.register(cls)
    assert rules.rule_names()[: len(BUILTINS)] == BUILTINS


def test_a_name_cannot_be_taken_twice_and_abstract_rules_are_refused():
    first = type("First", (_Base,), {"name": "acme.twice"})
    second = type("Second", (_Base,), {"name": "acme.twice"})
    rules.register(first)
    try:
        rules.register(first)  # the same class again is harmless
        with pytest.raises(RuleRegistryError, match="already registered"):
            rules.register(second)
    finally:
        rules.unregister("acme.twice")
    with pytest.raises(RuleRegistryError, match="not a concrete"):
        rules.register(Rule)  # type: ignore[type-abstract]


def test_outside_rules_run_after_the_builtins_and_only_with_a_policy_when_they_need_one():
    seen: list[Policy | None] = []

    class NeedsPolicy(_Base):
        name: ClassVar[str] = "acme.needs_policy"

        def evaluate(self, policy: Policy | None, datasets: Sequence[DatasetResult]) -> list[Violation]:
            seen.append(policy)
            return [self.violation(4, "d", None, None, "m", "m")]

    rules.register(NeedsPolicy)
    try:
        assert rules.rule_names()[-1] == "acme.needs_policy"
        assert rules.evaluate(None, []) == [] and seen == []
        policy = Policy()
        (violation,) = rules.evaluate(policy, [])
        assert seen == [policy] and violation.severity == "critical" and violation.rule == "acme.needs_policy"
    finally:
        rules.unregister("acme.needs_policy")


def test_a_broken_entry_point_names_itself(tmp_path, monkeypatch):
    site = tmp_path / "site_broken"
    dist = site / "acme_broken-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-broken\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[piiwarden.rules]\nbroken = acme_missing_module:Rule\n",
                                           encoding="utf-8")
    code = textwrap.dedent("""
        from scanner.policy import rules
        try:
            rules.all_rules()
        except rules.RuleRegistryError as exc:
            print(exc)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "'broken'" in proc.stdout and "ModuleNotFoundError" in proc.stdout, proc.stdout + proc.stderr
