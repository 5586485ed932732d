"""Audit-log tampering: every edit an insider could make is named by ``piiwarden audit verify``.

A log of five real entries is written through ``AuditLog`` (as scan and
anonymize write it), then doctored by hand the way a text editor would. The
verdict must be exit 1 and a first TAMPERED line naming the file and the
first bad line; the untouched log must verify with exit 0.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.audit import AuditLog, canonical, entry_hash
from tests.hostile.harness import Run, assert_no_traceback, invoke

ENTRIES = 5


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "state" / "audit.log"
    log = AuditLog(path)
    for i in range(ENTRIES):
        log.record("scan" if i % 2 == 0 else "anonymize", sources=[str(tmp_path / "data")],
                   outputs=[str(tmp_path / "out")], counts={"datasets": i + 1, "violations": i}, exit_code=0)
    return path


def _verify(path: Path) -> Run:
    run = invoke(["audit", "verify", "--log", path], env={"PIIWARDEN_AUDIT_LOG": None})
    assert_no_traceback(run)
    return run


def _first_problem(run: Run) -> str:
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("TAMPERED ")]
    assert lines, f"no TAMPERED line:\n{run.console}"
    return lines[0]


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _edit_counts(lines: list[str]) -> list[str]:
    """Change a count in line 3, keeping valid JSON and the recorded hash."""
    entry = json.loads(lines[2])
    entry["counts"]["violations"] = 0
    entry["counts"]["datasets"] = 99
    return [*lines[:2], canonical(entry) + "\n", *lines[3:]]


def _edit_and_rehash(lines: list[str]) -> list[str]:
    """A careful forger: edits line 3 and recomputes its own hash (the next line's link still breaks)."""
    entry = json.loads(lines[2])
    entry["exit_code"] = 1
    entry["hash"] = entry_hash(entry)
    return [*lines[:2], canonical(entry) + "\n", *lines[3:]]


def _forged_append(lines: list[str]) -> list[str]:
    """A forger who chains a new line correctly to the real last line (hash and prev both right)."""
    import hashlib

    last = json.loads(lines[-1])
    forged = {**last, "seq": last["seq"] + 1, "command": "verify", "counts": {"failures": 0},
              "prev": hashlib.sha256(lines[-1].rstrip("\n").encode("utf-8")).hexdigest()}
    forged.pop("hash")
    forged["hash"] = entry_hash(forged)
    return [*lines, canonical(forged) + "\n"]


# (name, how to doctor the lines, the line number the first problem must name)
TAMPERS: list[tuple[str, Callable[[list[str]], list[str]], int]] = [
    ("edit", _edit_counts, 3),
    ("edit_rehashed", _edit_and_rehash, 3),
    ("delete", lambda ls: [*ls[:2], *ls[3:]], 3),
    ("delete_first", lambda ls: ls[1:], 1),
    ("reorder", lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], 2),
    ("truncate_last", lambda ls: [*ls[:-1], ls[-1][: len(ls[-1]) // 2]], 5),
    ("drop_last", lambda ls: ls[:-1], 5),
    ("append_garbage", lambda ls: [*ls, "not json at all\n"], 6),
    ("append_forged_naive", lambda ls: [*ls, json.dumps({"seq": 6, "command": "scan", "prev": "0" * 64}) + "\n"], 6),
    ("append_forged_chained", _forged_append, 6),
    ("duplicate", lambda ls: [*ls[:3], ls[2], *ls[3:]], 4),
]


def test_untouched_log_verifies(tmp_path):
    path = _log(tmp_path)
    run = _verify(path)
    assert run.code == 0, run.console
    assert f"{ENTRIES} entries" in run.stdout
    assert "TAMPERED" not in run.stdout


@pytest.mark.parametrize(("name", "tamper", "line"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_tampered_log_names_first_bad_line(tmp_path, name, tamper, line):
    path = _log(tmp_path)
    path.write_text("".join(tamper(_lines(path))), encoding="utf-8")
    run = _verify(path)
    assert run.code == 1, f"{name}: exit {run.code}\n{run.console}"
    first = _first_problem(run)
    assert f"{path}:{line}:" in first, f"{name}: {first}"
    assert "FAILED" in run.stdout


def test_missing_log_is_a_usage_error(tmp_path):
    run = _verify(tmp_path / "nowhere" / "audit.log")
    assert run.code == 2
    assert len(run.error_lines()) == 1 and "audit.log" in run.stderr


def test_log_replaced_by_binary_junk(tmp_path):
    """A log replaced by binary junk is tampering, not a crash."""
    path = _log(tmp_path)
    path.write_bytes(b"\x00\xff\xfe" * 100 + b"\n" + bytes(range(256)))
    run = _verify(path)
    assert run.code == 1
    assert f"{path}:1:" in _first_problem(run)


@settings(settings.get_profile("hostile"))
@given(data=st.data())
def test_any_flipped_byte_is_named_at_its_line(tmp_path_factory, data):
    """One byte changed anywhere (a disk error, a stray keystroke) is found, and at the line it is in."""
    from scanner.audit import verify_log

    box = tmp_path_factory.mktemp("flip")
    path = _log(box)
    raw = bytearray(path.read_bytes())
    # the log's length varies (pid, time): draw a position and a change independent of it
    at = data.draw(st.integers(0, 10**6)) % len(raw)
    raw[at] = (raw[at] + data.draw(st.integers(1, 255))) % 256
    path.write_bytes(bytes(raw))
    verdict = verify_log(AuditLog(path))
    assert not verdict.ok
    line = raw[:at].count(b"\n") + 1
    first = verdict.problems[0]
    assert first.file == str(path)
    # a flip that turns a byte into a newline splits the line: the first half is what breaks
    assert first.line == line, f"byte {at} (line {line}) reported as {first}"
