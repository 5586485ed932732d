"""Destruction records written around the commit, so that no deletion can go unrecorded.

"Every destruction records its time, operator and method": a record
written after the deletion leaves a window (the process killed, the disk
full, right after the commit) in which rows are gone and nothing says so.
A ``DestructionJournal`` closes it for one dataset:

1. ``before_commit`` (the removal layer's hook, ``RemovalOptions.before_commit``,
   or an overwrite's) writes the complete record, marked as an intent, when
   every check has passed and only the commit or the rename is left. If it
   cannot be written the deletion is rolled back: nothing is destroyed
   without its record.
2. ``finish`` then writes the outcome: ``done`` once the commit or rename
   happened, ``not done`` (with the removal's value-free reason) if it
   failed after the record was written.

Killed between the two, the log holds a record without outcome, which
``audit verify`` lists as unconfirmed and ``audit export`` marks so: the
deletion may or may not have committed, and the dataset tells which (the
database rolled back an unfinished transaction; a file was replaced whole
or not at all).
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.audit import AuditLog
from scanner.lifecycle.destruction import OUTCOME_DONE, OUTCOME_NOT_DONE, DestructionRecord
from scanner.lifecycle.removal import Removal, RemovalProblem


class RecordNotWritten(RemovalProblem):
    """The destruction record could not be written before the commit: the deletion was rolled back."""


class DestructionJournal:
    """The two-phase destruction record of one dataset's deletion or overwrite."""

    def __init__(self, audit: AuditLog | None, make_record: Callable[[Removal], DestructionRecord]) -> None:
        self.audit = audit
        self.make_record = make_record
        self.record: DestructionRecord | None = None  # what was (or, without a log, would have been) written
        self.seq: int | None = None  # the record's seq in the log, once written

    def before_commit(self, removal: Removal) -> None:
        """Write the record of what is about to go; RecordNotWritten (nothing destroyed) if the log refuses it."""
        self.record = self.make_record(removal)
        if self.audit is None:
            return
        try:
            entry = self.audit.record_destruction(self.record, intent=True)
        except OSError as exc:
            raise RecordNotWritten(f"the destruction record could not be written to {self.audit.path} "
                                   f"({type(exc).__name__}): rolled back, nothing deleted") from None
        self.seq = int(entry["seq"])

    def finish(self, reason: str | None = None) -> str | None:
        """Conclude the record: done (``reason`` None) or not done because of ``reason``.

        Returns a one-line problem when the outcome could not be written
        (the record stays unconfirmed in the log), else None. Nothing to do
        when no record was written (the deletion never reached its commit).
        """
        if self.audit is None or self.seq is None or self.record is None:
            return None
        outcome = OUTCOME_DONE if reason is None else OUTCOME_NOT_DONE
        try:
            self.audit.record_outcome(self.seq, outcome, self.record.dataset, reason)
        except OSError as exc:
            return (f"destruction record seq {self.seq} written, but not its outcome ({type(exc).__name__}): "
                    "audit verify lists it as unconfirmed")
        return None
