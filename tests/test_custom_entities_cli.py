"""``--entities FILE`` and the config's ``entities:`` key, end to end through the command line.

The issue's own example: a company's employee numbers (``E`` and seven
digits) under headers 工号 / emp_no are found by ``scan``, masked by
``anonymize``, and a bad entities file stops the run with exit 2 and one
line naming file:line:field before any data is read.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.hostile.harness import assert_no_traceback, run_cli

ENTITIES = """version: 1
entities:
  EMPLOYEE_ID:
    level: 2
    category: identity
    pattern: "E\\\\d{7}"
    validator: null
    headers: [工号, emp_no, employee_id]
    mask: {keep_first: 1, keep_last: 2}
"""
EMPLOYEES = [f"E{4_000_000 + 7919 * i:07d}" for i in range(40)]


def _data(root: Path) -> Path:
    data = root / "data"
    data.mkdir()
    with open(data / "staff.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["工号", "部门", "emp_no"])
        for i, number in enumerate(EMPLOYEES):
            writer.writerow([number, f"部门{i % 4}", EMPLOYEES[-1 - i]])
    return data


def _columns(findings: Path) -> dict[str, dict]:
    document = json.loads(findings.read_text(encoding="utf-8"))
    return {c["name"]: c for ds in document["datasets"] for c in ds["columns"]}


def test_yaml_entity_is_found_by_scan_and_masked_by_anonymize(tmp_path: Path) -> None:
    data = _data(tmp_path)
    entities = tmp_path / "entities.yaml"
    entities.write_text(ENTITIES, encoding="utf-8")

    scan = run_cli(["scan", data, "-o", tmp_path / "scan", "--no-history", "--entities", entities])
    assert_no_traceback(scan)
    assert scan.code == 0, scan.console
    columns = _columns(tmp_path / "scan" / "findings.json")
    for name in ("工号", "emp_no"):
        assert columns[name]["primary_entity"] == "EMPLOYEE_ID" and columns[name]["level"] == 2
    assert columns["部门"]["primary_entity"] is None
    assert not any(number in scan.console for number in EMPLOYEES)

    anon = run_cli(["anonymize", data, "-o", tmp_path / "anon", "--entities", entities])
    assert_no_traceback(anon)
    assert anon.code == 0, anon.console
    with open(tmp_path / "anon" / "staff.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["工号"] for r in rows] == [n[0] + "*" * 5 + n[-2:] for n in EMPLOYEES]
    assert not any(number in (tmp_path / "anon" / "staff.csv").read_text(encoding="utf-8") for number in EMPLOYEES)


def test_without_the_entities_file_the_column_is_not_an_entity(tmp_path: Path) -> None:
    """The custom entity exists only for the run that names it (no leftover registration)."""
    data = _data(tmp_path)
    scan = run_cli(["scan", data, "-o", tmp_path / "scan", "--no-history"])
    assert scan.code == 0, scan.console
    assert _columns(tmp_path / "scan" / "findings.json")["工号"]["primary_entity"] != "EMPLOYEE_ID"


def test_config_entities_key_is_read_relative_to_the_config(tmp_path: Path) -> None:
    data = _data(tmp_path)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "entities.yaml").write_text(ENTITIES, encoding="utf-8")
    (conf / "piiwarden.yaml").write_text(
        f"version: 1\nsources: [{json.dumps(str(data))}]\noutdir: ../out\nhistory: false\nentities: entities.yaml\n",
        encoding="utf-8")
    scan = run_cli(["scan", "--config", conf / "piiwarden.yaml"])
    assert scan.code == 0, scan.console
    assert _columns(tmp_path / "out" / "findings.json")["工号"]["primary_entity"] == "EMPLOYEE_ID"


@pytest.mark.parametrize(("body", "field"), [
    (ENTITIES.replace('"E\\\\d{7}"', '"E(\\\\d{7}"'), "entities.EMPLOYEE_ID.pattern"),
    (ENTITIES.replace("validator: null", "validator: crc32"), "entities.EMPLOYEE_ID.validator"),
    (ENTITIES.replace("level: 2", "level: 9"), "entities.EMPLOYEE_ID.level"),
])
@pytest.mark.parametrize("command", ["scan", "anonymize"])
def test_a_bad_entities_file_is_exit_2_naming_file_line_and_field(tmp_path: Path, body: str, field: str,
                                                                   command: str) -> None:
    data = _data(tmp_path)
    entities = tmp_path / "entities.yaml"
    entities.write_text(body, encoding="utf-8")
    extra = ["--no-history"] if command == "scan" else []
    run = run_cli([command, data, "-o", tmp_path / "out", "--entities", entities, *extra])
    assert_no_traceback(run)
    assert run.code == 2, run.console
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "entities.yaml:" in lines[0] and field in lines[0], run.stderr
    line_number = int(lines[0].split("entities.yaml:")[1].split(":")[0])
    assert body.splitlines()[line_number - 1].strip().startswith(field.rsplit(".", 1)[1]), lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# Level 3: a clear value fails verify at its default --min-level.
LEVEL3 = ENTITIES.replace("level: 2", "level: 3")
KEEP_RULES = "version: 1\nentities:\n  EMPLOYEE_ID: {op: keep}\n"


def _clear_copy(tmp_path: Path) -> tuple[Path, Path]:
    """An anonymized copy that still holds clear employee numbers (a rule kept them), and the entities file."""
    data = _data(tmp_path)
    entities = tmp_path / "entities.yaml"
    entities.write_text(LEVEL3, encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(KEEP_RULES, encoding="utf-8")
    out = tmp_path / "anon"
    anon = run_cli(["anonymize", data, "-o", out, "--entities", entities, "--rules", rules])
    assert anon.code == 0, anon.console
    assert EMPLOYEES[0] in (out / "staff.csv").read_text(encoding="utf-8")
    return out, entities


def _verify_lines(run_stdout: str) -> list[str]:
    return [line for line in run_stdout.splitlines() if line.startswith("FAIL")]


def test_verify_finds_clear_custom_entity_values_with_entities(tmp_path: Path) -> None:
    out, entities = _clear_copy(tmp_path)
    run = run_cli(["verify", out, "--entities", entities])
    assert_no_traceback(run)
    assert run.code == 1, run.console
    assert sorted(_verify_lines(run.stdout)) == [
        "FAIL staff.csv: emp_no: 40 values validate as EMPLOYEE_ID",
        "FAIL staff.csv: 工号: 40 values validate as EMPLOYEE_ID"]
    assert not any(number in run.console for number in EMPLOYEES)


def test_verify_reuses_the_custom_entities_anonymize_recorded(tmp_path: Path) -> None:
    """Without --entities, verify rebuilds the run's entities from anonymization.json and says so."""
    out, _ = _clear_copy(tmp_path)
    record = json.loads((out / "anonymization.json").read_text(encoding="utf-8"))
    assert record["run"]["custom_entities"]["EMPLOYEE_ID"]["pattern"] == "E\\d{7}"
    run = run_cli(["verify", out])
    assert_no_traceback(run)
    assert run.code == 1, run.console
    assert len(_verify_lines(run.stdout)) == 2
    assert "checked for the custom entities anonymize recorded in anonymization.json: EMPLOYEE_ID" in run.stderr


