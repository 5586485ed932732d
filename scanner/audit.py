"""The audit trail: one hash-chained JSON line per scan, anonymize, decrypt and verify.

The company's rules say processing of personal data must be logged and the
logs kept (six months; destruction records three years), and an auditor must
be able to tell whether the log was doctored. Each line is a JSON object with

- who/where/what: ``time`` (UTC), OS ``user``, ``host``, ``pid``, ``command``,
  ``sources`` (URL passwords masked), ``outputs``, ``counts``,
  ``key_fingerprint`` (never a key, a password or a data value);
- ``seq``: a counter that never repeats, across rotated files;
- ``prev``: the SHA-256 of the previous line's bytes (the hash chain);
- ``hash``: the SHA-256 of this entry without ``hash`` (so an edited line is
  named by itself, not only by its successor's broken link).

``verify_log`` walks the archives and the live file in order and names the
first line of every break: changed (its own hash or its successor's link no
longer matches), removed (a ``seq`` gap), inserted (skipping it restores the
chain), or truncated at the end (``<log>.head``, rewritten after each append,
holds the last ``seq``/hash). A chain proves order and integrity against
edits by hand; anchoring the head hash elsewhere (syslog, a ticket) guards
against someone recomputing the whole tail.

Rotation moves the live file to ``<log>.<UTC timestamp>``; the chain simply
continues into the new file. Archives are deleted only when every entry in
them is past its retention, and the deletion is itself recorded (with the
hash of the last deleted line), so the first remaining line stays verifiable.
That prune entry carries a checkpoint of what went (file, entries, first
and last seq, last line's hash, the file's SHA-256) and, when the log is
given a signing key (``audit rotate --key-file``, or ``PIIWARDEN_KEY``),
an HMAC-SHA256 of the checkpoint under the key's ``audit-checkpoint``
sub-key: without the key nobody can claim a pruned part that was not
there, or drop one and write a believable checkpoint for it.
``verify_log(log, signing_key=...)`` checks those signatures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import hashlib
import hmac
import json
import os
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.config import (  # noqa: F401 - AUDIT_FILENAME and ENV_LOG are part of this module's API
    AUDIT_FILENAME,
    DEFAULT_AUDIT_RETENTION_DAYS,
    DEFAULT_DESTRUCTION_RETENTION_DAYS,
    ENV_LOG,
    default_audit_path,
)
from scanner.lifecycle.destruction import (
    OUTCOME_KIND,
    OUTCOME_UNCONFIRMED,
    RECORD_KIND,
    DestructionRecord,
    RecordProblem,
    RetentionPeriods,
    audit_fields,
    outcome_fields,
    outcome_problem,
    outcomes,
)

GENESIS = "0" * 64
CHECKPOINT_PURPOSE = "audit-checkpoint"  # the key's sub-key that signs pruned archives' checkpoints
ROTATE_BYTES = 16 << 20
# Records of destroying or irreversibly transforming data are kept longer.
DESTRUCTION_COMMANDS = frozenset({"anonymize", "delete"})
_ARCHIVE = re.compile(r"^\d{8}T\d{6}(\d{6})?Z$")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(entry: dict[str, Any]) -> str:
    """The one serialisation of an entry that hashes are taken over."""
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(entry: dict[str, Any]) -> str:
    return sha256(canonical({k: v for k, v in entry.items() if k != "hash"}).encode("utf-8"))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return f"uid:{os.getuid()}"


def _clean_sources(sources: list[str]) -> list[str]:
    """Sources as recorded: URL passwords masked (``${VAR}`` references are left as written)."""
    return [_recorded(s) for s in map(str, sources)]


def _recorded(location: str) -> str:
    """A source or output as the log records it: a URL with its secrets masked, a path made absolute.

    The URL masker lives with the database connector, which loads
    SQLAlchemy: imported only for a URL, so logging a file scan stays light.
    """
    if "://" not in location:
        return str(Path(location).resolve())
    from scanner.connectors.urls import mask_source

    return mask_source(location)


@dataclass
class AuditLog:
    """An append-only, hash-chained log file plus its rotated archives."""

    path: Path
    retention_days: int = DEFAULT_AUDIT_RETENTION_DAYS
    destruction_retention_days: int = DEFAULT_DESTRUCTION_RETENTION_DAYS
    rotate_bytes: int = ROTATE_BYTES
    clock: Any = field(default=None, repr=False)  # () -> aware datetime; tests pass a fixed clock
    # Signs the checkpoints of pruned archives (``Key.derive(CHECKPOINT_PURPOSE)``) and names the key by its
    # public fingerprint; None: checkpoints are chained but unsigned.
    signing_key: bytes | None = field(default=None, repr=False)
    signing_fingerprint: str | None = None

    def __post_init__(self) -> None:
        self.periods  # noqa: B018 - configurable upwards only: RetentionTooShort below six months / three years

    @property
    def periods(self) -> RetentionPeriods:
        """The retention of this log's records (checked against the legal floors)."""
        return RetentionPeriods(self.retention_days, self.destruction_retention_days)

    def now(self) -> dt.datetime:
        return self.clock() if self.clock else dt.datetime.now(dt.timezone.utc)

    @property
    def head_path(self) -> Path:
        return self.path.with_name(self.path.name + ".head")

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def files(self) -> list[Path]:
        """Archives oldest first, then the live file (if present)."""
        archives = sorted(p for p in self.path.parent.glob(self.path.name + ".*")
                          if _ARCHIVE.match(p.name[len(self.path.name) + 1:]))
        return archives + ([self.path] if self.path.exists() else [])

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise writers (a scan and an anonymize may finish at the same moment)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _tail(self) -> tuple[int, str]:
        """(last seq, hash of the last line) over the live file, else the newest archive.

        A last line cut short (a full disk, a crash mid-write) is still what
        the next entry links to, so ``verify`` names that line and the chain
        goes on after it; the seq continues from the last line that parses.
        """
        digest: str | None = None
        for path in reversed(self.files()):
            lines = [line for _, line in _lines(path) if line.strip()]
            if not lines:
                continue
            digest = digest or sha256(lines[-1].encode("utf-8"))
            seq = _last_seq(lines)
            if seq is not None:
                return seq, digest
        return 0, digest or GENESIS

    def _append(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Chain and write one entry (caller holds the lock)."""
        seq, prev = self._tail()
        entry = {"seq": seq + 1, "time": self.now().isoformat(timespec="seconds"), **fields, "prev": prev}
        entry["hash"] = entry_hash(entry)
        line = canonical(entry)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            size = os.fstat(fd).st_size
            cut = size > 0 and os.pread(fd, 1, size - 1) != b"\n"  # a line cut short: end it, do not glue to it
            os.write(fd, (("\n" if cut else "") + line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        _write_head(self.head_path, entry["seq"], sha256(line.encode("utf-8")))
        return entry

    def record(self, command: str, *, sources: list[str] | None = None, outputs: list[str] | None = None,
               counts: dict[str, Any] | None = None, key_fingerprint: str | None = None,
               exit_code: int | None = None, **extra: Any) -> dict[str, Any]:
        """Append one entry for a finished command; rotates first when the live file is large."""
        fields: dict[str, Any] = {
            "user": _os_user(), "host": socket.gethostname(), "pid": os.getpid(), "command": command,
            "sources": _clean_sources(sources or []), "outputs": [_recorded(o) for o in map(str, outputs or [])],
            "counts": counts or {}, "key_fingerprint": key_fingerprint, "exit_code": exit_code, **extra,
        }
        with self._locked():
            if self.path.exists() and self.path.stat().st_size >= self.rotate_bytes:
                self._rotate_locked()
            return self._append(fields)

    def record_destruction(self, record: DestructionRecord, *, intent: bool = False) -> dict[str, Any]:
        """Append one destruction record (``destruction.audit_fields``): kept for the destruction period.

        ``intent``: written before the deletion commits; ``record_outcome``
        concludes it (``journal.DestructionJournal``).
        """
        return self.record(**audit_fields(record, intent=intent))

    def record_outcome(self, record_seq: int, outcome: str, dataset: str, reason: str | None = None) -> dict[str, Any]:
        """Append what became of the deletion the destruction record ``record_seq`` announced."""
        return self.record(**outcome_fields(record_seq, outcome, dataset, reason))

    def rotate(self) -> list[str]:
        """Archive the live file, then delete archives whose every entry is past retention."""
        with self._locked():
            return self._rotate_locked()

    def _rotate_locked(self) -> list[str]:
        if self.path.exists() and self.path.stat().st_size:
            stamp = self.now().strftime("%Y%m%dT%H%M%S%fZ")
            os.replace(self.path, self.path.with_name(f"{self.path.name}.{stamp}"))
        return self._prune_locked()

    def _prune_locked(self) -> list[str]:
        """Delete expired archives from the oldest on; stop at the first one still needed."""
        removed: list[str] = []
        archives = [p for p in self.files() if p != self.path]
        for archive in archives[:-1]:  # the newest archive carries the chain's tail; keep it
            expiry = self._expires(archive)
            if expiry is None or expiry > self.now():
                break
            point = checkpoint(archive)
            archive.unlink()
            removed.append(archive.name)
            key, fingerprint = self._signer()
            self._append({"user": _os_user(), "host": socket.gethostname(), "pid": os.getpid(),
                          "command": "audit.prune", "sources": [], "outputs": [],
                          "key_fingerprint": fingerprint if key else None,
                          "counts": {"entries": point["entries"]}, "removed_file": archive.name,
                          "removed_last_hash": point["last_hash"], "checkpoint": point,
                          **({"checkpoint_signature": sign_checkpoint(key, point)} if key else {}),
                          "exit_code": 0})
        return removed

    def _signer(self) -> tuple[bytes | None, str | None]:
        """The checkpoint signing key: the one given, else ``PIIWARDEN_KEY``'s (a prune inside any command)."""
        if self.signing_key is not None:
            return self.signing_key, self.signing_fingerprint
        if not os.environ.get("PIIWARDEN_KEY"):
            return None, None
        from scanner.anonymize.keys import KeyProblem, load_key  # only when pruning: rare

        try:
            key = load_key(None)
        except KeyProblem:
            return None, None
        return (key.derive(CHECKPOINT_PURPOSE), key.fingerprint) if key is not None else (None, None)

    def _expires(self, archive: Path) -> dt.datetime | None:
        """When the last entry of an archive stops being protected by retention."""
        latest: dt.datetime | None = None
        for _, line in _lines(archive):
            try:
                entry = json.loads(line)
                when = dt.datetime.fromisoformat(entry["time"])
            except (ValueError, KeyError, TypeError):
                return None  # unreadable: never delete what cannot be judged
            until = self.periods.keep_until(when, is_destruction(entry))
            latest = until if latest is None or until > latest else latest
        return latest


def checkpoint(archive: Path) -> dict[str, Any]:
    """What a pruned archive held, for its prune entry: file, entries, first and last seq, last hash, SHA-256."""
    seqs: list[int] = []
    last: str | None = None
    for _, line in _lines(archive):
        if not line.strip():
            continue
        last = line
        with contextlib.suppress(ValueError, AttributeError):
            seq = json.loads(line).get("seq")
            if isinstance(seq, int):
                seqs.append(seq)
    return {"file": archive.name, "entries": len(seqs), "first_seq": min(seqs, default=None),
            "last_seq": max(seqs, default=None), "last_hash": sha256(last.encode("utf-8")) if last else None,
            "sha256": sha256(archive.read_bytes())}


def sign_checkpoint(key: bytes, point: dict[str, Any]) -> str:
    """HMAC-SHA256 of a checkpoint's canonical JSON under the signing sub-key (hex)."""
    return hmac.new(key, canonical(point).encode("utf-8"), hashlib.sha256).hexdigest()


def is_destruction(entry: dict[str, Any]) -> bool:
    """Whether an entry records destroying or irreversibly transforming data (kept the destruction period)."""
    return entry.get("command") in DESTRUCTION_COMMANDS or entry.get("kind") == RECORD_KIND


def read_entries(log: AuditLog) -> list[dict[str, Any]]:
    """Every entry that parses as a JSON object, archives first (``audit verify`` judges the rest)."""
    return [ln.entry for ln in _read_all(log.files()) if ln.entry is not None]


def _write_head(path: Path, seq: int, digest: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"seq": seq, "hash": digest}) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, text without the newline) of a log file."""
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, raw in enumerate(fh, 1):
            yield number, raw.rstrip("\n")


def _last_seq(lines: list[str]) -> int | None:
    """The seq of the last of a log file's lines that parses as an entry (None: no such line), read from the end."""
    for line in reversed(lines):
        with contextlib.suppress(ValueError, AttributeError):
            seq = json.loads(line).get("seq")
            if isinstance(seq, int):
                return seq
    return None


