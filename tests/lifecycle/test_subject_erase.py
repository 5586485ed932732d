"""subject erase over a mixed estate: dry run changes nothing; delete and anonymize change exactly the person's rows.

Every other row is compared with what it was (files by position, CSV by
bytes, tables by primary key), the person is no longer found, and the
destruction records in the audit log verify and carry the request's keyed
hashes. Console and audit log are grepped for the planted identifiers.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from scanner.anonymize.keys import parse_key
from scanner.audit import AuditLog, read_entries, verify_log
from scanner.cli import app
from scanner.lifecycle.destruction import DestructionRecord, outcomes
from scanner.lifecycle.identifiers import SubjectHasher
from scanner.lifecycle.subject_find import SubjectRequest
from scanner.sources import resolve_sources
from tests.lifecycle.subject_estate import (
    KEY_HEX,
    PERSON_ID,
    PLANTED,
    build_files,
    person_identifiers,
    pg_accounts,  # noqa: F401 - the fixture
    with_pg,
)

runner = CliRunner()
REQUEST = ["--id", PERSON_ID, "--mobile", "+86 138-1234-5678", "--email", "Zhang.San@example.com"]
TABLE_KEYS = {"crm.db#members": "member_id", "crm.accounts": "k"}


def _clean(text: str, where: str) -> None:
    for value in PLANTED:
        assert value not in text, f"{where} echoes a planted identifier"


def _snapshot(estate) -> dict[str, list[dict]]:
    """Every dataset's rows as the connectors read them (tables sorted by their key)."""
    datasets, errors = resolve_sources(estate.sources)
    assert not errors
    out = {}
    for ds in datasets:
        rows = [row for batch in ds.batches() for row in batch.to_pylist()]
        key = TABLE_KEYS.get(ds.id)
        out[ds.id] = sorted(rows, key=lambda r: int(r[key])) if key else rows
    return out


def _file_digests(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir()) if p.is_file()}


def _records(audit_path: Path) -> list[DestructionRecord]:
    return [DestructionRecord.from_json(e["destruction"]) for e in read_entries(AuditLog(audit_path))
            if e.get("kind") == "destruction"]