def test_verify_without_the_entities_passes_only_with_a_clear_note(tmp_path: Path) -> None:
    """A record that names the entity but cannot rebuild it (from code, or older): not checked, and said so."""
    out, entities = _clear_copy(tmp_path)
    path = out / "anonymization.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    for recorded in ({"EMPLOYEE_ID": None}, None):  # an entity from code; a record from before custom_entities
        if recorded is None:
            record["run"].pop("custom_entities")
        else:
            record["run"]["custom_entities"] = recorded
        path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        run = run_cli(["verify", out])
        assert_no_traceback(run)
        assert run.code == 0, run.console
        assert (f"WARNING {out}: anonymize used entities verify does not know: EMPLOYEE_ID; their values are not "
                "checked (pass the run's --entities FILE, or install the package that defines them)") in run.stderr
        assert "verify passed" in run.stdout
        strict = run_cli(["verify", out, "--entities", entities])
        assert strict.code == 1 and len(_verify_lines(strict.stdout)) == 2, strict.console
        assert "does not know" not in strict.stderr


def test_verify_names_a_bad_entities_file_in_one_line(tmp_path: Path) -> None:
    out, entities = _clear_copy(tmp_path)
    entities.write_text(LEVEL3.replace("level: 3", "level: 9"), encoding="utf-8")
    run = run_cli(["verify", out, "--entities", entities])
    assert_no_traceback(run)
    assert run.code == 2 and "entities.EMPLOYEE_ID.level" in run.stderr, run.console


def _payroll(tmp_path: Path) -> tuple[Path, Path, Path]:
    """The employee data, its entities file, and a policy whose allowed_entities name the custom entity."""
    data = _data(tmp_path)
    entities = tmp_path / "entities.yaml"
    entities.write_text(ENTITIES, encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: \"*.csv\"\n    purpose: payroll\n"
                      "    allowed_entities: [EMPLOYEE_ID]\n", encoding="utf-8")
    return data, entities, policy


def test_scan_policy_may_name_a_custom_entity(tmp_path: Path) -> None:
    """The entities are registered before the policy is read: allowed_entities may list them."""
    data, entities, policy = _payroll(tmp_path)
    scan = run_cli(["scan", data, "-o", tmp_path / "scan", "--no-history", "--entities", entities,
                    "--policy", policy])
    assert_no_traceback(scan)
    assert scan.code == 0, scan.console
    findings = json.loads((tmp_path / "scan" / "findings.json").read_text(encoding="utf-8"))
    assert not [v for v in findings["violations"] if v["rule"] == "minimization"]


def test_purge_inventory_and_mask_views_read_a_policy_naming_a_custom_entity(tmp_path: Path) -> None:
    """Each command that reads a policy takes --entities too; without it the policy's entity is unknown (exit 2)."""
    data, entities, policy = _payroll(tmp_path)
    env = {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log")}
    purged = run_cli(["purge", data, "--policy", policy, "--entities", entities], env=env)
    assert_no_traceback(purged)
    assert purged.code == 0, purged.console
    unknown = run_cli(["purge", data, "--policy", policy], env=env)
    assert unknown.code == 2 and "EMPLOYEE_ID" in unknown.console
    scan = run_cli(["scan", data, "-o", tmp_path / "scan", "--no-history", "--entities", entities])
    assert scan.code == 0, scan.console
    findings = tmp_path / "scan" / "findings.json"
    inventory = run_cli(["inventory", findings, "-o", tmp_path / "inv.csv", "--policy", policy,
                         "--entities", entities])
    assert inventory.code == 0, inventory.console
    assert "payroll" in (tmp_path / "inv.csv").read_text(encoding="utf-8-sig")
    assert run_cli(["inventory", findings, "-o", tmp_path / "inv2.csv", "--policy", policy]).code == 2
    views = run_cli(["mask-views", "sqlite:///" + str(tmp_path / "none.db"), "--policy", policy,
                     "--entities", entities])
    assert_no_traceback(views)
    assert "EMPLOYEE_ID" not in views.console  # the policy was read; the URL is what is refused
    refused = run_cli(["mask-views", "sqlite:///" + str(tmp_path / "none.db"), "--policy", policy])
    assert refused.code == 2 and "EMPLOYEE_ID" in refused.console