def _last_line(path: Path) -> str | None:
    last = None
    for _, line in _lines(path):
        if line.strip():
            last = line
    return last


# --- verification ---------------------------------------------------------------------------

@dataclass
class Problem:
    """One break in the chain, named by file and line."""

    file: str
    line: int
    kind: str  # changed | removed | inserted | truncated | invalid
    detail: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.detail}"


@dataclass
class Verdict:
    """The outcome of ``verify_log``."""

    entries: int = 0
    files: int = 0
    head: str = GENESIS
    problems: list[Problem] = field(default_factory=list)
    # Destruction records without outcome: not tampering, but a deletion nobody confirmed (its run stopped
    # between the record and the outcome); the dataset says whether the rows went.
    unconfirmed: list[Problem] = field(default_factory=list)
    # Prune checkpoints whose signature could not be checked: unsigned, or signed with another key.
    unchecked: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Line:
    file: str
    number: int
    text: str
    entry: dict[str, Any] | None
    digest: str


def _read_all(files: list[Path]) -> list[_Line]:
    out = []
    for path in files:
        for number, text in _lines(path):
            try:
                entry = json.loads(text)
                entry = entry if isinstance(entry, dict) else None
            except ValueError:
                entry = None
            out.append(_Line(str(path), number, text, entry, sha256(text.encode("utf-8"))))
    return out


