"""Destruction records in the hash-chained audit log: recorded, verified, kept 3 years, exported."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import api
from scanner.audit import AuditLog, canonical, entry_hash, read_entries, sha256, verify_log
from scanner.cli import app
from scanner.config import ConfigError, load_config
from scanner.lifecycle.auditexport import AuditExportError, entry_kind, read_records
from scanner.lifecycle.destruction import RetentionTooShort, new_record, outcomes

runner = CliRunner()
START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
HASHES = ["0" * 31 + "a", "f" * 32]


class Clock:
    def __init__(self, when: dt.datetime) -> None:
        self.when = when

    def __call__(self) -> dt.datetime:
        return self.when


def _record(when: dt.datetime = START, dataset: str = "crm/customers.csv") -> object:
    return new_record(method="delete", dataset=dataset, rows=12, rule="retention", as_of=when.date(),
                      subject_hashes=HASHES, key_fingerprint="k:abcd", operator_name="王审计", now=when)


def test_destruction_record_is_chained_and_verified(tmp_path):
    log = AuditLog(tmp_path / "audit.log")
    log.record("scan", sources=[str(tmp_path)])
    entry = log.record_destruction(_record())
    assert entry["kind"] == "destruction" and entry["command"] == "delete"
    assert entry["destruction"]["subject_hashes"] == sorted(HASHES)
    assert verify_log(log).ok


def test_verify_names_a_rehashed_incomplete_destruction_record(tmp_path):
    """A forger who recomputes the hashes still cannot drop the method: the record must be complete."""
    log = AuditLog(tmp_path / "audit.log")
    log.record_destruction(_record())
    entry = json.loads(log.path.read_text(encoding="utf-8"))
    del entry["destruction"]["method"]
    entry["hash"] = entry_hash(entry)
    log.path.write_text(canonical(entry) + "\n", encoding="utf-8")
    log.head_path.unlink()
    problems = verify_log(log).problems
    assert [(p.line, p.kind) for p in problems] == [(1, "invalid")]
    assert "destruction record" in problems[0].detail


def test_pruning_keeps_destruction_records_three_years_and_the_chain(tmp_path):
    clock = Clock(START)
    log = AuditLog(tmp_path / "audit.log", clock=clock)
    log.record("scan")
    log.rotate()  # archive 1: a scan record (6 months)
    clock.when += dt.timedelta(days=1)
    log.record_destruction(_record(clock.when))
    log.rotate()  # archive 2: a destruction record (3 years)
    clock.when += dt.timedelta(days=1)
    log.record("scan")
    log.rotate()  # archive 3: the newest, always kept
    clock.when = START + dt.timedelta(days=179)
    assert log.rotate() == []  # younger than 6 months: nothing goes
    clock.when = START + dt.timedelta(days=400)
    assert len(log.rotate()) == 1  # the scan archive only
    assert any(e.get("kind") == "destruction" for e in _entries(log))
    assert verify_log(log).ok, verify_log(log).problems
    clock.when = dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc)  # 1095 days, but not yet three calendar years
    log.rotate()
    assert any(e.get("kind") == "destruction" for e in _entries(log))
    clock.when = dt.datetime(2027, 1, 3, tzinfo=dt.timezone.utc)
    log.rotate()
    assert not any(e.get("kind") == "destruction" for e in _entries(log))
    assert verify_log(log).ok, verify_log(log).problems


def _entries(log: AuditLog) -> list[dict]:
    return [json.loads(x) for p in log.files() for x in p.read_text(encoding="utf-8").splitlines()]


def test_retention_is_configurable_upwards_only(tmp_path):
    with pytest.raises(RetentionTooShort):
        AuditLog(tmp_path / "a.log", retention_days=90)
    with pytest.raises(RetentionTooShort):
        AuditLog(tmp_path / "a.log", destruction_retention_days=365)
    assert AuditLog(tmp_path / "a.log", retention_days=400, destruction_retention_days=2000).periods.audit_days == 400
    config = tmp_path / "piiwarden.yaml"
    config.write_text("audit:\n  destruction_retention_days: 365\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="destruction_retention_days"):
        load_config(config)


def test_export_selects_kind_and_date(tmp_path):
    clock = Clock(START)
    log = AuditLog(tmp_path / "audit.log", clock=clock)
    log.record("scan")
    log.record("anonymize")
    log.record_destruction(_record(START))
    clock.when = START + dt.timedelta(days=40)
    log.record_destruction(_record(clock.when, dataset="shop.members"))
    log.record("subject.find")
    assert [entry_kind(e) for e in read_records(log)] == ["scan", "anonymize", "destruction", "destruction", "subject"]
    later = read_records(log, kind="destruction", since=(START + dt.timedelta(days=10)).date())
    assert [e["destruction"]["dataset"] for e in later] == ["shop.members"]
    records = api.audit_export(tmp_path / "d.json", kind="destruction", log=log)
    assert len(records) == 2 == len(json.loads((tmp_path / "d.json").read_text(encoding="utf-8")))
    with pytest.raises(AuditExportError):
        read_records(log, kind="everything")
    with pytest.raises(AuditExportError):
        api.audit_export(tmp_path / "d.xlsx", log=log)


def test_audit_export_cli_csv(tmp_path):
    log = AuditLog(tmp_path / "audit.log")
    log.record("scan", sources=[str(tmp_path)])
    log.record_destruction(_record(dt.datetime.now(dt.timezone.utc)))
    target = tmp_path / "destruction.csv"
    result = runner.invoke(app, ["audit", "export", "--log", str(log.path), "--kind", "destruction",
                                 "--since", "2020-01-01", "-o", str(target)])
    assert result.exit_code == 0, result.output
    with open(target, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1
    row = rows[0]
    assert (row["kind"], row["method"], row["dataset"], row["rows"], row["rule"]) == (
        "destruction", "delete", "crm/customers.csv", "12", "retention")
    assert row["operator_name"] == "王审计" and row["subject_hashes"] == ";".join(sorted(HASHES))


def test_two_phase_records_and_their_outcomes_in_verify_and_export(tmp_path):
    """A record before each commit, an outcome after: done, not done, and one whose run stopped in between.

    A record from before the two phases (no ``phase``) was written after its deletion: done.
    """
    log = AuditLog(tmp_path / "audit.log")
    legacy = log.record_destruction(_record(dataset="old.csv"))
    done = log.record_destruction(_record(dataset="a.csv"), intent=True)
    failed = log.record_destruction(_record(dataset="b.csv"), intent=True)
    stopped = log.record_destruction(_record(dataset="c.csv"), intent=True)
    log.record_outcome(done["seq"], "done", "a.csv")
    log.record_outcome(failed["seq"], "not done", "b.csv", "the rewritten file does not verify: nothing removed")
    assert outcomes(read_entries(log)) == {legacy["seq"]: "done", done["seq"]: "done", failed["seq"]: "not done",
                                           stopped["seq"]: "unconfirmed"}
    verdict = verify_log(log)
    assert verdict.ok and [(p.line, p.kind) for p in verdict.unconfirmed] == [(4, "unconfirmed")]
    assert "c.csv" in verdict.unconfirmed[0].detail
    verified = runner.invoke(app, ["audit", "verify", "--log", str(log.path)])
    assert verified.exit_code == 0 and "UNCONFIRMED" in verified.output and "1 unconfirmed" in verified.output
    target = tmp_path / "destruction.csv"
    assert runner.invoke(app, ["audit", "export", "--log", str(log.path), "--kind", "destruction",
                               "-o", str(target)]).exit_code == 0
    with open(target, encoding="utf-8-sig", newline="") as fh:
        rows = [(r["dataset"], r["phase"], r["outcome"], r["record_seq"]) for r in csv.DictReader(fh)]
    assert rows == [("old.csv", "", "done", ""), ("a.csv", "intent", "done", ""), ("b.csv", "intent", "not done", ""),
                    ("c.csv", "intent", "unconfirmed", ""), ("a.csv", "outcome", "done", str(done["seq"])),
                    ("b.csv", "outcome", "not done", str(failed["seq"]))]


def test_verify_names_an_incomplete_outcome_entry(tmp_path):
    log = AuditLog(tmp_path / "audit.log")
    seq = log.record_destruction(_record(), intent=True)["seq"]
    log.record("delete", kind="destruction.outcome", phase="outcome", record_seq=seq, outcome="maybe",
               dataset="crm/customers.csv")
    problems = verify_log(log).problems
    assert [(p.line, p.kind) for p in problems] == [(2, "invalid")] and "outcome" in problems[0].detail
    assert [p.line for p in verify_log(log).unconfirmed] == [1]  # a malformed outcome concludes nothing


@pytest.mark.parametrize("args", [["--kind", "all"], ["--since", "yesterday"], ["-o", "x.xlsx"]])
def test_audit_export_cli_bad_input_exit_2(tmp_path, args):
    log = AuditLog(tmp_path / "audit.log")
    log.record("scan")
    base = ["audit", "export", "--log", str(log.path)]
    result = runner.invoke(app, base + (args if "-o" in args else [*args, "-o", str(tmp_path / "e.json")]))
    assert result.exit_code == 2
    assert [ln for ln in result.output.splitlines() if ln.strip()][0].startswith("piiwarden: error:")


def test_audit_export_without_log_exit_2(tmp_path):
    result = runner.invoke(app, ["audit", "export", "--log", str(Path(tmp_path) / "none.log"), "-o",
                                 str(tmp_path / "e.json")])
    assert result.exit_code == 2


def _pruned_log(tmp_path: Path, signing: tuple[bytes, str] | None) -> AuditLog:
    """A log whose oldest archive (a scan record, past six months) has been pruned, with or without a key."""
    clock = Clock(START)
    log = AuditLog(tmp_path / "audit.log", clock=clock)
    if signing:
        log.signing_key, log.signing_fingerprint = signing
    log.record("scan")
    log.rotate()
    clock.when += dt.timedelta(days=1)
    log.record("scan")
    log.rotate()
    clock.when = START + dt.timedelta(days=400)
    assert len(log.rotate()) == 1
    return log


def _prune_line(log: AuditLog) -> tuple[Path, int, dict]:
    for path in log.files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            entry = json.loads(line)
            if entry.get("command") == "audit.prune":
                return path, number, entry
    raise AssertionError("no prune entry")


def test_pruned_archives_leave_a_signed_checkpoint(tmp_path, monkeypatch):
    from scanner.anonymize.keys import parse_key
    from scanner.audit import CHECKPOINT_PURPOSE

    monkeypatch.delenv("PIIWARDEN_KEY", raising=False)
    key, other = parse_key(b"11" * 32, "t"), parse_key(b"22" * 32, "t")
    log = _pruned_log(tmp_path, (key.derive(CHECKPOINT_PURPOSE), key.fingerprint))
    path, number, entry = _prune_line(log)
    point = entry["checkpoint"]
    assert (point["entries"], point["first_seq"], point["last_seq"]) == (1, 1, 1)
    assert point["last_hash"] == entry["removed_last_hash"] and len(point["sha256"]) == 64
    assert entry["key_fingerprint"] == key.fingerprint and len(entry["checkpoint_signature"]) == 64
    assert verify_log(log, key.derive(CHECKPOINT_PURPOSE), key.fingerprint).ok
    assert verify_log(log, key.derive(CHECKPOINT_PURPOSE), key.fingerprint).unchecked == []
    with_other = verify_log(log, other.derive(CHECKPOINT_PURPOSE), other.fingerprint)
    assert [p.kind for p in with_other.problems] == ["invalid"] and "not the key given" in with_other.problems[0].detail
    # stripping the signature does not help a forger either, once the key is given
    stripped = {k: v for k, v in entry.items() if k != "checkpoint_signature"}
    stripped["hash"] = entry_hash(stripped)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines[: number - 1], canonical(stripped), *lines[number:]]) + "\n", encoding="utf-8")
    log.head_path.write_text(json.dumps({"seq": stripped["seq"], "hash": sha256(canonical(stripped).encode())})
                             + "\n", encoding="utf-8")
    assert verify_log(log).ok and [p.kind for p in verify_log(log).unchecked] == ["unsigned"]
    unsigned = verify_log(log, key.derive(CHECKPOINT_PURPOSE), key.fingerprint).problems
    assert [(p.line, p.kind) for p in unsigned] == [(number, "invalid")] and "not signed" in unsigned[0].detail
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")  # back to the signed line
    log.head_path.write_text(json.dumps({"seq": entry["seq"], "hash": sha256(canonical(entry).encode())}) + "\n",
                             encoding="utf-8")
    # A forger claims the pruned archive held more entries, and re-chains the line: only the key tells.
    lines = path.read_text(encoding="utf-8").splitlines()
    entry["checkpoint"]["entries"] = 40
    entry["hash"] = entry_hash(entry)
    lines[number - 1] = canonical(entry)
    assert number == len(lines)  # the prune entry is the newest line: only the head needs rewriting
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log.head_path.write_text(json.dumps({"seq": entry["seq"], "hash": sha256(canonical(entry).encode())}) + "\n",
                             encoding="utf-8")
    assert verify_log(log).ok  # the chain alone cannot see it
    forged = verify_log(log, key.derive(CHECKPOINT_PURPOSE), key.fingerprint)
    assert [(p.line, p.kind) for p in forged.problems] == [(number, "changed")]
    key_file = tmp_path / "k.key"
    key_file.write_text("11" * 32, encoding="utf-8")
    cli = runner.invoke(app, ["audit", "verify", "--log", str(log.path), "--key-file", str(key_file)])
    assert cli.exit_code == 1 and "checkpoint" in cli.output


def test_a_checkpoint_without_key_is_chained_but_listed_unsigned(tmp_path, monkeypatch):
    monkeypatch.delenv("PIIWARDEN_KEY", raising=False)
    log = _pruned_log(tmp_path, None)
    _path, number, entry = _prune_line(log)
    assert "checkpoint_signature" not in entry and entry["checkpoint"]["entries"] == 1
    verdict = verify_log(log)
    assert verdict.ok and [(p.line, p.kind) for p in verdict.unchecked] == [(number, "unsigned")]
    cli = runner.invoke(app, ["audit", "verify", "--log", str(log.path)])
    assert cli.exit_code == 0 and "NOTE" in cli.output and "not signed" in cli.output


def test_rotate_signs_with_the_environment_key(tmp_path, monkeypatch):
    """A prune inside any command (the live log grew past its size) signs with PIIWARDEN_KEY when it is set."""
    from scanner.anonymize.keys import parse_key
    from scanner.audit import CHECKPOINT_PURPOSE

    monkeypatch.setenv("PIIWARDEN_KEY", "33" * 32)
    key = parse_key(b"33" * 32, "t")
    log = _pruned_log(tmp_path, None)
    assert _prune_line(log)[2]["key_fingerprint"] == key.fingerprint
    assert verify_log(log, key.derive(CHECKPOINT_PURPOSE), key.fingerprint).unchecked == []


def test_csv_export_moves_hashes_too_many_for_a_cell_to_a_file_beside_it(tmp_path):
    """Excel keeps 32,767 characters of a cell: a large purge's hashes go to <name>.subject_hashes.csv."""
    from scanner.lifecycle.auditexport import CELL_HASHES

    many = [f"{i:032x}" for i in range(CELL_HASHES + 1)]
    log = AuditLog(tmp_path / "audit.log")
    log.record_destruction(new_record(method="delete", dataset="big.csv", rows=len(many), rule="retention",
                                      as_of=START.date(), subject_hashes=many, key_fingerprint="k:abcd"))
    log.record_destruction(_record(dataset="small.csv"))
    target = tmp_path / "destruction.csv"
    result = runner.invoke(app, ["audit", "export", "--log", str(log.path), "--kind", "destruction",
                                 "-o", str(target)])
    assert result.exit_code == 0 and "destruction.subject_hashes.csv" in result.output
    with open(target, encoding="utf-8-sig", newline="") as fh:
        rows = {r["dataset"]: r["subject_hashes"] for r in csv.DictReader(fh)}
    assert rows == {"big.csv": f"{len(many)} hashes in destruction.subject_hashes.csv",
                    "small.csv": ";".join(sorted(HASHES))}
    assert max(len(v) for v in rows.values()) < 32_767
    with open(tmp_path / "destruction.subject_hashes.csv", encoding="utf-8-sig", newline="") as fh:
        listed = [(r["dataset"], r["subject_hash"]) for r in csv.DictReader(fh)]
    assert listed == [("big.csv", h) for h in many] + [("small.csv", h) for h in sorted(HASHES)]
    # an export that needs no such file removes the previous one, so what lies beside the CSV is its own
    small = AuditLog(tmp_path / "small.log")
    small.record_destruction(_record())
    again = runner.invoke(app, ["audit", "export", "--log", str(small.path), "-o", str(target)])
    assert again.exit_code == 0 and "subject_hashes" not in again.output
    assert not (tmp_path / "destruction.subject_hashes.csv").exists()


