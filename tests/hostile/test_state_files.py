"""Corrupt or hostile state files: history.db, findings.json, anonymization.json.

Each is a file piiwarden wrote earlier and reads again; any of them can be
damaged by a full disk, a bad copy or a curious editor. The promise is the
same as for data: one line naming the file, the documented exit code, no
traceback, nothing written where the contract says nothing is written.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile.corpus import build_corpus, write_key
from tests.hostile.harness import Run, assert_error_line, assert_no_traceback, invoke


def _scan(box: Path, history: Path, out: str = "out") -> Run:
    return invoke(["scan", box / "data", "-o", box / out, "--as-of", "2026-03-31", "--history", history,
                   "--audit-log", box / "state" / "audit.log", "-q"], env={"PIIWARDEN_AUDIT_LOG": None})


@pytest.fixture
def box(tmp_path):
    build_corpus(tmp_path / "data", rows=8, formats=("csv", "jsonl"))
    (tmp_path / "state").mkdir()
    return tmp_path


# --- history.db ---------------------------------------------------------------------------------

def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 200)


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "x").write_text("x")


def _truncated(path: Path) -> None:
    """A real history cut in half (a disk full during a copy)."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE pad (x TEXT)")
    conn.executemany("INSERT INTO pad VALUES (?)", [("p" * 500,)] * 400)
    conn.commit()
    conn.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _other_schema(path: Path) -> None:
    """A SQLite file of another tool at the same name: tables with the same names, other columns."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE scans (a INTEGER, b TEXT)")
    conn.execute("CREATE TABLE datasets (a INTEGER)")
    conn.commit()
    conn.close()


def _bad_version(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', 'banana')")
    conn.commit()
    conn.close()


CORRUPTIONS = {"garbage": _garbage, "directory": _directory, "truncated": _truncated,
               "other_schema": _other_schema, "bad_version": _bad_version}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_scan_with_corrupt_history_is_one_line_exit_2(box, kind):
    history = box / "state" / "history.db"
    CORRUPTIONS[kind](history)
    run = _scan(box, history)
    assert_no_traceback(run)
    assert run.code == 2, run.console
    assert_error_line(run, str(history))
    assert len(run.error_lines()) == 1, run.stderr
    assert not (box / "out").exists(), "exit 2 must write nothing"


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
def test_history_command_with_corrupt_history_is_one_line_exit_2(box, kind):
    history = box / "state" / "history.db"
    CORRUPTIONS[kind](history)
    run = invoke(["history", "--db", history])
    assert_no_traceback(run)
    assert run.code == 2, run.console
    assert_error_line(run, str(history))


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory) -> Path:
    """A history with two scans of the same sources (copied by each test that damages it)."""
    box = tmp_path_factory.mktemp("two")
    build_corpus(box / "data", rows=8, formats=("csv", "jsonl"))
    (box / "state").mkdir()
    history = box / "state" / "history.db"
    assert _scan(box, history).code == 0
    assert _scan(box, history, "out2").code == 0
    return history


@pytest.mark.parametrize("column", ["sources", "summary", "result", "fingerprint"])
def test_hand_edited_history_rows_are_one_line(box, two_scans, column):
    """A row whose JSON was edited by hand: listing, diff and the next (incremental) scan stay one line."""
    import shutil

    history = box / "state" / "history.db"
    shutil.copy(two_scans, history)
    conn = sqlite3.connect(history)
    table = "scans" if column in ("sources", "summary") else "datasets"
    conn.execute(f"UPDATE {table} SET {column} = '{{not json'")
    conn.commit()
    conn.close()
    for args in (["history", "--db", history], ["history", "--db", history, "--diff", "-o", box / "state" / "d.json"]):
        run = invoke(args)
        assert_no_traceback(run)
        assert run.code in (0, 2), run.console
        if run.code == 2:
            assert_error_line(run, str(history))
    run = invoke(["scan", box / "data", "-o", box / "out3", "--history", history, "--incremental", "-q",
                  "--audit-log", box / "state" / "audit.log"])
    assert_no_traceback(run)
    assert run.code in (0, 2), run.console
    if run.code == 2:
        assert_error_line(run, str(history))


# --- findings.json for `report` ---------------------------------------------------------------------

HOSTILE_FINDINGS = {
    "empty": b"",
    "garbage": b"\x00\xff\xfe garbage \x89PNG",
    "not_utf8": '{"schema_version": 1, "datasets": ["名"]}'.encode("gb18030"),
    "deeply_nested": b"[" * 200_000 + b"]" * 200_000,
    "deeply_nested_object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "huge_string": b'"' + b"x" * (30 << 20) + b'"',
    "array": b"[1, 2, 3]",
    "wrong_version": b'{"schema_version": 2, "datasets": []}',
    "datasets_not_list": b'{"schema_version": 1, "datasets": "all of them", "violations": [], "errors": []}',
    "dataset_not_object": b'{"schema_version": 1, "datasets": [1], "violations": [], "errors": []}',
    "nan": b'{"schema_version": NaN, "datasets": []}',
}


@pytest.mark.parametrize("kind", sorted(HOSTILE_FINDINGS))
def test_report_of_hostile_findings_is_one_line_exit_2(tmp_path, kind):
    src = tmp_path / "findings.json"
    src.write_bytes(HOSTILE_FINDINGS[kind])
    run = invoke(["report", src, "-o", tmp_path / "r.html"])
    assert_no_traceback(run)
    assert run.code == 2, run.console
    assert_error_line(run, str(src))
    assert len(run.error_lines()) == 1
    assert not (tmp_path / "r.html").exists()


def _paths(node, prefix=()):
    """Every (path, value) inside a JSON document."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**12), st.floats(allow_nan=False),
                         st.text(max_size=8), st.just([]), st.just({}), st.just(["x"]), st.just({"x": 1}))