def _anchors(lines: list[_Line]) -> set[str]:
    """Hashes of pruned lines, vouched for by prune records inside the chain."""
    return {ln.entry["removed_last_hash"] for ln in lines
            if ln.entry and ln.entry.get("command") == "audit.prune" and ln.entry.get("removed_last_hash")}


def _link_problem(lines: list[_Line], i: int) -> Problem | None:
    """Why line i's ``prev`` does not match the line before it."""
    cur, before = lines[i], lines[i - 1]
    seq, seq_before = cur.entry.get("seq"), (before.entry or {}).get("seq")  # type: ignore[union-attr]
    before_before = lines[i - 2].digest if i >= 2 else GENESIS
    if cur.entry.get("prev") == before_before:  # type: ignore[union-attr]
        if cur.digest == before.digest:
            return Problem(cur.file, cur.number, "inserted", f"a copy of line {before.number}")
        return Problem(before.file, before.number, "inserted", "this line is not part of the chain")
    if isinstance(seq, int) and isinstance(seq_before, int) and seq > seq_before + 1:
        n = seq - seq_before - 1
        return Problem(cur.file, cur.number, "removed",
                       f"{n} entr{'y' if n == 1 else 'ies'} (seq {seq_before + 1}"
                       f"{'' if n == 1 else f'..{seq - 1}'}) removed before this line")
    return Problem(before.file, before.number, "changed", "the next line's link (prev) no longer matches it")


