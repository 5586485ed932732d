"""Issue 14, the crawl: FIFOs, unreadable folders and symlinks neither hang, hide, nor leak a scan.

Only regular files are opened; a FIFO, socket or device is skipped with a
note (stderr, ``scan.skipped`` in findings.json), symlinks follow one rule
(``--follow-symlinks``, default off, loop-safe when on), and a folder that
cannot be listed is an error (exit 3) naming it.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from scanner.connectors.common import ReadOptions
from scanner.sources import resolve_sources
from tests.hostile.harness import assert_error_line, assert_no_traceback, invoke, run_cli
from tests.hostile.readers_corpus import csv_bytes, people, write


def findings_of(out: Path) -> dict:
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def ids(findings: dict) -> set[str]:
    return {d["id"] for d in findings["datasets"]}


def test_fifo_in_a_folder_does_not_hang_the_scan(tmp_path, validate_findings):
    src = tmp_path / "src"
    write(src / "a.csv", csv_bytes(people(5)))
    os.mkfifo(src / "pipe.csv")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(src / "sock.log"))
    try:
        run = run_cli(["scan", src, "-o", tmp_path / "out", "--history", tmp_path / "h" / "history.db"], timeout=60)
    finally:
        sock.close()
    assert_no_traceback(run)
    assert run.code == 0, run.console
    findings = findings_of(tmp_path / "out")
    validate_findings(findings)
    assert ids(findings) == {"a.csv"} and not findings["errors"]
    skipped = {Path(s["path"]).name: s["reason"] for s in findings["scan"]["skipped"]}
    assert "FIFO" in skipped["pipe.csv"] and "socket" in skipped["sock.log"]
    assert_error_line(run, "pipe.csv", "FIFO")  # a note on stderr, not an error
    assert "2 skipped" in run.stdout
    # the history lock was released: the next run does not wait for it
    again = run_cli(["scan", src, "-o", tmp_path / "out2", "--history", tmp_path / "h" / "history.db",
                     "--lock-timeout", "1"], timeout=60)
    assert again.code == 0, again.console


def test_fifo_named_on_the_command_line(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    run = run_cli(["scan", tmp_path / "pipe.csv", "-o", tmp_path / "out", "--no-history"], timeout=60)
    assert_no_traceback(run)
    assert run.code == 0
    assert findings_of(tmp_path / "out")["scan"]["skipped"][0]["path"].endswith("pipe.csv")


def test_unreadable_subfolder_is_an_error(tmp_path, monkeypatch, validate_findings):
    """Root reads a chmod 000 folder, so listing it is made to fail as it would for a user."""
    src = tmp_path / "src"
    write(src / "ok" / "a.csv", csv_bytes(people(5)))
    write(src / "locked" / "b.csv", csv_bytes(people(5)))
    locked = str(src / "locked")
    real_scandir = os.scandir

    def scandir(path=".", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - os.scandir's signature
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    datasets, errors = resolve_sources([str(src)])
    assert [d.id for d in datasets] == ["ok/a.csv"]
    assert errors == [(locked, "cannot read folder (Permission denied)")]
    run = invoke(["scan", str(src), "-o", str(tmp_path / "out"), "--no-history", "-q"])
    assert_no_traceback(run)
    assert run.code == 3
    assert_error_line(run, "locked", "cannot read folder")
    findings = findings_of(tmp_path / "out")
    validate_findings(findings)
    assert findings["errors"] == [{"source": locked, "error": "cannot read folder (Permission denied)"}]


def _linked_tree(tmp_path: Path) -> Path:
    """src/ with a real file, a symlink to a file outside, and a symlink to a folder outside."""
    outside = tmp_path / "outside"
    write(outside / "secret.csv", csv_bytes(people(5, seed=1)))
    write(outside / "dir" / "inner.csv", csv_bytes(people(5, seed=2)))
    src = tmp_path / "src"
    write(src / "own.csv", csv_bytes(people(5)))
    (src / "file_link.csv").symlink_to(outside / "secret.csv")
    (src / "dir_link").symlink_to(outside / "dir", target_is_directory=True)
    return src


def test_symlinks_skipped_with_a_note_by_default(tmp_path, validate_findings):
    src = _linked_tree(tmp_path)
    run = invoke(["scan", str(src), "-o", str(tmp_path / "out"), "--no-history"])
    assert_no_traceback(run)
    assert run.code == 0
    findings = findings_of(tmp_path / "out")
    validate_findings(findings)
    assert ids(findings) == {"own.csv"}
    assert {Path(s["path"]).name for s in findings["scan"]["skipped"]} == {"file_link.csv", "dir_link"}
    assert findings["scan"]["parameters"]["follow_symlinks"] is False
    assert "--follow-symlinks" in run.stderr


def test_follow_symlinks_follows_files_and_folders(tmp_path):
    src = _linked_tree(tmp_path)
    run = invoke(["scan", str(src), "-o", str(tmp_path / "out"), "--no-history", "--follow-symlinks"])
    assert_no_traceback(run)
    assert run.code == 0
    findings = findings_of(tmp_path / "out")
    assert ids(findings) == {"own.csv", "file_link.csv", "dir_link/inner.csv"}
    assert findings["scan"]["parameters"]["follow_symlinks"] is True


def test_symlink_loop_ends(tmp_path):
    src = tmp_path / "src"
    write(src / "a" / "x.csv", csv_bytes(people(3)))
    (src / "a" / "back").symlink_to(src, target_is_directory=True)
    (src / "self").symlink_to(src / "self")  # a link to itself: ELOOP
    run = run_cli(["scan", src, "-o", tmp_path / "out", "--no-history", "--follow-symlinks"], timeout=60)
    assert_no_traceback(run)
    assert run.code == 0, run.console
    assert ids(findings_of(tmp_path / "out")) == {"a/x.csv"}
    datasets, errors = resolve_sources([str(src)], options=ReadOptions(follow_symlinks=True))
    assert [d.id for d in datasets] == ["a/x.csv"] and not errors


@pytest.mark.parametrize("follow", [False, True])
def test_glob_matches_obey_the_symlink_rule(tmp_path, follow):
    src = _linked_tree(tmp_path)
    notes: list[tuple[str, str]] = []
    datasets, errors = resolve_sources([str(src / "*.csv")], options=ReadOptions(follow_symlinks=follow),
                                       notes=notes)
    assert not errors
    got = {d.id for d in datasets}
    assert got == ({"own.csv", "file_link.csv"} if follow else {"own.csv"})
    assert bool(notes) is not follow


def test_anonymize_skips_fifo_and_symlinks(tmp_path):
    src = _linked_tree(tmp_path)
    os.mkfifo(src / "pipe.csv")
    run = run_cli(["anonymize", src, "-o", tmp_path / "anon"], timeout=60)
    assert_no_traceback(run)
    assert run.code == 0, run.console
    assert (tmp_path / "anon" / "own.csv").is_file()
    assert not (tmp_path / "anon" / "file_link.csv").exists()
    assert "pipe.csv" in run.stderr


def test_recursive_glob_does_not_enter_symlinked_folders(tmp_path):
    src = _linked_tree(tmp_path)
    notes: list[tuple[str, str]] = []
    datasets, _errors = resolve_sources([str(src / "**" / "*.csv")], notes=notes)
    assert {d.id for d in datasets} == {"own.csv"}
    assert {Path(p).name for p, _why in notes} == {"file_link.csv", "dir_link"}
    datasets, _errors = resolve_sources([str(src / "**" / "*.csv")], options=ReadOptions(follow_symlinks=True))
    assert {d.id for d in datasets} == {"own.csv", "file_link.csv", "dir_link/inner.csv"}
