"""What a scan tells its operator while it runs: progress bars, plain lines, or JSON lines.

A person at a terminal wants bars (datasets done, rows, rate); cron mail and
CI logs want one plain line per event; log shippers want one JSON object per
line (``--log-format json``). All three go to stderr, so stdout keeps only the
summary a script may parse. Events carry dataset ids, counts and one-line
error messages, which are value-free by construction (``SourceError``), never
a data value or a password.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reports.safe_text import neutralize
from scanner.console import json_line, make_console


class _JsonHandler(logging.Handler):
    """Library and module log records as JSON lines (message text only; our messages are value-free)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(logging.WARNING)
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = {"time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
                    "level": record.levelname.lower(), "event": "log", "logger": record.name,
                    "message": record.getMessage().splitlines()[0][:300] if record.getMessage() else ""}
            self.stream.write(json_line(line) + "\n")
            self.stream.flush()
        except Exception:  # noqa: BLE001 - logging must never break the scan
            self.handleError(record)


def install_json_logging(stream: TextIO | None = None) -> None:
    """Route warnings and log records through JSON lines, so a log shipper never sees free text."""
    root = logging.getLogger()
    if any(isinstance(h, _JsonHandler) for h in root.handlers):
        return
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    root.addHandler(_JsonHandler(stream or sys.stderr))
    logging.captureWarnings(True)


def choose_mode(log_format: str, quiet: bool, stream: TextIO | None = None) -> str:
    """``json`` for log shippers, ``quiet``, ``bars`` on a terminal, else ``plain``."""
    if log_format == "json":
        return "json"
    if quiet:
        return "quiet"
    stream = stream or sys.stderr
    return "bars" if getattr(stream, "isatty", lambda: False)() else "plain"


class Reporter:
    """Scan progress and events, in the chosen mode; use as a context manager."""

    def __init__(self, mode: str, console: Console | None = None) -> None:
        self.mode = mode
        self.console = console or make_console(stderr=True)
        self.rows = 0
        self.started = time.monotonic()
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- events -------------------------------------------------------------------------------

    def start(self, total: int) -> None:
        """The scan knows how many datasets it will go through."""
        self.started = time.monotonic()
        if self.mode == "bars":
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rows]:,} rows · {task.fields[rate]:,.0f} rows/s"),
                TimeElapsedColumn(), TextColumn("[dim]{task.fields[current]}"),
                console=self.console, transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("datasets", total=total, rows=0, rate=0.0, current="")
        else:
            self._emit("info", "scan_started", f"{total} datasets to scan", datasets=total)

    def dataset_started(self, ds_id: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, current=escape(neutralize(ds_id)))
        elif self.mode != "quiet":
            self._emit("info", "dataset_started", f"scanning {ds_id}", dataset=ds_id)

    def dataset_done(self, ds_id: str, rows_scanned: int, reused_from: str | None = None) -> None:
        """One dataset finished (scanned, or reused from an earlier scan)."""
        self.rows += rows_scanned if reused_from is None else 0
        elapsed = max(time.monotonic() - self.started, 1e-6)
        if self._progress is not None:
            self._progress.update(self._task, advance=1, rows=self.rows, rate=self.rows / elapsed)
        elif reused_from is not None:
            self._emit("info", "dataset_reused", f"reused {ds_id} (unchanged since scan {reused_from[:12]})",
                       dataset=ds_id, reused_from=reused_from)
        else:
            self._emit("info", "dataset_done", f"scanned {ds_id}: {rows_scanned:,} rows", dataset=ds_id,
                       rows_scanned=rows_scanned)

    def error(self, source: str, message: str) -> None:
        """A source that failed (always shown, even with --quiet)."""
        self._emit("error", "source_error", f"error: {source}: {message}", source=source, error=message)

    def info(self, event: str, message: str, **fields: Any) -> None:
        self._emit("info", event, message, **fields)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    # --- output -------------------------------------------------------------------------------

    def _emit(self, level: str, event: str, message: str, **fields: Any) -> None:
        if self.mode == "json":
            record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
                      "level": level, "event": event, "message": message, **fields}
            self.console.file.write(json_line(record) + "\n")
            self.console.file.flush()
            return
        if level != "error" and self.mode == "quiet":
            return
        target = self._progress.console if self._progress is not None else self.console
        target.print(message, markup=False, style=None if level == "error" else "dim")
