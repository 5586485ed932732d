"""Scan history: every scan recorded in a local SQLite database, and diffs between scans.

Auditors ask "what changed since last night?", and an incremental scan needs
last night's per-dataset results and fingerprints; both come from here. The
database holds only what findings.json holds (masked samples, counts, entity
names) plus file/table fingerprints, with URL passwords masked: it is as safe
to keep as the reports themselves.

Scans are grouped by *scope* (a hash of the masked SOURCE list), so one
history database can serve several nightly jobs: "the previous scan" is the
previous scan of the same sources.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from scanner.errors import describe_error
from scanner.model import DatasetResult, ScanResult

T = TypeVar("T")

SCHEMA_VERSION = 1
HISTORY_DIRNAME = ".piiwarden"
HISTORY_FILENAME = "history.db"
TREND_SCANS = 12

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    as_of TEXT NOT NULL,
    mode TEXT NOT NULL,
    sources TEXT NOT NULL,
    parameters TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_scope ON scans (scope, seq);
CREATE TABLE IF NOT EXISTS datasets (
    scan_id TEXT NOT NULL REFERENCES scans (id),
    source TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    format TEXT NOT NULL,
    rows INTEGER,
    rows_scanned INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    fingerprint TEXT,
    options_key TEXT NOT NULL,
    scanned_in TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (scan_id, source, dataset_id)
);
CREATE TABLE IF NOT EXISTS columns (
    scan_id TEXT NOT NULL REFERENCES scans (id),
    dataset_id TEXT NOT NULL,
    column_name TEXT NOT NULL,
    entity TEXT,
    level INTEGER NOT NULL,
    confidence REAL
);
CREATE INDEX IF NOT EXISTS columns_scan ON columns (scan_id);
CREATE TABLE IF NOT EXISTS violations (
    scan_id TEXT NOT NULL REFERENCES scans (id),
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    dataset_id TEXT NOT NULL,
    column_name TEXT,
    count INTEGER
);
CREATE INDEX IF NOT EXISTS violations_scan ON violations (scan_id);
"""

# Keys of a dataset entry that are recomputed on every run, so never reused from history.
RECOMPUTED_KEYS = ("policy_checks", "grants", "reused_from")


class HistoryError(Exception):
    """The history database cannot be used (one readable line)."""


def _check_tables(conn: sqlite3.Connection) -> None:
    """Every table has the columns we read: another tool's ``scans`` table must not pass for ours.

    ``CREATE TABLE IF NOT EXISTS`` keeps a same-named table of another shape,
    and SQLite only notices on the first query, deep inside a scan.
    """
    for table, ddl_columns in _expected_columns().items():
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        missing = ddl_columns - have
        if missing:
            raise sqlite3.DatabaseError(f"table {table} lacks column(s) {', '.join(sorted(missing))}: "
                                        "not a piiwarden history")