def test_a_forged_non_hex_checkpoint_signature_is_a_problem_not_a_crash(tmp_path, monkeypatch):
    from scanner.anonymize.keys import parse_key
    from scanner.audit import CHECKPOINT_PURPOSE

    monkeypatch.delenv("PIIWARDEN_KEY", raising=False)
    key = parse_key(b"11" * 32, "t")
    log = _pruned_log(tmp_path, (key.derive(CHECKPOINT_PURPOSE), key.fingerprint))
    path, number, entry = _prune_line(log)
    lines = path.read_text(encoding="utf-8").splitlines()
    entry["checkpoint_signature"] = "\u00e9" * 64  # compare_digest refuses non-ASCII text
    entry["hash"] = entry_hash(entry)
    lines[number - 1] = canonical(entry)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log.head_path.write_text(json.dumps({"seq": entry["seq"], "hash": sha256(canonical(entry).encode())}) + "\n",
                             encoding="utf-8")
    forged = verify_log(log, key.derive(CHECKPOINT_PURPOSE), key.fingerprint)
    assert [(p.line, p.kind) for p in forged.problems] == [(number, "changed")]


def test_an_entry_cut_short_is_named_and_the_log_goes_on(tmp_path):
    """A full disk cut the last line mid-write: the next command appends after it, and verify names that line."""
    log = AuditLog(tmp_path / "audit.log")
    log.record("scan")
    log.record_destruction(_record())
    text = log.path.read_text(encoding="utf-8")
    log.path.write_text(text[: len(text) - 40], encoding="utf-8")  # the destruction record, cut, no newline
    entry = log.record("scan")  # neither a crash nor a line glued to the cut one
    assert entry["seq"] == 2  # continues from the last entry that parses
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[2])["seq"] == 2
    problems = verify_log(log).problems
    assert [(p.line, p.kind) for p in problems] == [(2, "changed")], problems
    assert json.loads(lines[2])["prev"] == sha256(lines[1].encode("utf-8"))  # the chain links to the cut line
