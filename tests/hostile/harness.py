"""What every hostile-input test asserts, in one place.

A data-protection tool is judged by its worst case, so each hostile test runs
piiwarden the way a user or a scheduler does and then checks the same four
promises (CONTRACT.md, the brief's "How we write code"):

- the exit code is the documented one;
- a failure is one line naming the dataset, and there is no traceback;
- no raw sensitive value (or password) appears on the console or in any file
  the run wrote;
- nothing was written outside OUTDIR (and no source was modified).

``run_cli`` runs the real command in a subprocess (a hang is a test failure
after ``timeout`` seconds, a traceback is visible on stderr); ``invoke`` runs
it in-process through Typer's runner, which is ten times faster and enough
where neither hangs nor signals are at stake.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Run:
    """A finished command: exit code and the two console streams as text."""

    code: int
    stdout: str
    stderr: str

    @property
    def console(self) -> str:
        return self.stdout + "\n" + self.stderr

    def error_lines(self) -> list[str]:
        """Non-empty stderr lines (progress lines included)."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_cli(args: Iterable[str], *, cwd: Path | None = None, timeout: float = 180,
            env: dict[str, str] | None = None, stdin: str | None = None) -> Run:
    """``python -m scanner ARGS`` in a subprocess with this checkout first on the path.

    A run that outlives ``timeout`` raises ``subprocess.TimeoutExpired``: a
    hang is a failure, never a skip.
    """
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    full_env.setdefault("COLUMNS", "200")
    if env:
        full_env.update(env)
    proc = subprocess.run([sys.executable, "-m", "scanner", *map(str, args)], cwd=cwd or ROOT, env=full_env,
                          input=stdin, capture_output=True, text=True, timeout=timeout,
                          stdin=None if stdin is not None else subprocess.DEVNULL)
    return Run(proc.returncode, proc.stdout, proc.stderr)


def invoke(args: Iterable[str], *, env: dict[str, str] | None = None) -> Run:
    """The CLI in-process (Typer's runner); an uncaught exception is reported as a traceback."""
    from typer.testing import CliRunner

    from scanner.cli import app

    result = CliRunner().invoke(app, [str(a) for a in args], env=env)
    stderr = result.stderr if result.stderr_bytes is not None else ""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        stderr += "".join(traceback.format_exception(result.exception))
    return Run(result.exit_code, result.stdout, stderr)


def assert_no_traceback(run: Run) -> None:
    """No Python traceback and no Click/Rich error box on either stream."""
    for marker in ("Traceback (most recent call last)", "╭─", "╰─"):
        assert marker not in run.console, f"{marker!r} on the console:\n{run.console[-3000:]}"


def assert_error_line(run: Run, *names: str) -> str:
    """A single stderr line names every one of ``names`` (a dataset, a table, a file); returns it."""
    for line in run.error_lines():
        if all(n in line for n in names):
            return line
    raise AssertionError(f"no stderr line names {names!r}:\n{run.stderr[-3000:]}")


def written_files(root: Path) -> list[Path]:
    """Every regular file under ``root`` (recursively, links not followed)."""
    found = []
    for current, _dirs, files in os.walk(root):
        for name in files:
            p = Path(current, name)
            if p.is_file() and not p.is_symlink():
                found.append(p)
    return found


def encodings_of(value: str) -> list[bytes]:
    """The byte forms a raw value could take in an output file: UTF-8, GBK, UTF-16 and JSON escapes."""
    forms = {value.encode("utf-8")}
    for enc in ("gb18030", "utf-16-le"):
        with contextlib.suppress(UnicodeEncodeError):
            forms.add(value.encode(enc))
    escaped = value.encode("ascii", "backslashreplace").replace(b"\\x", b"\\u00")
    forms.add(escaped)
    import json

    forms.add(json.dumps(value).strip('"').encode("ascii"))
    return sorted(f for f in forms if len(f) >= 4)


def assert_no_raw(values: Iterable[str], *, run: Run | None = None, roots: Iterable[Path] = (),
                  files: Iterable[Path] = ()) -> None:
    """None of ``values`` appears on the console or in any file under ``roots``.

    Values shorter than 6 characters are ignored (they occur by chance).
    """
    values = [v for v in values if len(v) >= 6]
    if run is not None:
        for v in values:
            assert v not in run.console, f"a raw value ({_tag(v)}) is on the console"
    targets = [*files, *(f for r in roots if Path(r).exists() for f in written_files(Path(r)))]
    for path in targets:
        data = path.read_bytes()
        for v in values:
            for form in encodings_of(v):
                assert form not in data, f"a raw value ({_tag(v)}) is in {path}"


def _tag(value: str) -> str:
    """A value-free name for a value in an assertion message (never the value itself)."""
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Relative path -> (size, mtime_ns) of every entry under ``root``, for before/after comparisons."""
    snap = {}
    for current, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            p = Path(current, name)
            try:
                st = p.lstat()
            except OSError:
                continue
            snap[p.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return snap


def assert_only_inside(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]],
                       allowed: Iterable[str]) -> None:
    """Every entry created or changed between two snapshots of a sandbox lies under an allowed prefix.

    ``allowed`` holds paths relative to the snapshot root (OUTDIR, the history folder).
    """
    allowed = [a.rstrip("/") for a in allowed]
    for rel, meta in after.items():
        if before.get(rel) == meta:
            continue
        if any(rel == a or rel.startswith(a + "/") for a in allowed):
            continue
        raise AssertionError(f"{rel} was created or changed outside {allowed}")
    for rel in before:
        if rel not in after and not any(rel == a or rel.startswith(a + "/") for a in allowed):
            raise AssertionError(f"{rel} was removed outside {allowed}")
