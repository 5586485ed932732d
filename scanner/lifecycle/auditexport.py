"""``audit export``: the audit log's records of one kind, since a date, as CSV or JSON for a regulator.

An auditor asks "show me every destruction since January" or "every scan
of the customer database this quarter"; the hash-chained log holds the
answer but is one JSON line per entry, mixed kinds, across rotated files.
This module selects and flattens, nothing more: the log itself is the
evidence (``audit verify``), the export a readable copy of part of it.

An entry's kind is its ``kind`` field when it has one (destruction
records, ``destruction.audit_fields``), else what its command did:
``scan``; ``anonymize`` for anonymize, decrypt and verify (one processing
activity: making, restoring and checking copies); ``subject`` for the
data-subject request commands; ``destruction`` for deletions. The log's
own bookkeeping (``audit.prune``) is in no kind but is exported with
every record when no kind is asked for.

A destruction is logged in two phases (``destruction.py``): the record
before the commit, an outcome entry after. The JSON export keeps both
entries as logged; the CSV gives each record's ``outcome`` in its own row
(``done``, ``not done``, or ``unconfirmed`` when no outcome entry follows:
the run stopped in between), and the outcome entries as rows of their own
that name the record's ``record_seq``.

A purge of half a million rows carries half a million keyed hashes, and a
spreadsheet cell holds at most 32,767 characters (Excel cuts the rest off
without a word). So a record with more than ``CELL_HASHES`` hashes has
them in a second file beside the CSV, ``<name>.subject_hashes.csv`` (one
``seq``, ``dataset``, ``subject_hash`` row per hash, every record's), and
its cell names that file and the count instead.

The log holds no data values (counts, names, keyed hashes only); CSV
cells that a spreadsheet would evaluate are written as text all the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scanner.audit import AuditLog, read_entries
from scanner.lifecycle.destruction import outcomes
from scanner.lifecycle.inventory import csv_safe

KINDS = ("scan", "anonymize", "destruction", "subject")
_BY_COMMAND = {"scan": "scan", "anonymize": "anonymize", "decrypt": "anonymize", "verify": "anonymize",
               "delete": "destruction", "purge": "destruction"}
# The CSV's columns: the entry's own fields, then a destruction record's (empty for other kinds).
CSV_COLUMNS = ("seq", "time", "kind", "command", "user", "host", "pid", "sources", "outputs", "counts",
               "key_fingerprint", "exit_code", "operator", "operator_name", "method", "dataset", "rows", "rule",
               "as_of", "request_id", "subject_hashes", "phase", "outcome", "record_seq", "reason", "hash")


CELL_HASHES = 900  # 900 hashes of 32 hex digits and a separator: 29,700 characters, under Excel's 32,767
HASHES_SUFFIX = ".subject_hashes.csv"


class AuditExportError(ValueError):
    """An export that cannot be made: unknown kind, unknown output suffix (one line)."""


def entry_kind(entry: dict[str, Any]) -> str | None:
    """The kind ``--kind`` selects an entry by (None: the log's own bookkeeping)."""
    kind = entry.get("kind")
    if isinstance(kind, str) and kind in KINDS:
        return kind
    command = str(entry.get("command") or "")
    if command.startswith("subject"):
        return "subject"
    return _BY_COMMAND.get(command)


def read_records(log: AuditLog, *, kind: str | None = None, since: dt.date | None = None) -> list[dict[str, Any]]:
    """Every readable entry of the log (archives, then the live file) of that kind, written on or after ``since``."""
    if kind is not None and kind not in KINDS:
        raise AuditExportError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return [entry for entry in read_entries(log)
            if (kind is None or entry_kind(entry) == kind) and _on_or_after(entry, since)]


def _on_or_after(entry: dict[str, Any], since: dt.date | None) -> bool:
    """Whether the entry was written on ``since`` (UTC) or later; an entry without a readable time is kept."""
    if since is None:
        return True
    try:
        when = dt.datetime.fromisoformat(str(entry["time"]))
    except (KeyError, ValueError):
        return True  # an export for an auditor leaves nothing out that it cannot judge
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc)
    return when.date() >= since