@functools.cache
def _expected_columns() -> dict[str, set[str]]:
    """Table -> column names, as _DDL creates them (read from a scratch in-memory database)."""
    mem = sqlite3.connect(":memory:")
    try:
        mem.executescript(_DDL)
        tables = [r[0] for r in mem.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {t: {r[1] for r in mem.execute(f"PRAGMA table_info({t})")} for t in tables}
    finally:
        mem.close()


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Reading a damaged database (malformed pages, hand-edited JSON) is a HistoryError, not a traceback."""
    @functools.wraps(method)
    def wrapper(self: History, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise HistoryError(f"{self.path}: damaged history database ({type(exc).__name__}); "
                               "move it aside to start a new history") from None
    return wrapper


def default_history_path(outdir: Path) -> Path:
    """``<outdir parent>/.piiwarden/history.db``: beside the outputs, not inside them (they get replaced)."""
    return outdir.resolve().parent / HISTORY_DIRNAME / HISTORY_FILENAME


def scope_of(sources: list[str]) -> str:
    """Scans of the same (masked) sources share a scope; the order of SOURCE arguments does not matter.

    Paths count as absolute, so ``data`` typed in two different directories
    are two scopes, and ``data`` typed from the same place every night is one.
    """
    resolved = sorted(s if "://" in s else str(Path(s).resolve()) for s in sources)
    return hashlib.sha256("\n".join(resolved).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class ScanRow:
    """One recorded scan, as listed by ``piiwarden history``."""

    seq: int
    id: str
    scope: str
    started_at: str
    finished_at: str
    as_of: str
    mode: str
    sources: list[str]
    summary: dict[str, Any]


@dataclass(frozen=True)
class StoredDataset:
    """A dataset's result in a past scan, with what an incremental scan compares."""

    source: str
    dataset_id: str
    fingerprint: dict[str, Any] | None
    options_key: str
    scanned_in: str
    failed: bool
    result: dict[str, Any]


def summarize(result: ScanResult) -> dict[str, Any]:
    """Counts kept per scan for listings and the report's trend chart."""
    by_level = {str(lvl): 0 for lvl in (4, 3, 2, 1)}
    for ds in result.datasets:
        for col in ds.sensitive_columns():
            by_level[str(col.level)] = by_level.get(str(col.level), 0) + 1
    by_severity = {s: 0 for s in ("critical", "high", "medium", "low")}
    for v in result.violations:
        by_severity[v.severity] = by_severity.get(v.severity, 0) + 1
    incremental = result.scan.incremental
    return {
        "datasets": len(result.datasets),
        "sensitive": sum(by_level.values()),
        "by_level": by_level,
        "violations": len(result.violations),
        "by_severity": by_severity,
        "errors": len(result.errors),
        "reused": incremental.reused if incremental else 0,
    }


class History:
    """The history database; open it with ``History.open(path)`` and close it when done."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn

    @classmethod
    def open(cls, path: Path, create: bool = True) -> History:
        """Open (creating if asked) and check the schema version; HistoryError on any problem."""
        path = Path(path)
        if not create and not path.is_file():
            raise HistoryError(f"no history database at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.executescript(_DDL)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                with conn:
                    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif str(row[0]) != str(SCHEMA_VERSION):
                conn.close()
                raise HistoryError(f"{path}: history schema {str(row[0])[:20]!r} is not supported "
                                   f"(expected {SCHEMA_VERSION})")
            _check_tables(conn)
        except (sqlite3.Error, OSError) as exc:
            raise HistoryError(f"{path}: cannot open history database ({describe_error(exc)})") from None
        return cls(path, conn)

    def close(self) -> None:
        self.conn.close()

    # --- writing -----------------------------------------------------------------------------

    def record(self, result: ScanResult, scope: str, fingerprints: dict[tuple[str, str], Any],
               options_key: str) -> None:
        """Store one finished scan in a single transaction (a crash leaves no half scan)."""
        scan = result.scan
        parameters = scan.parameters.to_json() if scan.parameters else {}
        try:
            with self.conn:
                self.conn.execute(
                    "INSERT INTO scans (id, scope, started_at, finished_at, as_of, mode, sources, parameters, summary)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (scan.id, scope, scan.started_at, scan.finished_at, scan.as_of, scan.mode,
                     _dump(list(scan.sources)), _dump(parameters), _dump(summarize(result))),
                )
                for ds in result.datasets:
                    self._record_dataset(scan.id, ds, fingerprints.get((ds.info.source, ds.id)), options_key)
                self.conn.executemany(
                    "INSERT INTO violations VALUES (?, ?, ?, ?, ?, ?)",
                    [(scan.id, v.rule, v.severity, v.dataset, v.column, v.count) for v in result.violations],
                )
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: cannot record the scan ({describe_error(exc)})") from None

    def _record_dataset(self, scan_id: str, ds: DatasetResult, fingerprint: Any, options_key: str) -> None:
        """One dataset's row; its result is kept in findings.json form for ``--incremental`` to reuse."""
        kept = {k: v for k, v in ds.to_json().items() if k not in RECOMPUTED_KEYS}
        self.conn.execute(
            "INSERT OR REPLACE INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (scan_id, ds.info.source, ds.id, ds.info.format, ds.rows, ds.rows_scanned,
             int(ds.failed), _dump(fingerprint) if fingerprint else None, options_key,
             ds.reused_from or scan_id, _dump(kept)),
        )
        self.conn.executemany(
            "INSERT INTO columns VALUES (?, ?, ?, ?, ?, ?)",
            [(scan_id, ds.id, c.name, c.primary_entity, c.level, c.confidence) for c in ds.columns],
        )

    # --- reading -----------------------------------------------------------------------------

    @_guarded
    def scans(self, scope: str | None = None, limit: int | None = None) -> list[ScanRow]:
        """Scans oldest first (the last ``limit`` of them), optionally of one scope."""
        where, args = ("WHERE scope = ?", [scope]) if scope else ("", [])
        sql = f"SELECT * FROM scans {where} ORDER BY seq DESC" + (" LIMIT ?" if limit else "")
        rows = self.conn.execute(sql, [*args, *([limit] if limit else [])]).fetchall()
        return [_scan_row(r) for r in reversed(rows)]

    def latest(self, scope: str | None = None) -> ScanRow | None:
        """The most recent scan (of a scope)."""
        rows = self.scans(scope, limit=1)
        return rows[-1] if rows else None

    @_guarded
    def resolve(self, ref: str) -> ScanRow:
        """A scan by sequence number (``3``), id or unique id prefix; HistoryError if none or ambiguous."""
        if ref.isdigit() and len(ref) < 9:
            row = self.conn.execute("SELECT * FROM scans WHERE seq = ?", (int(ref),)).fetchone()
            if row is not None:
                return _scan_row(row)
        rows = self.conn.execute("SELECT * FROM scans WHERE id LIKE ? ORDER BY seq", (ref + "%",)).fetchall()
        if len(rows) == 1:
            return _scan_row(rows[0])
        raise HistoryError(f"scan {ref!r} " + ("is ambiguous" if rows else "not found in " + str(self.path)))

    @_guarded
    def datasets(self, scan_id: str) -> dict[tuple[str, str], StoredDataset]:
        """Every dataset of one scan, keyed by (source, dataset id)."""
        rows = self.conn.execute("SELECT * FROM datasets WHERE scan_id = ?", (scan_id,)).fetchall()
        return {
            (r["source"], r["dataset_id"]): StoredDataset(
                source=r["source"], dataset_id=r["dataset_id"],
                fingerprint=json.loads(r["fingerprint"]) if r["fingerprint"] else None,
                options_key=r["options_key"], scanned_in=r["scanned_in"], failed=bool(r["failed"]),
                result=json.loads(r["result"]),
            )
            for r in rows
        }

    @_guarded
    def snapshot(self, scan: ScanRow) -> Snapshot:
        """What a diff compares: columns, violations and failed datasets of one scan."""
        columns = {
            (r["dataset_id"], r["column_name"]): (r["entity"], r["level"])
            for r in self.conn.execute("SELECT * FROM columns WHERE scan_id = ?", (scan.id,))
        }
        violations: dict[tuple[str, str, str | None], dict[str, Any]] = {}
        for r in self.conn.execute("SELECT * FROM violations WHERE scan_id = ?", (scan.id,)):
            _add_violation(violations, (r["rule"], r["dataset_id"], r["column_name"]), r["severity"], r["count"])
        data = self.conn.execute("SELECT dataset_id, failed FROM datasets WHERE scan_id = ?", (scan.id,)).fetchall()
        return Snapshot(scan, columns, violations, {r["dataset_id"] for r in data},
                        {r["dataset_id"] for r in data if r["failed"]})