def _erase(estate, tmp_path: Path, mode: str, *extra: str):
    env = {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log"), "PIIWARDEN_KEY": KEY_HEX}
    return runner.invoke(app, ["subject", "erase", *estate.sources, *REQUEST, "--mode", mode, *extra], env=env)


@pytest.mark.parametrize("mode", ["delete", "anonymize"])
def test_erase_changes_exactly_the_persons_rows(tmp_path, pg_accounts, mode):  # noqa: F811
    estate = with_pg(build_files(tmp_path / "estate"), pg_accounts)
    before, digests = _snapshot(estate), _file_digests(estate.root)
    csv_before = (estate.root / "customers.csv").read_bytes().splitlines(keepends=True)

    dry = _erase(estate, tmp_path, mode)
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "would be" in dry.output
    assert _snapshot(estate) == before and _file_digests(estate.root) == digests
    assert _records(tmp_path / "audit.log") == []

    done = _erase(estate, tmp_path, mode, "--apply", "--operator", "clerk 7")
    _clean(done.output, "subject erase")
    after = _snapshot(estate)
    changed = set(estate.expected)
    assert done.exit_code == 0, done.output  # every format of the estate, the workbook included

    for dataset in changed:
        key = TABLE_KEYS.get(dataset)
        person = estate.expected[dataset]
        if key:  # tables: positions are the planted keys - 1
            person = {i + 1 for i in person}
            others_before = [r for r in before[dataset] if int(r[key]) not in person]
            others_after = [r for r in after[dataset] if int(r[key]) not in person]
            kept_person = [r for r in after[dataset] if int(r[key]) in person]
        else:
            others_before = [r for i, r in enumerate(before[dataset]) if i not in person]
            if mode == "delete":
                others_after, kept_person = after[dataset], []
            else:
                others_after = [r for i, r in enumerate(after[dataset]) if i not in person]
                kept_person = [r for i, r in enumerate(after[dataset]) if i in person]
        assert others_after == others_before, dataset  # every other row as it was
        if mode == "delete":
            assert kept_person == [], dataset
        else:
            assert len(kept_person) == len(person), dataset
            for row in kept_person:
                _clean(" ".join(str(v) for v in row.values()), f"{dataset} after anonymize")

    csv_after = (estate.root / "customers.csv").read_bytes().splitlines(keepends=True)
    person_lines = {i + 1 for i in estate.expected["customers.csv"]}  # + the header line
    untouched = [line for i, line in enumerate(csv_before) if i not in person_lines]
    if mode == "delete":
        assert csv_after == untouched  # byte for byte
    else:
        assert [line for i, line in enumerate(csv_after) if i not in person_lines] == untouched
        assert all(csv_after[i] != csv_before[i] for i in person_lines)

    env = {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log"), "PIIWARDEN_KEY": KEY_HEX}
    again = runner.invoke(app, ["subject", "find", *estate.sources, *REQUEST, "--json"], env=env)
    assert again.exit_code == 0
    assert '"datasets": []' in again.stdout, again.stdout

    records = _records(tmp_path / "audit.log")
    assert {r.dataset for r in records} == changed
    assert len({r.request_id for r in records}) == 1
    hasher = SubjectHasher(parse_key(KEY_HEX.encode(), "test"))
    wanted = set(SubjectRequest.build(person_identifiers()).digests(hasher))
    for record in records:
        assert record.rows == len(estate.expected[record.dataset])
        assert record.method == ("delete" if mode == "delete" else "overwrite")
        assert record.operator.name == "clerk 7" and record.operator.os_user
        assert set(record.subject_hashes) & wanted, record.dataset  # "was X erased?" answerable by hash
        assert record.key_fingerprint == hasher.fingerprint
    verdict = verify_log(AuditLog(tmp_path / "audit.log"))
    assert verdict.ok and verdict.unconfirmed == []
    # each record was written before its commit and concluded after it
    assert list(outcomes(read_entries(AuditLog(tmp_path / "audit.log"))).values()) == ["done"] * len(records)
    _clean((tmp_path / "audit.log").read_text(encoding="utf-8"), "the audit log")


def test_erase_apply_without_key_is_refused_and_changes_nothing(tmp_path):
    estate = build_files(tmp_path / "estate")
    digests = _file_digests(estate.root)
    result = runner.invoke(app, ["subject", "erase", str(estate.root), *REQUEST, "--apply"],
                           env={"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log"), "PIIWARDEN_KEY": ""})
    assert result.exit_code == 2 and "key" in result.output
    assert _file_digests(estate.root) == digests


def test_sqlite_anonymize_leaves_no_old_value_in_the_file(tmp_path):
    estate = build_files(tmp_path / "estate")
    result = _erase(estate, tmp_path, "anonymize", "--apply")
    assert result.exit_code == 0, result.output
    raw = (estate.root / "crm.db").read_bytes()
    assert b"zhang.san@example.com" not in raw and b"138-1234-5678" not in raw  # secure_delete + VACUUM
    with sqlite3.connect(estate.root / "crm.db") as db:
        assert db.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 60
    db.close()


def test_changed_rows_roll_back_a_table_overwrite(tmp_path, monkeypatch):
    """Rows that change between finding and updating: the transaction rolls back, the table is as it was."""
    from scanner.lifecycle import subject_erase

    estate = build_files(tmp_path / "estate")
    before = _snapshot(estate)["crm.db#members"]
    real = subject_erase.row_keys

    def stale(ds, key_expr, matcher):  # one more key than the rows that hold the person now
        keys = real(ds, key_expr, matcher)
        return [*keys, 1] if ds.id == "crm.db#members" else keys

    monkeypatch.setattr(subject_erase, "row_keys", stale)
    result = _erase(estate, tmp_path, "anonymize", "--apply")
    assert result.exit_code == 3 and "crm.db#members" in result.output and "rolled back" in result.output
    assert _snapshot(estate)["crm.db#members"] == before
    assert "crm.db#members" not in {r.dataset for r in _records(tmp_path / "audit.log")}
    engine = sa.create_engine(f"sqlite:///{estate.root / 'crm.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM members").scalar_one() == 60
    engine.dispose()


def test_erase_refused_when_the_audit_log_cannot_be_written(tmp_path):
    estate = build_files(tmp_path / "estate")
    digests = _file_digests(estate.root)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    result = runner.invoke(app, ["subject", "erase", str(estate.root), *REQUEST, "--apply"],
                           env={"PIIWARDEN_AUDIT_LOG": str(blocker / "audit.log"), "PIIWARDEN_KEY": KEY_HEX})
    assert result.exit_code == 2 and "audit log" in result.output
    assert _file_digests(estate.root) == digests


def test_records_hash_every_identifier_the_rows_held(tmp_path):
    """Asked by mobile only: the record of a row that also held the e-mail answers "was this e-mail erased?"."""
    estate = build_files(tmp_path / "estate")
    env = {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log"), "PIIWARDEN_KEY": KEY_HEX}
    result = runner.invoke(app, ["subject", "erase", str(estate.root), "--mobile", "138 1234 5678", "--apply"], env=env)
    assert result.exit_code == 0, result.output
    hasher = SubjectHasher(parse_key(KEY_HEX.encode(), "test"))
    email = set(SubjectRequest.build([("email", "zhang.san@example.com")]).digests(hasher))
    by_dataset = {r.dataset: set(r.subject_hashes) for r in _records(tmp_path / "audit.log")}
    assert email <= by_dataset["crm.db#members"]  # row 50 held both
    assert not email & by_dataset["customers.csv"]  # no e-mail there


@pytest.mark.parametrize("name", ["customers.csv", "orders.parquet", "staff.xlsx"])
def test_interrupted_overwrite_leaves_the_file_whole(tmp_path, monkeypatch, name):
    """Interrupted at the rename (the last step): the original is byte for byte as it was, no staged file stays."""
    from scanner.lifecycle import subject_erase

    estate = build_files(tmp_path / "estate")
    digests = _file_digests(estate.root)
    real_replace = subject_erase.os.replace

    def interrupted(src, dst):
        if Path(dst).name == name:
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(subject_erase.os, "replace", interrupted)
    from scanner import api

    with pytest.raises(KeyboardInterrupt):
        api.subject_erase([str(estate.root)], person_identifiers(), mode="anonymize", apply=True,
                          key=KEY_HEX.encode(), log=tmp_path / "audit.log")
    assert _file_digests(estate.root)[name] == digests[name]
    assert not [p.name for p in estate.root.iterdir() if p.name.startswith(".")]


def test_a_rename_that_fails_after_the_record_concludes_it_not_done(tmp_path, monkeypatch):
    """Delete mode on a file: the rename refused after the record was written gives it a "not done" outcome."""
    import os

    from scanner import api

    estate = build_files(tmp_path / "estate")
    digests = _file_digests(estate.root)
    real = os.replace

    def refuse_target(src, dst, *args, **kwargs):
        if Path(dst).name == "customers.csv":
            raise PermissionError(13, "Permission denied")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse_target)
    log = AuditLog(tmp_path / "audit.log")
    result = api.subject_erase([str(estate.root)], person_identifiers(), mode="delete", apply=True,
                               key=KEY_HEX.encode(), log=log)
    monkeypatch.setattr(os, "replace", real)
    assert _file_digests(estate.root)["customers.csv"] == digests["customers.csv"]
    assert [where for where, _ in result.errors if where.endswith("customers.csv")]
    entries = read_entries(log)
    concluded = outcomes(entries)
    by_dataset = {e["destruction"]["dataset"]: concluded[e["seq"]] for e in entries if e.get("kind") == "destruction"}
    assert by_dataset["customers.csv"] == "not done"
    assert set(by_dataset.values()) == {"done", "not done"}
    assert not verify_log(log).unconfirmed
    _clean(log.path.read_text(encoding="utf-8"), "the audit log")