@pytest.fixture(scope="module")
def findings_doc(tmp_path_factory):
    box = tmp_path_factory.mktemp("fdoc")
    build_corpus(box / "data", rows=8, formats=("csv", "jsonl"))
    policy = box / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: 'crm/*'\n    allowed_entities: [PERSON_NAME]\n"
                      "    retention: {column: 注册日期, max_age_days: 30}\n", encoding="utf-8")
    for out in ("out", "out2"):
        invoke(["scan", box / "data", "-o", box / out, "--as-of", "2026-03-31", "--policy", policy, "-q",
                "--history", box / "state" / "history.db", "--audit-log", box / "state" / "audit.log"])
    doc = json.loads((box / "out2" / "findings.json").read_text(encoding="utf-8"))
    assert doc["violations"] and doc["history"]["previous_scan"]
    return doc


@settings(settings.get_profile("hostile"))
@given(data=st.data())
def test_report_of_mutated_findings_renders_or_refuses(tmp_path_factory, findings_doc, data):
    """Any one field replaced by a value of another type (or removed): a report, or one line and exit 2."""
    doc = copy.deepcopy(findings_doc)
    paths = [p for p, _ in _paths(doc) if p]
    path = data.draw(st.sampled_from(paths))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if isinstance(parent, dict) and data.draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(JSON_SCALARS)
    box = tmp_path_factory.mktemp("mut")
    src = box / "findings.json"
    src.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    run = invoke(["report", src, "-o", box / "r.html"])
    assert_no_traceback(run)
    assert run.code in (0, 2), f"{path}: {run.console[-1500:]}"
    if run.code == 2:
        assert_error_line(run, str(src))
    else:
        assert (box / "r.html").stat().st_size > 1000


# --- anonymization.json for `verify` and `decrypt` ----------------------------------------------------