@dataclass
class Snapshot:
    """One scan's comparable facts."""

    scan: ScanRow
    columns: dict[tuple[str, str], tuple[str | None, int]]
    violations: dict[tuple[str, str, str | None], dict[str, Any]]
    datasets: set[str]
    failed: set[str]


def _add_violation(into: dict[tuple[str, str, str | None], dict[str, Any]], key: tuple[str, str, str | None], severity: str, count: int | None) -> None:
    """Violations compare by (rule, dataset, column); repeats of a key add up their counts."""
    prev = into.get(key)
    if prev is not None and prev["count"] is not None and count is not None:
        count = prev["count"] + count
    into[key] = {"severity": severity, "count": count}


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _scan_row(row: sqlite3.Row) -> ScanRow:
    return ScanRow(seq=row["seq"], id=row["id"], scope=row["scope"], started_at=row["started_at"],
                   finished_at=row["finished_at"], as_of=row["as_of"], mode=row["mode"],
                   sources=json.loads(row["sources"]), summary=json.loads(row["summary"]))


@contextlib.contextmanager
def opened(path: Path, create: bool = True) -> Iterator[History]:
    """``with opened(path) as history:`` — closes the connection however the block ends."""
    history = History.open(path, create=create)
    try:
        yield history
    finally:
        history.close()


