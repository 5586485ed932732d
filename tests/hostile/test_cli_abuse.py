"""The command line under abuse: usage errors, files that never end, interrupts.

Every usage error of every command is one ``piiwarden: error: ...`` line and
exit 2 (no Click/Rich box). A file option read whole (key, policy, rules,
config) reads only a regular file of bounded size: ``/dev/zero``, a FIFO or a
sparse 2 GB file is refused at once. SIGINT ends a scan with exit 130 and
``piiwarden: interrupted``, SIGTERM with 143; either way the history lock is
released, so the next scheduled run starts at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.harness import ROOT, Run, assert_no_traceback, invoke, run_cli

USAGE_ERRORS = [
    ["scan", "--no-such-option", "x"],
    ["scan", "--fail-on", "huge", "x"],
    ["scan", "--sample-rows", "many", "x"],
    ["scan", "--workers", "0", "x"],
    ["scan", "--engine", "hadoop", "x"],
    ["scan", "--lang", "fr", "x"],
    ["anonymize", "x"],  # missing -o
    ["anonymize", "--bogus", "x", "-o", "y"],
    ["anonymize", "x", "-o", "y", "--engine", "nope"],
    ["verify"],
    ["verify", "x", "--bogus"],
    ["report"],
    ["report", "x", "--lang", "de"],
    ["history", "--limit", "lots"],
    ["history", "--limit", "0"],
    ["history", "--bogus"],
    ["audit", "verify", "--bogus"],
    ["audit", "nosuch"],
    ["decrypt", "x"],  # missing -o
    ["decrypt", "--bogus"],
    ["nosuchcommand"],
]


def _one_error_line(run: Run) -> str:
    assert_no_traceback(run)
    assert run.code == 2, run.console
    lines = run.error_lines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("piiwarden: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("args", USAGE_ERRORS, ids=lambda a: " ".join(a))
def test_every_usage_error_is_one_line(args):
    line = _one_error_line(invoke(args))
    if args[0] in ("scan", "anonymize", "verify", "report", "history", "decrypt"):
        assert f"error: {args[0]}:" in line  # names the command it concerns


def test_usage_error_through_the_real_entry_point():
    run = run_cli(["scan", "--no-such-option", "x"], timeout=120)
    assert "no such option" in _one_error_line(run).lower()


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path


def test_key_file_dev_zero_is_refused_at_once(tmp_path):
    started = time.monotonic()
    run = run_cli(["anonymize", tmp_path, "-o", tmp_path / "out", "--key-file", "/dev/zero"], timeout=120)
    assert "/dev/zero" in _one_error_line(run) and "regular file" in run.stderr
    assert time.monotonic() - started < 100
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "huge", "directory"])
def test_file_options_read_only_small_regular_files(kind, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("k\n1\n", encoding="utf-8")
    if kind == "fifo":
        bad = tmp_path / "fifo"
        os.mkfifo(bad)
    elif kind == "dev_zero":
        bad = Path("/dev/zero")
    elif kind == "huge":
        bad = _sparse(tmp_path / "huge.yaml", 2 * 1024**3)
    else:
        bad = tmp_path / "dir"
        bad.mkdir()
    out = tmp_path / "out"
    cases = [
        ["anonymize", data, "-o", out, "--key-file", bad],
        ["decrypt", data, "-o", out, "--key-file", bad],
        ["anonymize", data, "-o", out, "--rules", bad],
        ["anonymize", data, "-o", out, "--policy", bad],
        ["scan", data, "-o", out, "--policy", bad, "--no-history"],
        ["scan", data, "-o", out, "--config", bad, "--no-history"],
        ["verify", data, "--policy", bad],
    ]
    for args in cases:
        started = time.monotonic()
        line = _one_error_line(invoke(args))
        assert str(bad) in line, line
        assert time.monotonic() - started < 30, args
        assert not out.exists()


def test_a_key_file_of_normal_size_still_works(tmp_path):
    from scanner.anonymize.keys import load_key

    key = tmp_path / "key"
    key.write_text("ab" * 32 + "\n", encoding="ascii")
    assert load_key(key, environ={}).material == bytes.fromhex("ab" * 32)


# --------------------------------------------------------------------------- interrupts

def _big_folder(root: Path, files: int = 60, rows: int = 4000) -> Path:
    data = root / "data"
    data.mkdir()
    line = "\n".join(f"{i},13{i % 10}{i * 7919 % 10**8:08d},user{i}@example.com,张{i % 7}伟" for i in range(rows))
    for f in range(files):
        (data / f"part{f:03d}.csv").write_text("id,mobile,email,name\n" + line + "\n", encoding="utf-8")
    return data


def _start_scan(data: Path, tmp_path: Path, history: Path, out: str) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.Popen(
        [sys.executable, "-m", "scanner", "scan", str(data), "-o", str(tmp_path / out), "--full",
         "--history", str(history), "--audit-log", str(tmp_path / "audit.log"), "--log-format", "json"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until_scanning(proc: subprocess.Popen, history: Path, timeout: float = 120) -> None:
    """The history lock file exists once the run holds it (imports done, scan under way)."""
    lock = history.with_name(history.name + ".lock")
    deadline = time.monotonic() + timeout
    while not lock.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the scan never took the history lock"
        time.sleep(0.1)
    time.sleep(1.0)
    assert proc.poll() is None, "the scan finished before it could be interrupted; make the folder bigger"


@pytest.mark.parametrize(("sig", "code", "message"), [(signal.SIGINT, 130, "piiwarden: interrupted"),
                                                      (signal.SIGTERM, 143, "piiwarden: terminated")])
def test_signal_exits_cleanly_and_releases_the_history_lock(sig, code, message, tmp_path):
    data = _big_folder(tmp_path)
    history = tmp_path / "h" / "history.db"
    proc = _start_scan(data, tmp_path, history, "out1")
    try:
        _wait_until_scanning(proc, history)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    run = Run(proc.returncode, stdout, stderr)
    assert_no_traceback(run)
    assert run.code == code, run.console[-3000:]
    assert message in run.stderr
    assert not (tmp_path / "out1" / "findings.json").exists()
    # The next run with the same history does not wait for a lock.
    started = time.monotonic()
    again = run_cli(["scan", data / "part000.csv", "-o", tmp_path / "out2", "--history", history,
                     "--audit-log", tmp_path / "audit.log", "--lock-timeout", "1"], timeout=180)
    assert again.code == 0, again.console[-3000:]
    assert "another piiwarden run holds" not in again.stderr
    assert time.monotonic() - started < 170