def _bad_line(lines: list[_Line], i: int, why: str) -> Problem:
    """A line that fails its own checks: inserted if the chain holds without it, else changed."""
    cur = lines[i]
    before = lines[i - 1].digest if i else GENESIS
    after = lines[i + 1].entry if i + 1 < len(lines) else None
    if after is not None and after.get("prev") == before:
        return Problem(cur.file, cur.number, "inserted", f"this line is not part of the chain ({why})")
    return Problem(cur.file, cur.number, "changed", why)


def verify_log(log: AuditLog, signing_key: bytes | None = None, signing_fingerprint: str | None = None) -> Verdict:
    """Check the whole chain (archives, live file, head); every problem names its line.

    With the signing key (and its fingerprint), the checkpoints of pruned
    archives are checked too: a signature that does not match is a
    problem; a checkpoint without signature, or signed with another key,
    is listed as unchecked.
    """
    files = log.files()
    lines = _read_all(files)
    verdict = Verdict(entries=len(lines), files=len(files))
    anchors = _anchors(lines)
    flagged: set[int] = set()
    for i, ln in enumerate(lines):
        if ln.entry is None or "prev" not in ln.entry or "seq" not in ln.entry:
            verdict.problems.append(_bad_line(lines, i, "not a valid audit entry"))
            flagged.add(i)
            continue
        if ln.entry.get("hash") != entry_hash(ln.entry):
            verdict.problems.append(_bad_line(lines, i, "content does not match its hash"))
            flagged.add(i)
        elif (why := _destruction_problem(ln.entry)) is not None:
            verdict.problems.append(Problem(ln.file, ln.number, "invalid", why))
        expected = lines[i - 1].digest if i else None
        if i == 0:
            if ln.entry["prev"] != GENESIS and ln.entry["prev"] not in anchors:
                verdict.problems.append(Problem(ln.file, ln.number, "removed",
                                                "entries before this line are missing (chain does not start here)"))
        elif ln.entry["prev"] != expected and (i - 1) not in flagged:
            problem = _link_problem(lines, i)
            if problem is not None:
                verdict.problems.append(problem)
                flagged.add(i - 1 if problem.kind in ("changed", "inserted") else i)
    _check_head(log, lines, verdict)
    verdict.head = lines[-1].digest if lines else GENESIS
    verdict.unconfirmed = _unconfirmed(lines)
    _check_checkpoints(lines, verdict, signing_key, signing_fingerprint)
    return verdict


