"""kill -9 in the middle of a run: no half output under a final name, and the next run just works.

SIGKILL cannot be caught, so whatever the run left behind is what an OOM
killer or a power cut leaves: OUTDIR may hold temporaries (``.piiwarden-tmp-``)
but never a truncated file under the name a downstream job reads; history.db
stays a consistent SQLite database; the next run needs no manual cleanup.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scanner.writers.base import TEMP_MARK
from tests.hostile.corpus import file_hashes, write_large_csv
from tests.hostile.harness import ROOT, assert_no_traceback, invoke

ROWS = 50_000
SCAN_ROWS = 60_000  # a --full scan of this takes a second or two: long enough to be killed inside


def _spawn(args: list, env: dict[str, str], stderr: Path | None = None) -> subprocess.Popen:
    """The real command in a subprocess; its stderr (progress lines) goes to ``stderr`` for polling."""
    full = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200", **env)
    with open(stderr or os.devnull, "w") as err:
        return subprocess.Popen([sys.executable, "-m", "scanner", *map(str, args)], cwd=ROOT, env=full,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> None:
    """SIGKILL ``proc`` as soon as ``ready()`` holds (a failure if it finished or never got there)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run finished before it could be killed: make the dataset bigger"
        assert time.monotonic() < deadline, "the run never reached the point to kill it at"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _temps(outdir: Path) -> list[Path]:
    return [p for p in outdir.rglob("*") if TEMP_MARK in p.name] if outdir.exists() else []


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    data = tmp_path_factory.mktemp("big") / "data"
    write_large_csv(data / "crm" / "big.csv", ROWS)
    return data


def _rows(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_kill_mid_anonymize_leaves_no_partial_output(big, tmp_path):
    outdir = tmp_path / "anon"
    env = {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "state" / "audit.log")}
    hashes = file_hashes(big)
    proc = _spawn(["anonymize", big, "-o", outdir], env)
    _kill_when(proc, lambda: any(p.is_file() and p.stat().st_size > 0 for p in _temps(outdir)))
    final = outdir / "crm" / "big.csv"
    assert not final.exists(), "a partial output sits under its final name"
    assert not (outdir / "anonymization.json").exists(), "a record for a run that did not finish"
    assert file_hashes(big) == hashes, "the source changed"

    run = invoke(["anonymize", big, "-o", outdir], env=env)
    assert_no_traceback(run)
    assert run.code == 0, run.console[-2000:]
    assert _rows(final) == ROWS
    assert not _temps(outdir), "the re-run left the killed run's temporaries behind"
    assert (outdir / "anonymization.json").is_file()
    assert file_hashes(big) == hashes


def test_kill_mid_scan_keeps_history_usable(tmp_path):
    data = tmp_path / "data"
    write_large_csv(data / "crm" / "scan.csv", SCAN_ROWS)
    state = tmp_path / "state"
    history = state / "history.db"
    args = ["scan", data, "-o", tmp_path / "out", "--full", "--history", history, "--audit-log", state / "audit.log",
            "--lock-timeout", "5", "--as-of", "2026-03-31"]
    first = invoke(["scan", data, "-o", tmp_path / "out0", "--history", history, "--audit-log", state / "audit.log"])
    assert first.code == 0, first.console[-2000:]
    progress = tmp_path / "stderr.txt"
    proc = _spawn(args, {}, progress)
    # the history lock is held from the start; kill as soon as the scan is inside the data
    _kill_when(proc, lambda: "scanning crm/scan.csv" in progress.read_text(encoding="utf-8", errors="replace"))
    assert not (tmp_path / "out" / "findings.json").exists()
    conn = sqlite3.connect(history)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 1, "a half scan was recorded"
    finally:
        conn.close()

    run = invoke(args)
    assert_no_traceback(run)
    assert run.code == 0, "the killed run's lock must not block the next one:\n" + run.console[-2000:]
    listing = invoke(["history", "--db", history])
    assert listing.code == 0
    assert len([ln for ln in listing.stdout.splitlines() if ln.strip()[:1].isdigit()]) == 2
