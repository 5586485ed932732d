"""Start-up stays light: a command loads only what its data needs (issue 15, "Start-up").

``piiwarden --help`` must not load detection at all, and a scan of a small
structured file (phone numbers, no free text, no database) must not load
jieba's POS tagger and dictionaries, whose loading alone is over a second.
Each case runs in a fresh interpreter and reports which heavy modules it
ended up with, so an eager import added anywhere on the path shows up here
(a benchmark measures the time; this test keeps the cause from coming back).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

HEAVY = ("jieba", "jieba.posseg", "pandas", "sqlalchemy", "presidio_analyzer", "spacy", "cpca",
         "presidio_analyzer.analyzer_engine", "presidio_analyzer.predefined_recognizers",
         "scanner.lifecycle.identifiers", "scanner.anonymize.operators.base")

_PROBE = """
import json, sys
from scanner.cli import main
heavy = json.loads(sys.argv[2])
sys.argv = ["piiwarden", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "loaded": sorted(m for m in heavy if m in sys.modules)}))
"""


def _loaded_by(args: list[str], home: Path) -> list[str]:
    """The heavy modules a fresh ``piiwarden ARGS`` process has loaded when it exits (asserting success)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home)}
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, proc.stdout + proc.stderr
    return list(report["loaded"])


def test_help_loads_no_detection_and_no_data_library(tmp_path):
    assert _loaded_by(["--help"], tmp_path) == []


def test_structured_scan_loads_no_nlp_no_country_recognizers_and_no_sqlalchemy(tmp_path):
    """A scan of files with no free text runs Presidio recognizers, not its engine, spaCy or SQLAlchemy."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "people.csv").write_text("姓名,手机号,身份证号\n王伟,13812345678,11010519491231002X\n"
                                     "刘芳,13912345678,440304199003071232\n", encoding="utf-8")
    loaded = _loaded_by(["scan", str(data), "-o", str(tmp_path / "out"), "--no-history", "-q"], tmp_path)
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    entities = {c["name"]: c.get("primary_entity") for d in findings["datasets"] for c in d["columns"]}
    assert entities == {"姓名": "PERSON_NAME", "手机号": "CN_MOBILE_PHONE", "身份证号": "CN_RESIDENT_ID"}
    assert "presidio_analyzer" in loaded
    for module in ("spacy", "presidio_analyzer.analyzer_engine", "presidio_analyzer.predefined_recognizers",
                   "sqlalchemy", "jieba"):
        assert module not in loaded, module


@pytest.mark.parametrize("mode", [[], ["--full"]])
def test_counting_people_loads_no_anonymize_operators(tmp_path, mode):
    """``subjects_estimate`` of plain ASCII identifiers needs the hash normalization, not the subject index's stack.

    Every forked worker of a full scan paid 80 ms to import it: more than
    the sketch itself (bench/README.md, "People affected").
    """
    data = tmp_path / "data"
    data.mkdir()
    (data / "phones.csv").write_text("手机号\n13812345678\n139-1234-5678\n", encoding="utf-8")
    loaded = _loaded_by(["scan", str(data), "-o", str(tmp_path / "out"), "--no-history", "-q", *mode], tmp_path)
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert findings["datasets"][0]["subjects_estimate"] == 2
    assert "scanner.lifecycle.identifiers" not in loaded and "scanner.anonymize.operators.base" not in loaded


def test_structured_scan_does_not_load_jieba(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "phones.csv").write_text("手机号\n13812345678\n13912345678\n", encoding="utf-8")
    loaded = _loaded_by(["scan", str(data), "-o", str(tmp_path / "out"), "--no-history", "-q"], tmp_path)
    assert (tmp_path / "out" / "findings.json").is_file()
    assert "presidio_analyzer" in loaded  # the probe sees what detection loads: the scan did run it
    assert "jieba" not in loaded and "jieba.posseg" not in loaded


def test_free_text_scan_without_an_ner_model_loads_no_spacy(tmp_path):
    """Prose goes through the recognizers (jieba for names) without Presidio's NLP engine when no model is installed."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "orders.csv").write_text("订单号,备注\nA1001,客户李四要求周五前送达\nA1002,联系人王小明电话13812345678\n",
                                     encoding="utf-8")
    loaded = _loaded_by(["scan", str(data), "-o", str(tmp_path / "out"), "--no-history", "-q"], tmp_path)
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    remarks = next(c for d in findings["datasets"] for c in d["columns"] if c["name"] == "备注")
    assert remarks["free_text"] and "CN_MOBILE_PHONE" in {e["entity"] for e in remarks["entities"]}
    assert "jieba.posseg" in loaded  # names in the prose were looked for (two rows are too few to report one)
    for module in ("spacy", "presidio_analyzer.analyzer_engine", "presidio_analyzer.predefined_recognizers"):
        assert module not in loaded, module
