"""Destruction records (what was deleted, when, by whom, how, why) and how long audit records are kept.

The company's rules and PIPL Art. 47 make deletion itself something to
prove: "every destruction records its time, operator and method, kept at
least 3 years". A record says which dataset lost how many rows under which
retention rule (with the as-of date that rule was judged on) or which
data-subject request, and carries the keyed hashes (``identifiers``'
``subject`` sub-key) of the removed subjects' identifiers, so that "was
X deleted?" can be answered later without keeping X.

The record is immutable and round-trips through JSON exactly; the audit
log (``scanner/audit.py``) stores it as one hash-chained entry built by
``audit_fields``. The command is ``delete``, which the log already keeps
for the destruction period.

A record is written in two phases (``journal.DestructionJournal``): the
record itself just before the deletion commits (``phase: intent``), then a
small outcome entry (kind ``destruction.outcome``, command ``delete``:
kept as long) naming the record's ``seq`` and whether the
deletion went through (``done``) or was rolled back (``not done``, with
the value-free reason). A process killed between the two leaves a record
without outcome, which ``audit verify`` and ``audit export`` show as
unconfirmed: the deletion may or may not have committed, and the dataset
says which. Records written before the two phases existed have no
``phase`` and were written after their deletion: done.

Retention of the log itself can be configured upwards only: a
configuration asking for less than the legal floor is refused, not
silently raised, so that a typo cannot shorten what an auditor relies on.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
from dataclasses import dataclass
from typing import Any

from scanner.config import DEFAULT_AUDIT_RETENTION_DAYS, DEFAULT_DESTRUCTION_RETENTION_DAYS

METHODS = ("delete", "overwrite", "archive+delete")
AUDIT_COMMAND = "delete"  # scanner.audit.DESTRUCTION_COMMANDS: kept for the destruction period
RECORD_KIND = "destruction"
RECORD_VERSION = 1
PHASE_INTENT = "intent"  # the record, written before the commit
PHASE_OUTCOME = "outcome"  # written after it: the record's seq and what became of the deletion
OUTCOME_KIND = "destruction.outcome"  # an outcome entry's kind: not a record (no ``destruction`` field)
OUTCOME_DONE = "done"
OUTCOME_NOT_DONE = "not done"
OUTCOME_UNCONFIRMED = "unconfirmed"  # a record without outcome entry (the process stopped in between)
OUTCOMES = (OUTCOME_DONE, OUTCOME_NOT_DONE)
# The floors of the company's rules: destruction records three years, every other audit record six months.
MIN_DESTRUCTION_RETENTION_DAYS = DEFAULT_DESTRUCTION_RETENTION_DAYS
MIN_AUDIT_RETENTION_DAYS = DEFAULT_AUDIT_RETENTION_DAYS
MIN_DESTRUCTION_RETENTION_YEARS = 3
_HEX_DIGEST = re.compile(r"^[0-9a-f]{32}$")
_FIELDS = frozenset({"version", "time", "operator", "method", "dataset", "source", "rows", "rule", "as_of",
                     "request_id", "subject_hashes", "key_fingerprint"})


class RecordProblem(ValueError):
    """A destruction record that is incomplete or malformed (names the field, never a data value)."""


class RetentionTooShort(ValueError):
    """A configured retention below the legal floor."""


@dataclass(frozen=True)
class Operator:
    """Who destroyed: the OS account that ran the command, and the person named with ``--operator``."""

    os_user: str
    name: str | None = None

    @classmethod
    def current(cls, name: str | None = None) -> Operator:
        """The account running this process (uid when it has no passwd entry), and the given name."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # containers without a passwd entry
            user = f"uid:{os.getuid()}"
        return cls(user, name.strip() if name and name.strip() else None)

    def to_json(self) -> dict[str, Any]:
        return {"os_user": self.os_user, "name": self.name}