@pytest.fixture(scope="module")
def anonymized(tmp_path_factory):
    box = tmp_path_factory.mktemp("anon")
    build_corpus(box / "data", rows=8, formats=("csv",))
    key = write_key(box / "key.hex")
    (box / "rules.yaml").write_text("version: 1\nentities:\n  CN_RESIDENT_ID: {op: encrypt}\n", encoding="utf-8")
    run = invoke(["anonymize", box / "data", "-o", box / "anon", "--rules", box / "rules.yaml", "--key-file", key],
                 env={"PIIWARDEN_AUDIT_LOG": str(box / "audit.log")})
    assert run.code == 0, run.console
    return box


TAMPERED_RECORDS = {
    "garbage": "\x00not json",
    "array": "[]",
    "run_not_object": '{"run": "x", "datasets": []}',
    "datasets_not_list": '{"run": {"key_fingerprint": null}, "datasets": "x"}',
    "dataset_not_object": '{"run": {}, "datasets": ["x", 1]}',
    "columns_not_objects": '{"run": {}, "datasets": [{"output_id": "crm/customers.csv", "columns": [1, "a"]}]}',
    "fingerprint_not_string": '{"run": {"key_fingerprint": ["a"]}, "datasets": []}',
    "deeply_nested": "[" * 100_000 + "]" * 100_000,
}


def _with_record(anonymized: Path, tmp_path: Path, text: str) -> Path:
    import shutil

    outdir = tmp_path / "anon"
    shutil.copytree(anonymized / "anon", outdir)
    (outdir / "anonymization.json").write_text(text, encoding="utf-8")
    return outdir


@pytest.mark.parametrize("kind", sorted(TAMPERED_RECORDS))
@pytest.mark.parametrize("command", ["verify", "decrypt"])
def test_tampered_record_never_crashes(anonymized, tmp_path, kind, command):
    """No traceback whatever the record holds; the run still does its work on the data files."""
    outdir = _with_record(anonymized, tmp_path, TAMPERED_RECORDS[kind])
    args = ["verify", outdir] if command == "verify" else \
        ["decrypt", outdir, "-o", tmp_path / "dec", "--key-file", anonymized / "key.hex"]
    run = invoke(args, env={"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log")})
    assert_no_traceback(run)
    assert run.code in (0, 2, 3), run.console
    if run.code == 0 and command == "decrypt":
        assert (tmp_path / "dec" / "crm" / "customers.csv").is_file()


@pytest.mark.parametrize("command", ["verify", "decrypt"])
def test_tampered_record_is_reported(anonymized, tmp_path, command):
    outdir = _with_record(anonymized, tmp_path, TAMPERED_RECORDS["dataset_not_object"])
    args = ["verify", outdir] if command == "verify" else \
        ["decrypt", outdir, "-o", tmp_path / "dec", "--key-file", anonymized / "key.hex"]
    run = invoke(args, env={"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log")})
    assert_no_traceback(run)
    assert run.code in (2, 3), run.console
    assert_error_line(run, "anonymization.json")


def test_forged_record_cannot_whitelist_clear_identifiers(tmp_path):
    build_corpus(tmp_path / "data", rows=8, formats=("csv",))
    (tmp_path / "rules.yaml").write_text("version: 1\nentities:\n  CN_RESIDENT_ID: {op: keep}\n", encoding="utf-8")
    env = {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log")}
    outdir = tmp_path / "anon"
    assert invoke(["anonymize", tmp_path / "data", "-o", outdir, "--rules", tmp_path / "rules.yaml"], env=env).code == 0
    assert invoke(["verify", outdir], env=env).code == 1, "kept resident IDs must fail verify"
    record = json.loads((outdir / "anonymization.json").read_text(encoding="utf-8"))
    for ds in record["datasets"]:
        for col in ds["columns"]:
            if col["name"] == "身份证号":
                col["ops_by_entity"] = {"CN_RESIDENT_ID": "pseudonym"}
    (outdir / "anonymization.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    run = invoke(["verify", outdir], env=env)
    assert_no_traceback(run)
    assert run.code != 0, "a forged record turned clear resident IDs into an accepted pseudonym column"
