"""Overlapping runs on the same history: the second waits for the lock, or gives up with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from scanner.audit import AuditLog, verify_log
from scanner.cli import app
from scanner.history import opened
from tests.conftest import ROOT

runner = CliRunner()

HOLDER = """
import sys, time
from pathlib import Path
from scanner.history import history_lock
with history_lock(Path(sys.argv[1]), timeout=5):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "people.csv").write_text("name,email\n" + "\n".join(f"u{i},u{i}@example.com" for i in range(20)),
                                  encoding="utf-8")
    return d


def _hold(db: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_gives_up_with_a_clear_message(tmp_path):
    data = _data(tmp_path)
    db = tmp_path / ".piiwarden" / "history.db"
    holder = _hold(db, 3)
    try:
        result = runner.invoke(app, ["scan", str(data), "-o", str(tmp_path / "out"), "--lock-timeout", "0.3"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 2
    assert "another piiwarden run holds" in result.output and "history.db.lock" in result.output
    assert not (tmp_path / "out").exists()  # nothing written


def test_second_run_waits_for_the_first(tmp_path):
    data = _data(tmp_path)
    db = tmp_path / ".piiwarden" / "history.db"
    holder = _hold(db, 1.0)
    started = time.monotonic()
    result = runner.invoke(app, ["scan", str(data), "-o", str(tmp_path / "out"), "--lock-timeout", "30", "-q"])
    holder.wait()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.5  # it did wait for the holder
    with opened(db) as history:
        assert len(history.scans()) == 1


def test_two_concurrent_scans_both_recorded(tmp_path):
    """A `piiwarden scan` process and an in-process scan at once: both finish, history and audit consistent."""
    data = _data(tmp_path)
    cmd = [sys.executable, "-m", "scanner", "scan", str(data), "-o", str(tmp_path / "out"), "-q",
           "--log-format", "json"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    here = runner.invoke(app, ["scan", str(data), "-o", str(tmp_path / "out"), "-q", "--lock-timeout", "60"])
    _, stderr = proc.communicate(timeout=120)
    assert (proc.returncode, here.exit_code) == (0, 0), stderr + here.output
    with opened(tmp_path / ".piiwarden" / "history.db") as history:
        assert len(history.scans()) == 2
    log = AuditLog(tmp_path / ".piiwarden" / "audit.log")
    assert verify_log(log).ok and verify_log(log).entries == 2
    for line in filter(None, stderr.splitlines()):  # --log-format json: every stderr line is one JSON object
        assert isinstance(json.loads(line), dict)