def _check_checkpoints(lines: list[_Line], verdict: Verdict, key: bytes | None, fingerprint: str | None) -> None:
    """Prune entries' checkpoint signatures, against the signing key when one is given.

    Without a key they are listed as unchecked. With one, every checkpoint
    must carry that key's signature: whoever can rewrite the log could
    otherwise strip a signature, or sign with a key of their own and name
    it, so an unsigned checkpoint or another key's is a problem (a log
    rotated without the key fails verification with it: say so in the
    audit, or verify that part without the key).
    """
    for ln in lines:
        entry = ln.entry or {}
        if entry.get("command") != "audit.prune":
            continue
        point, signature = entry.get("checkpoint"), entry.get("checkpoint_signature")
        signed = isinstance(point, dict) and isinstance(signature, str)
        if key is None:
            verdict.unchecked.append(Problem(ln.file, ln.number, "unchecked" if signed else "unsigned",
                                             "a signed checkpoint: pass the key (--key-file) to check it" if signed
                                             else f"the checkpoint of pruned {entry.get('removed_file')} is not signed"))
        elif not signed:
            verdict.problems.append(Problem(ln.file, ln.number, "invalid",
                                            f"the checkpoint of pruned {entry.get('removed_file')} is not signed "
                                            "with the key given"))
        elif entry.get("key_fingerprint") != fingerprint:
            verdict.problems.append(Problem(ln.file, ln.number, "invalid",
                                            f"the checkpoint is signed with key {entry.get('key_fingerprint')}, "
                                            f"not the key given ({fingerprint})"))
        elif not _signature_holds(key, point, signature) \
                or (point or {}).get("last_hash") != entry.get("removed_last_hash"):
            verdict.problems.append(Problem(ln.file, ln.number, "changed",
                                            "the checkpoint of a pruned archive does not match its signature"))


def _signature_holds(key: bytes, point: Any, signature: Any) -> bool:
    """Whether ``signature`` is the checkpoint's HMAC under ``key`` (compared as bytes: a forged one may be any text)."""
    if not isinstance(point, dict) or not isinstance(signature, str):
        return False
    return hmac.compare_digest(signature.encode("utf-8"), sign_checkpoint(key, point).encode("ascii"))


def _unconfirmed(lines: list[_Line]) -> list[Problem]:
    """Destruction records no outcome entry concludes, each named by its line."""
    entries = [ln.entry for ln in lines if ln.entry is not None]
    pending = {seq for seq, outcome in outcomes(entries).items() if outcome == OUTCOME_UNCONFIRMED}
    found = []
    for ln in lines:
        entry = ln.entry or {}
        if entry.get("seq") in pending:
            dataset = (entry.get("destruction") or {}).get("dataset")
            found.append(Problem(ln.file, ln.number, "unconfirmed",
                                 f"destruction record seq {entry['seq']} ({dataset}) has no outcome: its run "
                                 "stopped between the record and the commit's confirmation; check whether the "
                                 "dataset still holds the rows"))
    return found


def _destruction_problem(entry: dict[str, Any]) -> str | None:
    """Why a destruction entry does not hold a complete destruction record (None: it does, or is no such entry).

    The chain proves the line was not edited after it was written; this
    proves it says what an auditor needs (time, operator, method, dataset,
    rows, the rule or request), so a record written by hand is caught too.
    """
    if entry.get("kind") == OUTCOME_KIND:
        why = outcome_problem(entry)
        return None if why is None else f"not a complete outcome entry: {why}"
    if entry.get("kind") != RECORD_KIND:
        return None
    try:
        DestructionRecord.from_json(entry.get("destruction"))
    except RecordProblem as exc:
        return f"not a complete destruction record: {exc}"
    return None