# --- diffs --------------------------------------------------------------------------------------

def _scan_ref(scan: ScanRow) -> dict[str, Any]:
    return {"seq": scan.seq, "id": scan.id, "finished_at": scan.finished_at, "as_of": scan.as_of}


def _column(key: tuple[str, str], entity: str | None, level: int) -> dict[str, Any]:
    return {"dataset": key[0], "column": key[1], "entity": entity, "level": level}


def _sensitive(snap: Snapshot) -> dict[tuple[str, str], tuple[str | None, int]]:
    return {k: v for k, v in snap.columns.items() if v[0] and k[0] not in snap.failed}


def diff_snapshots(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """What changed from scan A to scan B.

    Columns of a dataset that failed in either scan are left out of the column
    comparison (an unreadable file is not "all its columns removed"); such
    datasets are listed under ``datasets_failed`` instead.
    """
    failed = a.failed | b.failed
    before = {k: v for k, v in _sensitive(a).items() if k[0] not in failed}
    after = {k: v for k, v in _sensitive(b).items() if k[0] not in failed}
    new = [_column(k, *after[k]) for k in sorted(after.keys() - before.keys())]
    removed = [_column(k, *before[k]) for k in sorted(before.keys() - after.keys())]
    changed = [
        {"dataset": k[0], "column": k[1], "entity_before": before[k][0], "entity": after[k][0],
         "level_before": before[k][1], "level": after[k][1]}
        for k in sorted(before.keys() & after.keys()) if before[k] != after[k]
    ]
    return {
        "from": _scan_ref(a.scan),
        "to": _scan_ref(b.scan),
        "datasets_added": sorted(b.datasets - a.datasets),
        "datasets_removed": sorted(a.datasets - b.datasets),
        "datasets_failed": sorted(failed & (a.datasets | b.datasets)),
        "new_sensitive_columns": new,
        "removed_sensitive_columns": removed,
        "level_changes": changed,
        **_violation_diff(a.violations, b.violations),
    }


def _violation(key: tuple[str, str, str | None], info: dict[str, Any]) -> dict[str, Any]:
    return {"rule": key[0], "dataset": key[1], "column": key[2], "severity": info["severity"], "count": info["count"]}


def _violation_diff(a: dict[tuple[str, str, str | None], dict[str, Any]],
                    b: dict[tuple[str, str, str | None], dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    key = lambda k: (k[0], k[1], k[2] or "")  # noqa: E731 - sort None columns first
    changed = [
        {**_violation(k, b[k]), "severity_before": a[k]["severity"], "count_before": a[k]["count"]}
        for k in sorted(a.keys() & b.keys(), key=key) if a[k] != b[k]
    ]
    return {
        "new_violations": [_violation(k, b[k]) for k in sorted(b.keys() - a.keys(), key=key)],
        "resolved_violations": [_violation(k, a[k]) for k in sorted(a.keys() - b.keys(), key=key)],
        "changed_violations": changed,
    }


def diff_is_empty(diff: dict[str, Any]) -> bool:
    """Whether nothing an auditor cares about changed."""
    keys = ("datasets_added", "datasets_removed", "new_sensitive_columns", "removed_sensitive_columns",
            "level_changes", "new_violations", "resolved_violations", "changed_violations")
    return not any(diff[k] for k in keys)


def diff_lines(diff: dict[str, Any]) -> list[str]:
    """The diff as plain text lines (names, entities, levels and counts only)."""
    a, b = diff["from"], diff["to"]
    lines = [f"diff #{a['seq']} ({a['finished_at']}) -> #{b['seq']} ({b['finished_at']})"]
    for ds in diff["datasets_added"]:
        lines.append(f"+ dataset {ds}")
    for ds in diff["datasets_removed"]:
        lines.append(f"- dataset {ds}")
    for c in diff["new_sensitive_columns"]:
        lines.append(f"+ column {c['dataset']}: {c['column']} {c['entity']} (level {c['level']})")
    for c in diff["removed_sensitive_columns"]:
        lines.append(f"- column {c['dataset']}: {c['column']} {c['entity']} (level {c['level']})")
    for c in diff["level_changes"]:
        lines.append(f"~ column {c['dataset']}: {c['column']} {c['entity_before']} L{c['level_before']} -> "
                     f"{c['entity']} L{c['level']}")
    for v in diff["new_violations"]:
        lines.append(f"+ violation {v['rule']} {v['severity']} {v['dataset']}" + _col(v) + _count(v))
    for v in diff["resolved_violations"]:
        lines.append(f"- violation {v['rule']} {v['severity']} {v['dataset']}" + _col(v) + " (resolved)")
    for v in diff["changed_violations"]:
        lines.append(f"~ violation {v['rule']} {v['dataset']}" + _col(v)
                     + f" {v['severity_before']}/{v['count_before']} -> {v['severity']}/{v['count']}")
    for ds in diff["datasets_failed"]:
        lines.append(f"! dataset {ds} failed in one of the scans; its columns are not compared")
    if diff_is_empty(diff):
        lines.append("no changes")
    return lines


def _col(v: dict[str, Any]) -> str:
    return f": {v['column']}" if v.get("column") else ""


def _count(v: dict[str, Any]) -> str:
    return f" ({v['count']})" if v.get("count") is not None else ""


def trend(history: History, scope: str, current: ScanResult | None = None,
          limit: int = TREND_SCANS) -> list[dict[str, Any]]:
    """Counts of the last scans of a scope, oldest first, ending with ``current`` if given."""
    rows = history.scans(scope, limit=limit - (1 if current else 0))
    points = [{"id": r.id, "seq": r.seq, "finished_at": r.finished_at, **_trend_counts(r.summary)} for r in rows]
    if current is not None:
        summary = summarize(current)
        points.append({"id": current.scan.id, "seq": None, "finished_at": current.scan.finished_at,
                       **_trend_counts(summary)})
    return points


def _trend_counts(summary: dict[str, Any]) -> dict[str, Any]:
    return {"sensitive": summary.get("sensitive", 0), "violations": summary.get("violations", 0),
            "by_severity": summary.get("by_severity", {}), "datasets": summary.get("datasets", 0)}


def snapshot_of(result: ScanResult, scope: str) -> Snapshot:
    """The current scan as a Snapshot, before it is recorded (for the report's "since last scan")."""
    scan = result.scan
    row = ScanRow(seq=0, id=scan.id, scope=scope, started_at=scan.started_at, finished_at=scan.finished_at,
                  as_of=scan.as_of, mode=scan.mode, sources=list(scan.sources), summary=summarize(result))
    columns = {(ds.id, c.name): (c.primary_entity, c.level) for ds in result.datasets for c in ds.columns}
    violations: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for v in result.violations:
        _add_violation(violations, (v.rule, v.dataset, v.column), v.severity, v.count)
    ids = {ds.id for ds in result.datasets}
    return Snapshot(row, columns, violations, ids, {ds.id for ds in result.datasets if ds.failed})


def history_section(history: History, scope: str, result: ScanResult) -> dict[str, Any]:
    """The ``history`` key of findings.json: previous scan of the same sources, the diff, the trend.

    Stored in findings.json so that ``piiwarden report`` re-renders the
    "since last scan" section without the database.
    """
    previous = history.latest(scope)
    since = None
    if previous is not None:
        since = diff_snapshots(history.snapshot(previous), snapshot_of(result, scope))
        since["to"]["seq"] = None
    return {
        "previous_scan": _scan_ref(previous) if previous else None,
        "since_last": since,
        "trend": trend(history, scope, result),
    }


class LockTimeout(Exception):
    """Another run holds the history lock for longer than we may wait."""


@contextlib.contextmanager
def history_lock(db_path: Path, timeout: float, poll: float = 0.2) -> Iterator[Path]:
    """Hold ``<db>.lock`` (fcntl) for a whole run, so overlapping cron runs take turns.

    The lock is advisory and released by the kernel when the process dies, so a
    killed run never leaves a stale lock behind.
    """
    import fcntl
    import time

    lock_path = Path(db_path).with_name(Path(db_path).name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(lock_path, "a") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"another piiwarden run holds {lock_path}; gave up after {timeout:g} s "
                                      "(raise --lock-timeout, or space the schedules further apart)") from None
                time.sleep(poll)
        try:
            yield lock_path
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
