"""Hostile content in values, column names and file names.

Data is written by strangers: a cell, a header or a file name can hold HTML,
a Jinja expression, terminal escape sequences, bidi overrides, NUL bytes or a
megabyte of text. The scan must treat all of it as text: report.html escapes
it (no script but the report's own, no template evaluated), the console never
replays a terminal escape from data, findings.json stays valid.
"""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.hostile.corpus import people
from tests.hostile.harness import assert_no_raw, assert_no_traceback, invoke

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
JINJA = "{{7*7}}"
JINJA_BLOCK = "{% for x in range(3) %}{{x}}{% endfor %}"
ANSI = "\x1b[31mred\x1b[0m\x1b]0;title\x07\x1b[2J"
RTL = "\u202egpj.exe"
HOSTILE = [SCRIPT, IMG, JINJA, JINJA_BLOCK, ANSI, RTL, "</td></tr></table><h1>x</h1>", "'\"><svg onload=alert(3)>"]
# File-name-safe variants (no "/"; the name carries the payload, the suffix keeps the format)
LONG = 200_000  # characters in one cell: a pasted document, a base64 blob
FILE_NAMES = ["<img src=x onerror=alert(4)>.csv", "{{7*7}}.csv", "\x1b[31mred\x1b[0m.csv", "\u202evsc.txt.csv",
              "{% raw %}.jsonl"]


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of every <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _write_hostile(data: Path) -> list[str]:
    """CSV, JSONL and Parquet with hostile headers, cells and file names; returns the raw values planted."""
    data.mkdir(parents=True)
    persons = people(12, seed=99)
    raw = [v for p in persons for v in p.raw()]
    header = ["姓名", "手机号", *HOSTILE, "备注"]
    with open(data / "hostile.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i, p in enumerate(persons):
            note = f"{HOSTILE[i % len(HOSTILE)]} 客户手机{p.mobile} "
            w.writerow([p.name, p.mobile, *HOSTILE, note])
    for name in FILE_NAMES:
        path = data / name
        if name.endswith(".jsonl"):
            path.write_text("".join(json.dumps({SCRIPT: p.mobile, JINJA: p.email, ANSI: p.resident_id},
                                               ensure_ascii=False) + "\n" for p in persons), encoding="utf-8")
        else:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow([IMG, "手机号"])
                w.writerows([JINJA, p.mobile] for p in persons)
    with open(data / "long.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["备注", "手机号"])
        w.writerows([("长" * LONG if i == 0 else "短", p.mobile) for i, p in enumerate(persons)])
    pq.write_table(pa.table({
        "mobile\x00col": pa.array([f"{p.mobile}\x00{SCRIPT}" for p in persons]),
        "身份证号": pa.array([p.resident_id + "\x00" for p in persons]),
        "nul\x00\x00": pa.array(["\x00" * 50 for _ in persons]),
        ANSI: pa.array([ANSI + p.card for p in persons]),
    }), data / "nul.parquet")
    return raw


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    box = tmp_path_factory.mktemp("hostile")
    raw = _write_hostile(box / "data")
    run = invoke(["scan", box / "data", "-o", box / "out", "--as-of", "2026-03-31", "--no-history",
                  "--audit-log", box / "audit.log", "--lang", "en"])
    return box, run, raw


def test_scan_finishes_cleanly(scanned):
    box, run, _ = scanned
    assert_no_traceback(run)
    assert run.code in (0, 3), run.console[-3000:]
    findings = json.loads((box / "out" / "findings.json").read_text(encoding="utf-8"))
    assert len(findings["datasets"]) == 3 + len(FILE_NAMES)
    assert not findings["errors"], findings["errors"]
    names = {c["name"] for d in findings["datasets"] for c in d["columns"]}
    assert {SCRIPT, JINJA, ANSI} <= names, "hostile column names are kept as written"


def test_very_long_cell_is_scanned(scanned):
    box, run, _ = scanned
    findings = json.loads((box / "out" / "findings.json").read_text(encoding="utf-8"))
    assert not findings["errors"], findings["errors"]
    long = next(d for d in findings["datasets"] if d["id"] == "long.csv")
    assert {c["name"]: c["primary_entity"] for c in long["columns"]}["手机号"] == "CN_MOBILE_PHONE"


def test_findings_valid(scanned, validate_findings):
    box, _, _ = scanned
    validate_findings(json.loads((box / "out" / "findings.json").read_text(encoding="utf-8")))


def _entities(box: Path) -> dict[str, dict[str, str | None]]:
    findings = json.loads((box / "out" / "findings.json").read_text(encoding="utf-8"))
    return {d["id"]: {c["name"]: c["primary_entity"] for c in d["columns"]} for d in findings["datasets"]}


def test_hostile_values_are_found_not_leaked(scanned):
    """Identifiers beside hostile text are still found, and never shown raw (console, findings, report)."""
    box, run, raw = scanned
    by_ds = _entities(box)
    assert by_ds["hostile.csv"]["手机号"] == "CN_MOBILE_PHONE"
    assert by_ds["hostile.csv"]["备注"] == "CN_MOBILE_PHONE"
    assert all(any(by_ds[n].values()) for n in FILE_NAMES)
    assert_no_raw(raw, run=run, roots=[box / "out"])


def test_identifiers_behind_nul_bytes_are_found(scanned):
    box, _, _ = scanned
    assert _entities(box)["nul.parquet"]["身份证号"] == "CN_RESIDENT_ID"


def _baseline_scripts(tmp_path: Path) -> int:
    """How many <script> elements a report has when the data is harmless."""
    from reports.html import render_html

    clean = json.loads(json.dumps({
        "schema_version": 1, "tool": {"name": "piiwarden", "version": "0"},
        "scan": {"id": "x", "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "2026-01-01T00:00:00+00:00",
                 "as_of": "2026-01-01", "sources": ["d"], "mode": "sample"},
        "datasets": [], "violations": [], "errors": []}))
    path = tmp_path / "clean.html"
    path.write_text(render_html(clean, "en"), encoding="utf-8")
    return len(_parse(path).scripts)


@pytest.mark.parametrize("report", ["report.html", "rerendered.html"])
def test_report_escapes_everything(scanned, tmp_path, report):
    box, _, _ = scanned
    path = box / "out" / report
    if report == "rerendered.html":
        run = invoke(["report", box / "out" / "findings.json", "-o", path, "--lang", "zh"])
        assert_no_traceback(run)
        assert run.code == 0
    html = path.read_text(encoding="utf-8")
    parsed = _parse(path)
    assert len(parsed.scripts) == _baseline_scripts(tmp_path), "a <script> from data was injected"
    assert not any("alert(" in s for s in parsed.scripts)
    for tag, attrs in parsed.tags:
        assert tag not in ("img", "iframe", "object", "embed"), f"<{tag}> from data"
        for name, value in attrs:
            assert not (name.startswith("on") and "alert(" in (value or "")), f"event handler from data on <{tag}>"
    assert "{{7*7}}" in html or "{{7*7}}" in _texts(path), "the Jinja expression in data must stay literal"
    assert "\x1b" not in html, "terminal escapes from data belong nowhere in HTML"


def _texts(path: Path) -> str:
    from html import unescape

    return unescape(path.read_text(encoding="utf-8"))


def test_console_never_replays_terminal_escapes(scanned):
    _, run, _ = scanned
    assert "\x1b" not in run.console, "a terminal escape sequence from data reached the console"
    assert "\u202e" not in run.console, "a bidi override from data reached the console"


def test_hostile_anonymize_round(scanned, tmp_path):
    """anonymize/verify over the same hostile files: no traceback, no raw value, output names stay inside."""
    box, _, raw = scanned
    run = invoke(["anonymize", box / "data", "-o", tmp_path / "anon"], env={"PIIWARDEN_AUDIT_LOG": str(tmp_path / "a.log")})
    assert_no_traceback(run)
    assert run.code in (0, 3), run.console[-2000:]
    assert not [ln for ln in run.error_lines() if ln.startswith("error:")]
    assert_no_raw(raw, run=run, files=[tmp_path / "anon" / "anonymization.json"])
    assert all(p.resolve().is_relative_to((tmp_path / "anon").resolve()) for p in (tmp_path / "anon").rglob("*"))
