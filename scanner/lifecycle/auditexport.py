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


def export_records(records: list[dict[str, Any]], path: Path) -> Path:
    """Write the records as ``.json`` (the entries as logged) or ``.csv`` (flattened), atomically."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise AuditExportError(f"the export is written as .csv or .json, not {suffix or 'a file without suffix'}")
    tmp = path.with_name(f".{path.name}.tmp")
    if suffix == ".json":
        tmp.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    else:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            concluded = outcomes(records)
            writer.writerows([csv_safe(v) for v in csv_row(entry, concluded)] for entry in records)
    tmp.replace(path)
    return path


def csv_row(entry: dict[str, Any], concluded: dict[int, str] | None = None) -> list[str | int | None]:
    """One entry as CSV cells in ``CSV_COLUMNS`` order (lists joined with ``;``, counts as JSON).

    ``concluded``: what became of each destruction record (``destruction.outcomes``), for its row.
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
        "subject_hashes": _joined(record.get("subject_hashes")),
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
