"""The audit trail: hash chain, tamper detection by line, rotation and retention, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.audit import GENESIS, AuditLog, entry_hash, sha256, verify_log
from scanner.cli import app
from tests.conftest import ROOT

runner = CliRunner()


def _log(tmp_path: Path, n: int = 5, **kw) -> AuditLog:
    log = AuditLog(tmp_path / "audit.log", **kw)
    for i in range(n):
        log.record("scan", sources=[f"data{i}"], outputs=["out/findings.json"], counts={"datasets": i})
    return log


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines()


def _write(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_entries_are_chained_and_verify_passes(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    entries = [json.loads(x) for x in lines]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev"] == GENESIS
    for before, entry in zip(lines, entries[1:]):
        assert entry["prev"] == sha256(before.encode("utf-8"))
    for key in ("time", "user", "host", "command", "sources", "outputs", "counts", "key_fingerprint"):
        assert key in entries[0]
    verdict = verify_log(log)
    assert verdict.ok and verdict.entries == 5


def test_edited_line_is_named(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    lines[2] = lines[2].replace('"datasets":2', '"datasets":7')
    _write(log, lines)
    verdict = verify_log(log)
    assert [(p.line, p.kind) for p in verdict.problems] == [(3, "changed")]


def test_edit_with_recomputed_own_hash_is_still_named(tmp_path):
    """A forger who fixes the line's own hash still breaks the next line's link."""
    log = _log(tmp_path)
    lines = _lines(log)
    entry = json.loads(lines[1])
    entry["user"] = "someone-else"
    entry["hash"] = entry_hash(entry)
    lines[1] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    _write(log, lines)
    assert [(p.line, p.kind) for p in verify_log(log).problems] == [(2, "changed")]


def test_removed_line_is_named(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    del lines[2]
    _write(log, lines)
    problems = verify_log(log).problems
    assert [(p.line, p.kind) for p in problems] == [(3, "removed")]
    assert "seq 3" in problems[0].detail


def test_inserted_line_is_named(tmp_path):
    """A forged line with a correct link to its predecessor and a valid own hash."""
    log = _log(tmp_path)
    lines = _lines(log)
    forged = {**json.loads(lines[1]), "command": "anonymize", "prev": sha256(lines[1].encode("utf-8"))}
    forged["hash"] = entry_hash(forged)
    lines.insert(2, json.dumps(forged, sort_keys=True, separators=(",", ":")))
    _write(log, lines)
    assert [(p.line, p.kind) for p in verify_log(log).problems] == [(3, "inserted")]


def test_inserted_garbage_and_duplicate_lines_are_named(tmp_path):
    log = _log(tmp_path)
    lines = _lines(log)
    _write(log, lines[:3] + ['{"seq": 4, "command": "scan"}'] + lines[3:])
    assert [(p.line, p.kind) for p in verify_log(log).problems] == [(4, "inserted")]
    _write(log, lines[:2] + [lines[1]] + lines[2:])
    assert [(p.line, p.kind) for p in verify_log(log).problems] == [(3, "inserted")]


def test_truncated_tail_is_detected(tmp_path):
    log = _log(tmp_path)
    _write(log, _lines(log)[:3])
    problems = verify_log(log).problems
    assert [(p.line, p.kind) for p in problems] == [(4, "removed")]


def test_rotation_keeps_the_chain_across_files(tmp_path):
    log = _log(tmp_path, n=3)
    assert log.rotate() == []
    log.record("verify", sources=["x"])
    files = log.files()
    assert len(files) == 2 and files[-1] == log.path
    first_new = json.loads(_lines(log)[0])
    assert first_new["seq"] == 4 and first_new["prev"] == sha256(files[0].read_text().splitlines()[-1].encode())
    assert verify_log(log).ok
    lines = files[0].read_text().splitlines()
    del lines[1]
    files[0].write_text("\n".join(lines) + "\n")
    problem = verify_log(log).problems[0]
    assert (Path(problem.file).name, problem.line, problem.kind) == (files[0].name, 2, "removed")


class Clock:
    def __init__(self, when: dt.datetime) -> None:
        self.when = when

    def __call__(self) -> dt.datetime:
        return self.when


def test_prune_respects_retention_and_stays_verifiable(tmp_path):
    clock = Clock(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    log = AuditLog(tmp_path / "audit.log", retention_days=180, destruction_retention_days=1095, clock=clock)
    log.record("scan")
    log.rotate()  # archive 1: a scan record
    clock.when += dt.timedelta(days=1)
    log.record("anonymize")
    log.rotate()  # archive 2: a destruction record
    clock.when += dt.timedelta(days=1)
    log.record("scan")
    log.rotate()  # archive 3 (newest: always kept)
    clock.when = dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)  # < 180 days: nothing goes
    assert log.rotate() == []
    clock.when = dt.datetime(2024, 9, 1, tzinfo=dt.timezone.utc)  # scan record expired, anonymize kept
    removed = log.rotate()
    assert len(removed) == 1
    remaining = [json.loads(x)["command"] for p in log.files() for x in p.read_text().splitlines()]
    assert "anonymize" in remaining and "audit.prune" in remaining
    assert verify_log(log).ok, verify_log(log).problems
    clock.when = dt.datetime(2027, 1, 10, tzinfo=dt.timezone.utc)  # three years on: anonymize may go too
    assert len(log.rotate()) >= 1
    assert verify_log(log).ok


def test_no_password_in_entries(tmp_path):
    log = AuditLog(tmp_path / "audit.log")
    entry = log.record("scan", sources=["postgresql+psycopg://app:s3cret-pw@db/crm", "mysql+pymysql://u:${PW}@h/db"],
                       outputs=["sqlite:///x.db"], key_fingerprint="k:abcd")
    text = log.path.read_text()
    assert "s3cret-pw" not in text and "app:***@db" in text
    assert entry["key_fingerprint"] == "k:abcd"


def test_concurrent_writers_keep_one_chain(tmp_path):
    """Two processes appending at once: every entry lands, the chain verifies."""
    script = ("import sys; from pathlib import Path; from scanner.audit import AuditLog\n"
              "log = AuditLog(Path(sys.argv[1]))\n"
              "for i in range(40): log.record('verify', counts={'i': i})\n")
    path = tmp_path / "audit.log"
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT) for _ in range(2)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    log = AuditLog(path)
    verdict = verify_log(log)
    assert verdict.ok and verdict.entries == 80
    assert sorted(json.loads(x)["seq"] for x in _lines(log)) == list(range(1, 81))


def test_cli_verify_exit_codes_and_line(tmp_path):
    log = _log(tmp_path)
    ok = runner.invoke(app, ["audit", "verify", "--log", str(log.path)])
    assert ok.exit_code == 0, ok.output
    assert "audit verify ok: 5 entries" in ok.output
    lines = _lines(log)
    lines[3] = lines[3].replace('"scan"', '"decrypt"')
    _write(log, lines)
    bad = runner.invoke(app, ["audit", "verify", "--log", str(log.path)])
    assert bad.exit_code == 1
    assert "audit.log:4: changed" in bad.output
    missing = runner.invoke(app, ["audit", "verify", "--log", str(tmp_path / "none.log")])
    assert missing.exit_code == 2


@pytest.mark.parametrize("kind", ["edit", "delete", "insert"])
def test_cli_names_the_line_for_each_tampering(tmp_path, kind):
    log = _log(tmp_path, n=4)
    lines = _lines(log)
    if kind == "edit":
        lines[1] = lines[1].replace('"datasets":1', '"datasets":9')
    elif kind == "delete":
        del lines[1]
    else:
        lines.insert(1, lines[0])
    _write(log, lines)
    result = runner.invoke(app, ["audit", "verify", "--log", str(log.path)])
    assert result.exit_code == 1
    expected = {"edit": "audit.log:2: changed", "delete": "audit.log:2: removed", "insert": "audit.log:2: inserted"}
    assert expected[kind] in result.output, result.output


def test_record_run_hook_for_anonymize_and_decrypt(tmp_path, monkeypatch):
    """What the one-line hooks in cli_anonymize write: counts and key fingerprint, no values."""
    from scanner.audit import record_command, record_run

    monkeypatch.delenv("PIIWARDEN_AUDIT_LOG", raising=False)
    record = {"run": {"key_fingerprint": "sha256:1f2e"}, "errors": [],
              "datasets": [{"id": "a.csv", "columns": [{"name": "手机号", "values_restored": 3}]}]}
    entry = record_run("decrypt", record, sources=[str(tmp_path / "anon")], outdir=tmp_path / "plain", exit_code=0)
    assert entry["counts"] == {"datasets": 1, "columns": 1, "errors": 0, "values_restored": 3}
    assert entry["key_fingerprint"] == "sha256:1f2e"
    record_command("verify", outdir=tmp_path / "anon", sources=[str(tmp_path / "anon")], counts={"failures": 0})
    log = AuditLog(tmp_path / ".piiwarden" / "audit.log")
    assert [json.loads(x)["command"] for x in _lines(log)] == ["decrypt", "verify"]
    assert verify_log(log).ok


def test_scan_appends_an_audit_line(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "p.csv").write_text("name,email\n" + "\n".join(f"u{i},u{i}@example.com" for i in range(20)),
                                encoding="utf-8")
    result = runner.invoke(app, ["scan", str(data), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    log = AuditLog(tmp_path / ".piiwarden" / "audit.log")
    [entry] = [json.loads(x) for x in _lines(log)]
    assert entry["command"] == "scan" and entry["exit_code"] == 0 and entry["sources"] == [str(data.resolve())]
    assert entry["counts"]["datasets"] == 1 and entry["counts"]["sensitive_columns"] >= 1
    assert str((tmp_path / "out" / "findings.json").resolve()) in entry["outputs"]
    assert "@example.com" not in log.path.read_text(encoding="utf-8")
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert entry["scan_id"] == findings["scan"]["id"]


def test_anonymize_verify_decrypt_are_audited(tmp_path, monkeypatch):
    """The hooks in cli_anonymize: one chained line per command, key only as its fingerprint."""
    import random

    from detectors.validators import resident_id_check_char

    monkeypatch.delenv("PIIWARDEN_AUDIT_LOG", raising=False)
    monkeypatch.delenv("PIIWARDEN_KEY", raising=False)
    rng = random.Random(5)
    src = tmp_path / "src"
    src.mkdir()
    ids = []
    for _ in range(40):
        body = f"110105{rng.randint(1960, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        ids.append(body + resident_id_check_char(body))
    (src / "a.csv").write_text("编号,身份证号\n" + "\n".join(f"N{i},{v}" for i, v in enumerate(ids)), encoding="utf-8")
    key_hex = "ab" * 32
    key = tmp_path / "k.key"
    key.write_text(key_hex, encoding="ascii")
    rules = tmp_path / "rules.yaml"
    rules.write_text("version: 1\nentities:\n  CN_RESIDENT_ID: {op: encrypt}\n", encoding="utf-8")
    anon = tmp_path / "anon"
    steps = [["anonymize", str(src), "-o", str(anon), "--rules", str(rules), "--key-file", str(key)],
             ["verify", str(anon)],
             ["decrypt", str(anon), "-o", str(tmp_path / "plain"), "--key-file", str(key)]]
    for args in steps:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    log = AuditLog(tmp_path / ".piiwarden" / "audit.log")
    entries = [json.loads(x) for x in _lines(log)]
    assert [e["command"] for e in entries] == ["anonymize", "verify", "decrypt"]
    assert entries[0]["key_fingerprint"] and entries[0]["key_fingerprint"] == entries[2]["key_fingerprint"]
    assert entries[0]["counts"]["columns"] >= 1 and entries[2]["counts"]["values_restored"] == 40
    assert entries[1]["counts"]["failures"] == 0
    text = log.path.read_text(encoding="utf-8")
    assert key_hex not in text and not any(v in text for v in ids)
    assert verify_log(log).ok