def _check_head(log: AuditLog, lines: list[_Line], verdict: Verdict) -> None:
    """Lines cut off the end leave no broken link; the head file remembers the last seq."""
    try:
        head = json.loads(log.head_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    last = lines[-1] if lines else None
    last_seq = (last.entry or {}).get("seq", 0) if last else 0
    if isinstance(head.get("seq"), int) and head["seq"] > last_seq:
        where = last.file if last else str(log.path)
        n = head["seq"] - last_seq
        verdict.problems.append(Problem(where, (last.number if last else 0) + 1, "removed",
                                        f"{n} entr{'y' if n == 1 else 'ies'} missing at the end of the log "
                                        f"(last recorded seq {head['seq']})"))
    elif last is not None and head.get("seq") == last_seq and head.get("hash") != last.digest \
            and not any(p.line == last.number and p.file == last.file for p in verdict.problems):
        verdict.problems.append(Problem(last.file, last.number, "changed", "does not match the recorded head"))
    elif isinstance(head.get("seq"), int) and isinstance(last_seq, int) and head["seq"] < last_seq:
        _check_appended(lines, head, verdict)


def _check_appended(lines: list[_Line], head: dict[str, Any], verdict: Verdict) -> None:
    """Lines after the recorded head were not written by ``record``: it rewrites the head on every append.

    A forger can chain a new line correctly (right ``prev``, right ``hash``),
    so only the head tells it apart. The one honest cause is a run killed
    between its append and the head update; the next append heals that, and
    until then the line is reported rather than trusted.
    """
    after = next((i + 1 for i, ln in enumerate(lines)
                  if (ln.entry or {}).get("seq") == head["seq"] and ln.digest == head.get("hash")), None)
    if after is None or after >= len(lines):
        return
    first = lines[after]
    if any(p.file == first.file and p.line == first.number for p in verdict.problems):
        return
    n = len(lines) - after
    verdict.problems.append(Problem(first.file, first.number, "inserted",
                                    f"{n} line{'' if n == 1 else 's'} after the last recorded entry "
                                    f"(seq {head['seq']}) not written by piiwarden (forged, or its run "
                                    "died before recording it)"))


def record_command(command: str, *, outdir: Path | None = None, log_path: Path | None = None,
                   **fields: Any) -> dict[str, Any] | None:
    """One-line hook for a command: append to the default log; a failure to log is reported, not fatal.

    Returns the entry, or None if the log could not be written (the caller's
    command already did its work; an unwritable log must not undo it, but it
    is printed to stderr so the operator notices).
    """
    path = log_path or default_audit_path(outdir)
    try:
        return AuditLog(path).record(command, **fields)
    except OSError as exc:
        import sys

        print(f"piiwarden: warning: cannot write audit log {path}: {type(exc).__name__}", file=sys.stderr)
        return None


def run_counts(record: dict[str, Any]) -> dict[str, Any]:
    """Counts of an anonymize/decrypt record (``anonymization.json`` / ``decryption.json``): never values."""
    datasets = record.get("datasets") or []
    counts: dict[str, Any] = {
        "datasets": len(datasets),
        "columns": sum(len(d.get("columns") or []) for d in datasets),
        "errors": len(record.get("errors") or []),
    }
    restored = [c.get("values_restored") for d in datasets for c in d.get("columns") or []]
    if any(isinstance(n, int) for n in restored):
        counts["values_restored"] = sum(n for n in restored if isinstance(n, int))
    return counts


def record_run(command: str, record: dict[str, Any], *, sources: list[str], outdir: Path,
               target: str | None = None, exit_code: int | None = None) -> dict[str, Any] | None:
    """The one-line hook for ``anonymize`` and ``decrypt``: counts and key fingerprint from their record.

    Their exit code is 3 when a source failed, else 0, so it is derived from
    the record unless given.
    """
    errors = record.get("errors") or []
    return record_command(command, outdir=outdir, sources=sources,
                          outputs=[str(outdir)] + ([target] if target else []), counts=run_counts(record),
                          exit_code=exit_code if exit_code is not None else (3 if errors else 0),
                          key_fingerprint=(record.get("run") or {}).get("key_fingerprint"))


def record_verify(outdir: Path, result: Any) -> dict[str, Any] | None:
    """The one-line hook for ``verify``: what was checked and what failed (counts only)."""
    failures, errors = len(getattr(result, "failures", [])), len(getattr(result, "errors", []))
    counts = {"datasets": getattr(result, "datasets", 0), "failures": failures,
              "accepted": len(getattr(result, "accepted", [])), "errors": errors}
    return record_command("verify", outdir=outdir, sources=[str(outdir)], outputs=[], counts=counts,
                          exit_code=1 if failures else 3 if errors else 0)