@dataclass(frozen=True)
class DestructionRecord:
    """One dataset's rows destroyed by one purge or erase.

    ``rule`` and ``as_of`` say why for a retention purge (``retention``,
    judged on ``as_of``); ``request_id`` says why for a data-subject
    erasure. One of the two is always present: a deletion without a
    reason is not a record an auditor can accept.
    """

    time: dt.datetime
    operator: Operator
    method: str
    dataset: str
    rows: int
    subject_hashes: tuple[str, ...] = ()
    rule: str | None = None
    as_of: dt.date | None = None
    request_id: str | None = None
    source: str | None = None  # the SOURCE argument, passwords already masked by the caller
    key_fingerprint: str | None = None  # the key that made subject_hashes (its public fingerprint)

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise RecordProblem("time must carry its UTC offset")
        if self.method not in METHODS:
            raise RecordProblem(f"method must be one of {', '.join(METHODS)}")
        if not self.dataset:
            raise RecordProblem("dataset is empty")
        if isinstance(self.rows, bool) or not isinstance(self.rows, int) or self.rows < 0:
            raise RecordProblem("rows must be a count (an integer >= 0)")
        if not self.operator.os_user:
            raise RecordProblem("operator.os_user is empty")
        if not (self.rule or self.request_id):
            raise RecordProblem("a destruction record needs the rule or the request it carried out")
        if self.rule and self.as_of is None:
            raise RecordProblem("a rule's destruction needs the as_of date the rule was judged on")
        if any(not isinstance(h, str) or not _HEX_DIGEST.match(h) for h in self.subject_hashes):
            raise RecordProblem("subject_hashes must be 32-digit lower-case hex HMACs (never values)")
        if self.subject_hashes and not self.key_fingerprint:
            raise RecordProblem("subject_hashes need the key_fingerprint that made them")
        if list(self.subject_hashes) != sorted(set(self.subject_hashes)):
            object.__setattr__(self, "subject_hashes", tuple(sorted(set(self.subject_hashes))))

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object (stable field set; what the audit entry and exports carry)."""
        return {
            "version": RECORD_VERSION,
            "time": self.time.astimezone(dt.timezone.utc).isoformat(),
            "operator": self.operator.to_json(),
            "method": self.method,
            "dataset": self.dataset,
            "source": self.source,
            "rows": self.rows,
            "rule": self.rule,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "request_id": self.request_id,
            "subject_hashes": list(self.subject_hashes),
            "key_fingerprint": self.key_fingerprint,
        }

    @classmethod
    def from_json(cls, doc: Any) -> DestructionRecord:
        """A record ``to_json`` wrote (from the audit log or an export); RecordProblem for anything else."""
        if not isinstance(doc, dict):
            raise RecordProblem("a destruction record is a JSON object")
        unknown = sorted(set(doc) - _FIELDS)
        if unknown:
            raise RecordProblem(f"unknown field {unknown[0]!r} in a destruction record")
        if doc.get("version") != RECORD_VERSION:
            raise RecordProblem(f"destruction record version {doc.get('version')!r} is not {RECORD_VERSION}")
        operator = doc.get("operator")
        if not isinstance(operator, dict) or set(operator) - {"os_user", "name"}:
            raise RecordProblem("operator must be an object with os_user and name")
        hashes = doc.get("subject_hashes", [])
        if not isinstance(hashes, list):
            raise RecordProblem("subject_hashes must be a list")
        try:
            return cls(
                time=dt.datetime.fromisoformat(_text(doc, "time")),
                operator=Operator(_text(operator, "os_user"), _optional_text(operator, "name")),
                method=_text(doc, "method"),
                dataset=_text(doc, "dataset"),
                rows=_count(doc, "rows"),
                subject_hashes=tuple(hashes),
                rule=_optional_text(doc, "rule"),
                as_of=dt.date.fromisoformat(doc["as_of"]) if doc.get("as_of") is not None else None,
                request_id=_optional_text(doc, "request_id"),
                source=_optional_text(doc, "source"),
                key_fingerprint=_optional_text(doc, "key_fingerprint"),
            )
        except (TypeError, ValueError) as exc:
            if isinstance(exc, RecordProblem):
                raise
            raise RecordProblem(f"malformed destruction record ({type(exc).__name__})") from None


def _text(doc: dict[str, Any], name: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str):
        raise RecordProblem(f"{name} must be a string")
    return value


def _count(doc: dict[str, Any], name: str) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordProblem(f"{name} must be an integer")
    return value


def _optional_text(doc: dict[str, Any], name: str) -> str | None:
    value = doc.get(name)
    if value is not None and not isinstance(value, str):
        raise RecordProblem(f"{name} must be a string or null")
    return value


def new_record(*, method: str, dataset: str, rows: int, operator_name: str | None = None,
               subject_hashes: tuple[str, ...] | list[str] = (), rule: str | None = None,
               as_of: dt.date | None = None, request_id: str | None = None, source: str | None = None,
               key_fingerprint: str | None = None, now: dt.datetime | None = None) -> DestructionRecord:
    """A record stamped with the current UTC time and the running OS account (plus ``--operator``)."""
    return DestructionRecord(
        time=now or dt.datetime.now(dt.timezone.utc), operator=Operator.current(operator_name), method=method,
        dataset=dataset, rows=rows, subject_hashes=tuple(subject_hashes), rule=rule, as_of=as_of,
        request_id=request_id, source=source, key_fingerprint=key_fingerprint)


def audit_fields(record: DestructionRecord, *, intent: bool = False) -> dict[str, Any]:
    """Keyword arguments for ``AuditLog.record`` that store one destruction record as one chained entry.

    ``command`` is ``delete`` (kept for the destruction period by the log's
    pruning), ``kind`` lets ``audit export --kind destruction`` select it,
    and the whole record travels under ``destruction`` so that
    ``DestructionRecord.from_json(entry["destruction"])`` gives it back.
    ``intent``: written before the commit, an outcome entry follows.
    """
    return {
        "command": AUDIT_COMMAND,
        "sources": [record.source] if record.source else [],
        "outputs": [],
        "counts": {"rows": record.rows, "subjects": len(record.subject_hashes)},
        "key_fingerprint": record.key_fingerprint,
        "exit_code": 0,
        "kind": RECORD_KIND,
        **({"phase": PHASE_INTENT} if intent else {}),
        "destruction": record.to_json(),
    }


def outcome_fields(record_seq: int, outcome: str, dataset: str, reason: str | None = None) -> dict[str, Any]:
    """Keyword arguments for ``AuditLog.record``: what became of the deletion the record ``record_seq`` announced.

    ``reason`` is the removal layer's one value-free line (why it was rolled back).
    """
    if outcome not in OUTCOMES:
        raise RecordProblem(f"outcome must be one of {', '.join(OUTCOMES)}")
    return {"command": AUDIT_COMMAND, "sources": [], "outputs": [], "counts": {}, "key_fingerprint": None,
            "exit_code": 0 if outcome == OUTCOME_DONE else 1, "kind": OUTCOME_KIND, "phase": PHASE_OUTCOME,
            "record_seq": record_seq, "outcome": outcome, "dataset": dataset, "reason": reason}


def outcome_problem(entry: dict[str, Any]) -> str | None:
    """Why an outcome entry is not a complete one (None: it is)."""
    seq = entry.get("record_seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        return "an outcome entry names the record it concludes (record_seq)"
    if entry.get("outcome") not in OUTCOMES:
        return f"outcome must be one of {', '.join(OUTCOMES)}"
    if not isinstance(entry.get("dataset"), str) or not entry["dataset"]:
        return "an outcome entry names its dataset"
    return None


def outcomes(entries: list[dict[str, Any]]) -> dict[int, str]:
    """What became of each destruction record among ``entries``, by its seq (done, not done, unconfirmed).

    Records without a phase predate the two phases and were written after
    their deletion: done.
    """
    concluded = {int(e["record_seq"]): str(e["outcome"]) for e in entries
                 if e.get("kind") == OUTCOME_KIND and outcome_problem(e) is None}
    found: dict[int, str] = {}
    for entry in entries:
        if entry.get("kind") != RECORD_KIND or not isinstance(entry.get("seq"), int):
            continue
        seq = int(entry["seq"])
        found[seq] = OUTCOME_DONE if entry.get("phase") is None else concluded.get(seq, OUTCOME_UNCONFIRMED)
    return found


@dataclass(frozen=True)
class RetentionPeriods:
    """How long the audit log keeps its records: configurable upwards only.

    Destruction records at least three years (and never less than three
    calendar years, whatever the day count says across leap days), every
    other record at least six months.
    """

    audit_days: int = DEFAULT_AUDIT_RETENTION_DAYS
    destruction_days: int = DEFAULT_DESTRUCTION_RETENTION_DAYS

    def __post_init__(self) -> None:
        for name, value, floor, what in (
                ("audit_days", self.audit_days, MIN_AUDIT_RETENTION_DAYS, "6 months"),
                ("destruction_days", self.destruction_days, MIN_DESTRUCTION_RETENTION_DAYS, "3 years")):
            if isinstance(value, bool) or not isinstance(value, int):
                raise RetentionTooShort(f"{name} must be a whole number of days")
            if value < floor:
                raise RetentionTooShort(f"{name} is {value}, below the minimum of {floor} days ({what}): "
                                        "retention can only be configured upwards")

    def keep_until(self, when: dt.datetime, destruction: bool) -> dt.datetime:
        """The earliest moment a record written at ``when`` may be pruned."""
        if not destruction:
            return when + dt.timedelta(days=self.audit_days)
        return max(when + dt.timedelta(days=self.destruction_days), _add_years(when, MIN_DESTRUCTION_RETENTION_YEARS))

    def may_prune(self, when: dt.datetime, destruction: bool, now: dt.datetime) -> bool:
        """Whether a record written at ``when`` is past its retention at ``now``."""
        return now >= self.keep_until(when, destruction)


def _add_years(when: dt.datetime, years: int) -> dt.datetime:
    """The same moment ``years`` calendar years later (29 February goes to 1 March)."""
    try:
        return when.replace(year=when.year + years)
    except ValueError:
        return when.replace(year=when.year + years, month=3, day=1)


def validate_retention(audit_days: int | None = None, destruction_days: int | None = None) -> RetentionPeriods:
    """Configured retention (None: the default), refused with RetentionTooShort when below the floor."""
    return RetentionPeriods(audit_days if audit_days is not None else DEFAULT_AUDIT_RETENTION_DAYS,
                            destruction_days if destruction_days is not None else DEFAULT_DESTRUCTION_RETENTION_DAYS)
