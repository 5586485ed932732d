"""report.html: self-contained, bilingual, readable at a glance, and never showing a raw value."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.validators import luhn_check_digit, resident_id_check_char
from reports.charts import Bar, bar_chart, clip, text_width
from reports.html import render_html
from scanner.cli import app

runner = CliRunner()
AS_OF = "2026-03-31"


def _resident_id(rng: random.Random, birth: dt.date) -> str:
    body = f"{rng.choice(['110105', '440304', '320106'])}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def _card(rng: random.Random) -> str:
    partial = "622848" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return partial + luhn_check_digit(partial)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> tuple[Path, list[str]]:
    """A scan output over data with known raw identifiers (some of children), and those values."""
    rng = random.Random(3)
    root = tmp_path_factory.mktemp("planted")
    data = root / "data"
    data.mkdir()
    raw: list[str] = []
    lines = ["学号,姓名,身份证号,家长手机,银行卡号,入学日期,备注"]
    for i in range(200):
        birth = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randint(0, 4000))
        ident, phone, card = _resident_id(rng, birth), f"139{rng.randint(0, 10**8 - 1):08d}", _card(rng)
        raw += [ident, phone, card]
        note = f"家长电话 {phone}，证件 {ident}" if i % 4 == 0 else "无"
        lines.append(f"S{i:04d},学生{i},{ident},{phone},{card},20{10 + i % 15}-09-01,{note}")
    (data / "students.csv").write_text("\n".join(lines), encoding="utf-8")
    records = []
    for i in range(60):
        mail, phone = f"parent.{i}@example.org", f"+86 138-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
        raw += [mail, phone]
        records.append(json.dumps({"id": i, "guardian": {"mail": mail, "mobile": phone}}, ensure_ascii=False))
    (data / "contacts.jsonl").write_text("\n".join(records), encoding="utf-8")
    policy = root / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: students.csv\n    purpose: school\n"
                      "    allowed_entities: [PERSON_NAME, CN_RESIDENT_ID]\n"
                      "    retention: {column: 入学日期, max_age_days: 1825}\n", encoding="utf-8")
    out = root / "out"
    result = runner.invoke(app, ["scan", str(data), "--policy", str(policy), "--as-of", AS_OF, "-o", str(out),
                                 "--lang", "en"])
    assert result.exit_code == 0, result.output
    runner.invoke(app, ["report", str(out / "findings.json"), "-o", str(out / "report-zh.html"), "--lang", "zh"])
    return out, raw


def _outputs(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in (out / "findings.json", out / "report.html",
                                                             out / "report-zh.html")}


def test_nothing_raw_in_report_or_findings(planted):
    out, raw = planted
    texts = _outputs(out)
    findings = json.loads(texts["findings.json"])
    rules = {v["rule"] for v in findings["violations"]}
    assert {"minor_data", "retention", "plaintext_sensitive", "minimization", "undeclared_dataset"} <= rules
    for name, text in texts.items():
        flat = re.sub(r"[\s\-+]", "", text)  # also catch values re-spaced or re-hyphenated
        for value in raw:
            assert value not in text, f"raw value in {name}"
            digits = re.sub(r"[\s\-+]", "", value)
            if digits.isdigit() or digits[:-1].isdigit():
                assert digits[-11:] not in flat, f"raw digits in {name}"
            if len(value) == 18 and value[:-1].isdigit():
                assert value[:14] not in text, f"ID number's birth date part in {name}"


def test_report_is_self_contained(planted):
    out, _ = planted
    for name in ("report.html", "report-zh.html"):
        html = (out / name).read_text(encoding="utf-8")
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), name
        assert "@import" not in html and "url(" not in html and "<link" not in html
        assert "<script src" not in html and "@font-face" not in html
        assert "<svg" in html and "<style>" in html and "<script>" in html
        assert '@media print' in html


def test_report_has_every_part_in_both_languages(planted):
    out, _ = planted
    en = (out / "report.html").read_text(encoding="utf-8")
    zh = (out / "report-zh.html").read_text(encoding="utf-8")
    for html in (en, zh):
        for anchor in ('id="summary"', 'id="violations"', 'id="violations-table"', 'id="datasets"', 'id="errors"',
                       'id="parameters"', 'id="v-filter"', 'data-clean="false"'):
            assert anchor in html
        assert html.count("<svg") == 3
        assert html.count('data-rule="minor_data"') >= 1 and html.count('data-rule="retention"') == 1
    assert "Not clean" in en and "Children&#39;s data" in en and "validator pass" in en and "PIPL Art. 28" in en
    assert "不合规" in zh and "未成年人信息" in zh and "校验通过率" in zh and "《个人信息保护法》第二十八条" in zh
    assert "Full-pass checks" in en and "全量核查" in zh


def test_clean_scan_says_so_in_the_banner(tmp_path):
    path = tmp_path / "sku.csv"
    path.write_text("sku,qty\n" + "\n".join(f"A{i},{i}" for i in range(30)), encoding="utf-8")
    out = tmp_path / "out"
    assert runner.invoke(app, ["scan", str(path), "-o", str(out), "--lang", "en"]).exit_code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'data-clean="true"' in html and "Clean: no policy violations" in html
    assert 'class="status clean"' in html and 'id="violations-table"' not in html


def test_report_escapes_names_from_sources():
    findings = {
        "schema_version": 1, "tool": {"name": "piiwarden", "version": "x"},
        "scan": {"id": "s", "started_at": "a", "finished_at": "b", "as_of": AS_OF, "sources": ["<s>"], "mode": "full"},
        "datasets": [{"id": "<img src=x onerror=alert(1)>.csv", "source": "s", "format": "csv", "rows": 1,
                      "rows_scanned": 1, "errors": [], "columns": [
                          {"name": "<b>tel</b>", "primary_entity": "CN_MOBILE_PHONE", "level": 3, "confidence": 0.9,
                           "entities": [{"entity": "CN_MOBILE_PHONE", "hit_ratio": 1.0, "matches": 1}],
                           "samples_masked": ["138******78"]}]}],
        "violations": [{"rule": "undeclared_dataset", "severity": "high", "dataset": "<img src=x onerror=alert(1)>.csv",
                        "column": None, "count": None, "message": "<script>x</script>"}],
        "errors": [{"source": "<x>", "error": "<y>"}],
    }
    for lang in ("en", "zh"):
        html = render_html(findings, lang)
        assert "<img src=x" not in html and "<script>x" not in html and "<b>tel" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;.csv" in html


def test_chart_helpers_size_cjk_labels_and_escape():
    assert text_width("数据") > text_width("ab")
    assert clip("warehouse/a-very-long-dataset-name.parquet", 80).endswith("…")
    svg = str(bar_chart([Bar("<L4>", 3, "#000"), Bar("L3", 0, "#111")], "t"))
    assert "&lt;L4&gt;" in svg and "<L4>" not in svg


def test_report_renders_without_a_writable_template_cache(planted, tmp_path, monkeypatch):
    """The compiled-template cache is an optimisation only: no usable folder means compiling each time."""
    import tempfile

    from reports import html

    out, _raw = planted
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    expected = html.render_html(findings, "en")
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("x", encoding="utf-8")  # the cache folder cannot be created under a file
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(blocked))
    html._environment.cache_clear()
    try:
        assert html.render_html(findings, "en") == expected
    finally:
        html._environment.cache_clear()
