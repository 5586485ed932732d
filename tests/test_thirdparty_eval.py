"""Column classification on third-party generated data (bench/thirdparty_eval.py, issue 16).

A reduced run (200 rows per table, the same tables and seed as the full
benchmark) must not fall below today's figures; the issue's target is
column F1 >= 0.99. Raise the bars as detection fixes land.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("faker")
pytest.importorskip("mimesis")

from bench.thirdparty_eval import build, render, scan, score  # noqa: E402

ROWS = 200
SEED = 16
# Measured 2026-12-03 after issue 16 items 1-3 with ROWS=200 (bench/README.md, "Third-party evaluation").
BAR_F1 = 1.0
BAR_NATURAL_F1 = 1.0
BAR_OPAQUE_F1 = 1.0
BAR_FREE_TEXT_FOUND = 12  # of the 12 entities the two prose columns hold
TARGET = "issue 16 target: column F1 >= 0.99"
# the devset lives in shared/ beside the clone (CI) or at /work/shared (the team's machines)
DEVSET_SCORE = next((p for p in (Path(__file__).resolve().parents[2] / "shared/devset/score.py",
                                 Path("/work/shared/devset/score.py")) if p.exists()),
                    Path("/work/shared/devset/score.py"))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("thirdparty")
    labels = build(root, ROWS, SEED)
    findings = scan(root)
    return root, labels, findings, score(labels, findings)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_is_reproducible(tmp_path):
    """Fixed seeds: the same seed writes the same bytes; another seed writes other data."""
    build(tmp_path / "a", 20, SEED)
    build(tmp_path / "b", 20, SEED)
    build(tmp_path / "c", 20, SEED + 1)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert a == b
    assert a.keys() == c.keys()
    assert a["data/faker_zh/customers.csv"] != c["data/faker_zh/customers.csv"]


def test_set_covers_what_the_issue_asks(tmp_path):
    """Both generators, both languages, both header styles, hard negatives, three formats."""
    labels = build(tmp_path, 5, SEED)
    cols = labels["columns"]
    sources = {c["source"] for c in cols}
    assert {"faker zh_CN", "faker en_US", "mimesis zh", "mimesis en"} <= sources
    assert {c["header_style"] for c in cols} >= {"opaque", "zh", "en", "pinyin"}
    assert sum(c["entity"] is None for c in cols) >= 30
    assert {Path(c["dataset"]).suffix for c in cols} == {".csv", ".jsonl", ".parquet"}
    assert any("." in c["column"] and c["dataset"].endswith(".jsonl") for c in cols)


def test_score_counts_like_the_devset_scorer():
    """A wrong entity is a miss and a false alarm; an accepted alternative is a hit; None on None is nothing."""
    labels = {"columns": [
        {"dataset": "t.csv", "column": "a", "entity": "PERSON_NAME", "header_style": "opaque", "source": "s"},
        {"dataset": "t.csv", "column": "b", "entity": "PHONE_NUMBER", "header_style": "zh", "source": "s",
         "accept": ["CN_LANDLINE_PHONE"]},
        {"dataset": "t.csv", "column": "c", "entity": None, "header_style": "en", "source": "s"},
        {"dataset": "t.csv", "column": "d", "entity": "BANK_CARD", "header_style": "en", "source": "s"},
        {"dataset": "t.csv", "column": "e", "entity": None, "header_style": "en", "source": "s"},
    ]}
    findings = {"datasets": [{"id": "t.csv", "columns": [
        {"name": "a", "primary_entity": "ADDRESS", "entities": []},
        {"name": "b", "primary_entity": "CN_LANDLINE_PHONE", "entities": []},
        {"name": "c", "primary_entity": "PERSON_NAME", "entities": [{"entity": "PERSON_NAME", "hit_ratio": 0.1}]},
        {"name": "e", "primary_entity": None, "entities": []},
    ]}]}
    result = score(labels, findings)
    assert (result["overall"]["tp"], result["overall"]["fp"], result["overall"]["fn"]) == (1, 2, 2)
    assert result["by_entity"]["PERSON_NAME"] == {**result["by_entity"]["PERSON_NAME"], "tp": 0, "fp": 1, "fn": 1}
    assert result["by_style"]["opaque"]["fn"] == 1
    assert {(m["column"], m["got"]) for m in result["mistakes"]} == {
        ("a", "ADDRESS"), ("c", "PERSON_NAME"), ("d", "<missing>")}


def test_every_labelled_column_is_in_the_findings(run):
    """Labels name columns as findings.json does (nested JSON flattened with dots), and the scan had no errors."""
    _root, _labels, findings, result = run
    assert not [m for m in result["mistakes"] if m["got"] == "<missing>"], render(result)
    assert findings["errors"] == []


@pytest.mark.skipif(not DEVSET_SCORE.exists(), reason="the devset's score.py is not on this machine")
def test_devset_scorer_reads_the_labels(run):
    """The labels are in the devset's format: its score.py gives the same F1 (no accepted alternative used)."""
    root, labels, _findings, result = run
    proc = subprocess.run([sys.executable, str(DEVSET_SCORE), str(root), str(root / "out" / "findings.json")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    theirs = float(re.search(r"column_f1=([0-9.]+)", proc.stdout).group(1))
    strict = score({**labels, "columns": [{**c, "accept": []} for c in labels["columns"]]}, json.loads(
        (root / "out" / "findings.json").read_text(encoding="utf-8")))
    assert theirs == pytest.approx(strict["overall"]["f1"], abs=0.0006)


def test_f1_not_below_todays(run):
    """Overall, natural-header and opaque-header column F1 and free-text entities stay at or above today's bars."""
    *_rest, result = run
    f1 = result["overall"]["f1"]
    natural, opaque = result["by_style"]["natural"]["f1"], result["by_style"]["opaque"]["f1"]
    message = (f"third-party column F1 {f1:.3f} (bar {BAR_F1}), natural {natural:.3f} (bar {BAR_NATURAL_F1}), "
               f"opaque {opaque:.3f} (bar {BAR_OPAQUE_F1}); {TARGET}\n{render(result)}")
    assert f1 >= BAR_F1 and natural >= BAR_NATURAL_F1 and opaque >= BAR_OPAQUE_F1, message
    assert result["free_text_found"] >= BAR_FREE_TEXT_FOUND, (
        f"free-text entities found {result['free_text_found']}/{result['free_text_entities']} "
        f"(bar {BAR_FREE_TEXT_FOUND})\n{render(result)}")
    print(f"third-party column F1 {f1:.3f} (natural {natural:.3f}, opaque {opaque:.3f}); {TARGET}")