def export_records(records: list[dict[str, Any]], path: Path) -> list[Path]:
    """Write the records as ``.json`` (the entries as logged) or ``.csv`` (flattened), atomically.

    Returns the files written: the export, and for a CSV whose records
    carry more hashes than a cell holds, the hashes file beside it.
    """
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise AuditExportError(f"the export is written as .csv or .json, not {suffix or 'a file without suffix'}")
    if suffix == ".json":
        _atomic(path, lambda fh: fh.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n"), "utf-8")
        return [path]
    side = hashes_path(path) if any(len(_hashes(e)) > CELL_HASHES for e in records) else None
    concluded = outcomes(records)

    def rows(fh: Any) -> None:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        writer.writerows([csv_safe(v) for v in csv_row(entry, concluded, side)] for entry in records)

    if side is not None:
        _atomic(side, lambda fh: _write_hashes(fh, records), "utf-8-sig")
    else:  # a previous export's hashes file would be taken for this one's
        hashes_path(path).unlink(missing_ok=True)
    _atomic(path, rows, "utf-8-sig")
    return [path] if side is None else [path, side]


def hashes_path(path: Path) -> Path:
    """The file beside a CSV export that lists every record's subject hashes, one per row."""
    return path.with_name(path.stem + HASHES_SUFFIX)


def _write_hashes(fh: Any, records: list[dict[str, Any]]) -> None:
    writer = csv.writer(fh)
    writer.writerow(("seq", "dataset", "subject_hash"))
    for entry in records:
        dataset = _object(entry.get("destruction")).get("dataset")
        writer.writerows((_cell(entry.get("seq")), csv_safe(_cell(dataset)), csv_safe(_cell(h))) for h in _hashes(entry))


def _atomic(path: Path, write: Any, encoding: str) -> None:
    """Write through a hidden temporary beside ``path``, renamed over it when complete."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding=encoding, newline="") as fh:
        write(fh)
    tmp.replace(path)


def _hashes(entry: dict[str, Any]) -> list[Any]:
    """A destruction record's subject hashes (none for other entries)."""
    hashes = _object(entry.get("destruction")).get("subject_hashes")
    return hashes if isinstance(hashes, list) else []


def csv_row(entry: dict[str, Any], concluded: dict[int, str] | None = None,
            hashes_file: Path | None = None) -> list[str | int | None]:
    """One entry as CSV cells in ``CSV_COLUMNS`` order (lists joined with ``;``, counts as JSON).

    ``concluded``: what became of each destruction record (``destruction.outcomes``), for its row.
    ``hashes_file``: where hashes too many for a cell are listed (the cell then says so).
    """
    record = _object(entry.get("destruction"))
    operator = _object(record.get("operator"))
    outcome = entry.get("outcome")
    if record and isinstance(entry.get("seq"), int):
        outcome = (concluded or {}).get(entry["seq"], outcome)
    values: dict[str, Any] = {
        **{k: entry.get(k) for k in ("seq", "time", "command", "user", "host", "pid", "key_fingerprint",
                                     "exit_code", "hash")},
        "kind": entry_kind(entry),
        "sources": _joined(entry.get("sources")), "outputs": _joined(entry.get("outputs")),
        "counts": json.dumps(entry.get("counts") or {}, ensure_ascii=False, sort_keys=True),
        "operator": operator.get("os_user"), "operator_name": operator.get("name"),
        **{k: record.get(k) for k in ("method", "rows", "rule", "as_of", "request_id")},
        "dataset": record.get("dataset") or entry.get("dataset"),
        "subject_hashes": (f"{len(_hashes(entry))} hashes in {hashes_file.name}"
                           if hashes_file is not None and len(_hashes(entry)) > CELL_HASHES
                           else _joined(record.get("subject_hashes"))),
        "phase": entry.get("phase"), "outcome": outcome, "record_seq": entry.get("record_seq"),
        "reason": entry.get("reason"),
    }
    return [_cell(values[column]) for column in CSV_COLUMNS]


def _object(value: Any) -> dict[str, Any]:
    """A nested JSON object, or an empty one for anything else (an entry of another kind)."""
    return value if isinstance(value, dict) else {}


def _joined(values: Any) -> str:
    return ";".join(str(v) for v in values) if isinstance(values, Iterable) and not isinstance(values, str) else ""


def _cell(value: Any) -> str | int | None:
    if value is None or isinstance(value, (str, int)):
        return value
    return str(value)
