"""Concurrent runs: cron jobs overlap, two operators anonymize at once.

Two scans on one history take turns on its lock (both finish, two distinct
scans recorded, the audit chain intact); a scan that may not wait long
enough fails with one line naming the lock; two anonymize runs into two
OUTDIRs do not disturb each other.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from scanner.history import history_lock
from tests.hostile.corpus import build_corpus, file_hashes, readable_bytes
from tests.hostile.harness import ROOT, Run, assert_error_line, assert_no_raw, assert_no_traceback, invoke


def _start(args: list, audit_log: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200", PIIWARDEN_AUDIT_LOG=str(audit_log or ""))
    return subprocess.Popen([sys.executable, "-m", "scanner", *map(str, args)], cwd=ROOT, env=env, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(proc: subprocess.Popen, timeout: float = 180) -> Run:
    stdout, stderr = proc.communicate(timeout=timeout)
    return Run(proc.returncode, stdout, stderr)


def test_two_scans_on_one_history_take_turns(tmp_path):
    corpus = build_corpus(tmp_path / "data", rows=10, formats=("csv", "jsonl"))
    state = tmp_path / "state"
    common = ["--history", state / "history.db", "--audit-log", state / "audit.log", "--as-of", "2026-03-31", "-q"]
    procs = [_start(["scan", tmp_path / "data", "-o", tmp_path / f"out{i}", *common]) for i in (1, 2)]
    runs = [_finish(p) for p in procs]
    for run in runs:
        assert_no_traceback(run)
        assert run.code == 0, run.console[-2000:]
        assert_no_raw(corpus.planted(), run=run)
    ids = {json.loads((tmp_path / f"out{i}" / "findings.json").read_text(encoding="utf-8"))["scan"]["id"]
           for i in (1, 2)}
    conn = sqlite3.connect(state / "history.db")
    try:
        recorded = [r[0] for r in conn.execute("SELECT id FROM scans ORDER BY seq")]
        per_scan = dict(conn.execute("SELECT scan_id, count(*) FROM datasets GROUP BY scan_id").fetchall())
    finally:
        conn.close()
    assert set(recorded) == ids and len(recorded) == 2
    assert set(per_scan.values()) == {2}, "each scan recorded all of its datasets, none of the other's"
    second = json.loads((tmp_path / "out2" / "findings.json").read_text(encoding="utf-8"))
    first = json.loads((tmp_path / "out1" / "findings.json").read_text(encoding="utf-8"))
    later = second if second["scan"]["id"] == recorded[1] else first
    assert later["history"]["previous_scan"]["id"] == recorded[0], "the later scan saw the earlier one"
    verdict = invoke(["audit", "verify", "--log", state / "audit.log"])
    assert verdict.code == 0, verdict.console
    assert "2 entries" in verdict.stdout


def test_scan_that_cannot_wait_fails_with_one_line(tmp_path):
    build_corpus(tmp_path / "data", rows=6, formats=("csv",))
    history = tmp_path / "state" / "history.db"
    with history_lock(history, 1):
        run = invoke(["scan", tmp_path / "data", "-o", tmp_path / "out", "--history", history,
                      "--audit-log", tmp_path / "state" / "audit.log", "--lock-timeout", "0.5"])
    assert_no_traceback(run)
    assert run.code == 2, run.console
    assert_error_line(run, "history.db.lock", "--lock-timeout")
    assert len(run.error_lines()) == 1
    assert not (tmp_path / "out").exists(), "a run that never got the lock wrote nothing"


def test_two_anonymize_runs_into_two_outdirs(tmp_path):
    corpus = build_corpus(tmp_path / "data", rows=10, formats=("csv", "parquet", "sqlite"))
    hashes = file_hashes(tmp_path / "data")
    log = tmp_path / "state" / "audit.log"
    procs = [_start(["anonymize", tmp_path / "data", "-o", tmp_path / f"anon{i}"], log) for i in (1, 2)]
    runs = [_finish(p) for p in procs]
    for run in runs:
        assert_no_traceback(run)
        assert run.code == 0, run.console[-2000:]
    one, two = (file_hashes(tmp_path / f"anon{i}") for i in (1, 2))
    assert set(one) == set(two) == {"anonymization.json", "crm/customers.csv", "lake/customers.parquet",
                                    "db/crm.db"}
    for rel in ("crm/customers.csv", "lake/customers.parquet", "db/crm.db"):
        assert readable_bytes(tmp_path / "anon1" / rel) == readable_bytes(tmp_path / "anon2" / rel), \
            f"{rel}: two runs of the same masks differ"
    assert_no_raw(corpus.planted(), roots=[tmp_path / "anon1", tmp_path / "anon2"])
    assert file_hashes(tmp_path / "data") == hashes
    assert not [p for p in Path(tmp_path).glob("*") if p.name not in ("data", "anon1", "anon2", "state")]
    verdict = invoke(["audit", "verify", "--log", log])
    assert verdict.code == 0, verdict.console
    assert "2 entries" in verdict.stdout, "both runs appended to one intact chain"
