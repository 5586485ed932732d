"""Subject identifiers: normalized like the ``hash`` operator, keyed-hashed, and indexed without raw values.

A data-subject request (PIPL Arts. 44-47) names a person by an identifier
typed by a clerk (``--mobile "+86 138-1234-5678"``), while the estate
holds it in every shape people write. Both sides must reach the same
canonical form, and the one the ``hash`` operator already uses is the
right one: it is what anonymized copies were keyed on, and it is tested.
So a value is normalized exactly as the anonymize column path does before
hashing (``ColumnTransformer``): cells matching the entity's whole-cell
pattern go through ``crypto.normalize_array``; any other cell is judged
(``anonymize.shapes.judge``) and its normalized form hashed. A value on the
command line takes the same path as a one-cell column, so the two can
never drift apart.

What is kept is never the value: an HMAC-SHA256 under the key's
``subject`` sub-key (``keys.Key.derive``), truncated to 128 bits. The
sub-key differs from the ``hash`` operator's on purpose: hashed anonymized
copies are handed to third parties, and the subject index and destruction
records must not be joinable with them by whoever holds a copy.

``SubjectIndex`` keeps HMAC(value) -> (dataset, column, entity, rows) in a
SQLite file under an index directory, so ``subject find`` over a large
estate is a lookup instead of a rescan.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scanner.anonymize.columns import cell_patterns
from scanner.anonymize.crypto import Hasher, normalize_array, normalize_for_hash
from scanner.anonymize.keys import Key
from scanner.anonymize.shapes import judge
from scanner.lifecycle.kinds import identifier_kinds

SUBJECT_KEY_PURPOSE = "subject"
DIGEST_BYTES = 16  # HMAC-SHA256 truncated to 128 bits, as the hash operator's default and RFC 4868
INDEX_FILENAME = "subjects.sqlite"
INDEX_FORMAT = "1"


class IdentifierProblem(ValueError):
    """An identifier option that cannot be used (the message never repeats the value)."""


class IndexProblem(Exception):
    """A subject index that cannot be used: another key, another format, not an index (one line)."""


def normalize_identifiers(entity: str, values: pa.Array | pa.ChunkedArray,
                          pattern_hits: pa.Array | None = None) -> pa.Array:
    """Each cell's canonical form for keyed hashing, null where the cell holds no identifier.

    Mirrors the ``hash`` operator's column path: whole-cell pattern hits are
    normalized in bulk, the rest one distinct value at a time through the
    anonymize verdict (the entity in another shape is normalized first;
    placeholders such as ``无`` and empty cells are not identifiers).

    ``pattern_hits`` lets a scan that already matched the cells against the
    entity's whole-cell pattern (whitespace-trimmed, as classification does)
    pass that mask instead of paying for the regex pass again: it is most
    of this function's cost (bench/distinct_bench.py).
    """
    values = _as_text(values)
    if pattern_hits is not None:
        if len(pattern_hits) != len(values):
            raise ValueError("pattern_hits must have one flag per value")
        if pattern_hits.null_count == 0 and pc.all(pattern_hits).as_py():
            return normalize_array(entity, values)  # every cell the entity in its own shape: nothing to judge
    trimmed = pc.utf8_trim_whitespace(values)
    nonempty = pc.fill_null(pc.greater(pc.utf8_length(trimmed), 0), False)
    pattern = cell_patterns().get(entity)
    if pattern_hits is not None:
        canonical = pc.and_(nonempty, pc.fill_null(pattern_hits, False))
    elif pattern:
        canonical = pc.and_(nonempty, pc.fill_null(pc.match_substring_regex(trimmed, pattern), False))
    else:
        canonical = nonempty
    hits = pc.sum(canonical).as_py() or 0
    if hits == len(values):  # the common case: every cell in the entity's own shape
        return normalize_array(entity, values)
    out = pa.nulls(len(values), pa.string())
    if hits:
        out = pc.replace_with_mask(out, canonical, normalize_array(entity, values.filter(canonical)))
    rest = pc.and_(nonempty, pc.invert(canonical))
    if pc.any(rest).as_py():
        encoded = pc.dictionary_encode(values.filter(rest))
        forms = pa.array([_judged_form(entity, v) for v in encoded.dictionary.to_pylist()], pa.string())
        out = pc.replace_with_mask(out, rest, forms.take(encoded.indices))
    return out


def _as_text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column as the anonymize column path reads it: strings, integral floats without ``.0``.

    A spreadsheet's mobile column arrives as floats (``13812345678.0``); the
    hash operator renders it as ``13812345678`` (``anonymize.columns``), and
    so must the index, or the two would never meet.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if pa.types.is_floating(values.type):
        numbers = values.to_numpy(zero_copy_only=False)
        finite = numbers[np.isfinite(numbers)]
        if np.all(np.mod(finite, 1) == 0):
            return pc.cast(pc.cast(values, pa.int64(), safe=False), pa.string())
    if pa.types.is_null(values.type) or pa.types.is_nested(values.type):
        # A list or record cell (nested JSON) is no one identifier value: not counted, not indexed.
        return pa.nulls(len(values), pa.string())
    try:
        return pc.cast(values, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # a type with no text form (e.g. an extension type)
        return pa.nulls(len(values), pa.string())


def _judged_form(entity: str, value: str) -> str | None:
    """A cell off the whole-cell pattern: normalized as the hash operator would see it, None if no identifier."""
    verdict = judge(entity, value)
    if verdict.kind == "placeholder":
        return None
    return normalize_for_hash(entity, verdict.form if verdict.kind == "entity" else value)


def normalize_identifier(entity: str, value: str) -> str | None:
    """One value's canonical form (``138-1234-5678`` and ``+86 138 1234 5678`` both give ``13812345678``)."""
    form: str | None = normalize_identifiers(entity, pa.array([value], pa.string()))[0].as_py()
    return form


class SubjectHasher:
    """Keyed hashes of normalized identifiers under the key's ``subject`` sub-key."""

    def __init__(self, key: Key) -> None:
        self._hasher = Hasher(key.derive(SUBJECT_KEY_PURPOSE))
        self.fingerprint = key.fingerprint

    def digests(self, normalized: Sequence[str]) -> list[bytes]:
        """128-bit HMACs of already-normalized values."""
        return [d[:DIGEST_BYTES] for d in self._hasher.digests([v.encode("utf-8") for v in normalized])]

    def column(self, entity: str, values: pa.Array | pa.ChunkedArray) -> tuple[list[bytes], np.ndarray]:
        """(distinct digests, rows holding each) of a column's identifiers; cells that hold none are skipped."""
        normalized = normalize_identifiers(entity, values).drop_null()
        if len(normalized) == 0:
            return [], np.zeros(0, dtype=np.int64)
        encoded = pc.dictionary_encode(normalized)
        rows = np.bincount(encoded.indices.to_numpy(zero_copy_only=False), minlength=len(encoded.dictionary))
        return self.digests(encoded.dictionary.to_pylist()), rows.astype(np.int64)

    def hex_digests(self, entity: str, values: pa.Array | pa.ChunkedArray) -> list[str]:
        """Sorted distinct hex HMACs of a column's identifiers: what a destruction record keeps."""
        digests, _rows = self.column(entity, values)
        return sorted(d.hex() for d in digests)


@dataclass(frozen=True)
class SubjectQuery:
    """The keyed hashes a request looks for: (entity, digest) per identifier and per entity it may be held as.

    ``labels`` name each identifier by option and position (``mobile#1``) so
    results can say which one matched without repeating it.
    """

    terms: frozenset[tuple[str, bytes, str]] = field(repr=False)  # (entity, digest, label)

    @classmethod
    def build(cls, identifiers: Iterable[tuple[str, str]], hasher: SubjectHasher) -> SubjectQuery:
        """From (kind, value) pairs as given on the command line (``("mobile", "138-1234-5678")``)."""
        terms: set[tuple[str, bytes, str]] = set()
        seen: dict[str, int] = {}
        for kind, value in identifiers:
            kinds = identifier_kinds()
            if kind not in kinds:
                raise IdentifierProblem(f"unknown identifier kind {kind!r} (use one of: {', '.join(kinds)})")
            seen[kind] = seen.get(kind, 0) + 1
            label = f"{kind}#{seen[kind]}"
            for entity in kinds[kind]:
                form = normalize_identifier(entity, value)
                if form:
                    terms.add((entity, hasher.digests([form])[0], label))
            if not any(t[2] == label for t in terms):
                raise IdentifierProblem(f"--{kind} value number {seen[kind]} is empty or a placeholder")
        if not terms:
            raise IdentifierProblem("no identifier given")
        return cls(frozenset(terms))

    @property
    def labels(self) -> list[str]:
        return sorted({label for _e, _d, label in self.terms})

    def __repr__(self) -> str:  # never the digests either: they are enough to confirm a guess
        return f"SubjectQuery(identifiers={self.labels})"


@dataclass(frozen=True)
class Posting:
    """Where one identifier occurs: a dataset's column, how many rows hold it, which identifier matched."""

    dataset: str
    column: str
    entity: str
    rows: int
    identifier: str = ""  # the query label (``mobile#1``), set by lookups


@dataclass(frozen=True)
class Overlap:
    """Two datasets holding the same identifiers of one entity: how many people they can be joined on."""

    entity: str
    first: str
    second: str
    shared: int  # distinct identifiers (keyed hashes) present in both


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS postings (
    digest BLOB NOT NULL, entity TEXT NOT NULL, dataset TEXT NOT NULL, col TEXT NOT NULL,
    rows INTEGER NOT NULL, PRIMARY KEY (digest, dataset, col, entity)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS postings_dataset ON postings (dataset);
CREATE TABLE IF NOT EXISTS indexed (dataset TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class SubjectIndex:
    """HMAC(identifier) -> (dataset, column, entity, rows) in ``DIR/subjects.sqlite``; never a raw value.

    One key per index: the key's public fingerprint is stored, and an index
    opened with another key is refused (its hashes would silently match
    nothing). Deleted postings are zeroed on disk (``secure_delete``), so a
    rebuilt dataset leaves no stale hashes in free pages.
    """

    def __init__(self, directory: Path, hasher: SubjectHasher) -> None:
        self.directory = Path(directory)
        self.path = self.directory / INDEX_FILENAME
        self.hasher = hasher
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))  # private before the first byte
        self._db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.executescript(_SCHEMA)
            self._check_meta()
        except (sqlite3.DatabaseError, IndexProblem) as exc:
            self._db.close()
            if isinstance(exc, IndexProblem):
                raise
            raise IndexProblem(f"{self.path} is not a subject index ({type(exc).__name__})") from None

    @classmethod
    def open(cls, directory: Path, key: Key) -> SubjectIndex:
        """The index in ``directory`` (created if missing) for this key."""
        return cls(directory, SubjectHasher(key))

    def _check_meta(self) -> None:
        meta = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        if not meta:
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", INDEX_FORMAT),
                                                                   ("key_fingerprint", self.hasher.fingerprint)])
            return
        if meta.get("format") != INDEX_FORMAT:
            raise IndexProblem(f"{self.path} has index format {meta.get('format')!r}, this version reads {INDEX_FORMAT}")
        if meta.get("key_fingerprint") != self.hasher.fingerprint:
            raise IndexProblem(f"{self.path} was built with key {meta.get('key_fingerprint')}, not "
                               f"{self.hasher.fingerprint}: rebuild it with this key or pass the other key")

    def bulk(self) -> None:
        """Settings for an index built from scratch and swapped in only when complete (``scan --index``).

        Nothing needs to survive a crash mid-build (the half-built file is
        thrown away), so the journal stays in memory, writes are not synced
        one by one, and a large page cache keeps the random-digest B-tree
        inserts off the disk: the index pass is dominated by those inserts.
        """
        for pragma in ("PRAGMA synchronous = OFF", "PRAGMA journal_mode = MEMORY", "PRAGMA cache_size = -262144"):
            self._db.execute(pragma)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> SubjectIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextlib.contextmanager
    def dataset(self, dataset: str) -> Iterator[DatasetWriter]:
        """Re-index one dataset: its old postings go, the new ones arrive, all in one transaction.

        An interrupted scan rolls back and leaves the previous postings, never
        half a dataset.
        """
        with self._transaction() as db:
            db.execute("DELETE FROM postings WHERE dataset = ?", (dataset,))
            db.execute("INSERT OR IGNORE INTO indexed VALUES (?)", (dataset,))  # read, even if it held no identifier
            yield DatasetWriter(db, self.hasher, dataset)

    def merge(self, other: Path) -> list[str]:
        """Take every dataset of the index in directory ``other`` (a worker's, another scan's), replacing ours.

        Returns the datasets taken. Refused when the other index was built
        with another key.
        """
        other_path = Path(other) / INDEX_FILENAME
        if not other_path.is_file():
            raise IndexProblem(f"no subject index in {other}")
        with SubjectIndex(Path(other), self.hasher) as _checked:  # format and key checked by opening it
            pass
        self._db.execute("ATTACH DATABASE ? AS other", (str(other_path),))
        try:
            with self._transaction() as db:
                taken = [r[0] for r in db.execute("SELECT DISTINCT dataset FROM other.postings ORDER BY dataset")]
                db.execute("DELETE FROM postings WHERE dataset IN (SELECT dataset FROM other.postings)")
                db.execute("INSERT INTO postings SELECT digest, entity, dataset, col, rows FROM other.postings")
                db.execute("INSERT OR IGNORE INTO indexed SELECT dataset FROM other.indexed")
        finally:
            self._db.execute("DETACH DATABASE other")
        return taken

    def lookup(self, query: SubjectQuery) -> list[Posting]:
        """Every (dataset, column) holding one of the query's identifiers, as the entity it was asked as."""
        wanted: dict[bytes, list[tuple[str, str]]] = {}
        for entity, digest, label in query.terms:
            wanted.setdefault(digest, []).append((entity, label))
        digests = list(wanted)
        found: list[Posting] = []
        for start in range(0, len(digests), 500):  # SQLite's bound-parameter limit
            chunk = digests[start: start + 500]
            marks = ",".join("?" * len(chunk))
            for digest, entity, dataset, col, rows in self._db.execute(
                    f"SELECT digest, entity, dataset, col, rows FROM postings WHERE digest IN ({marks})", chunk):
                found.extend(Posting(dataset, col, entity, rows, label)
                             for want, label in wanted[bytes(digest)] if want == entity)
        return sorted(found, key=lambda p: (p.dataset, p.column, p.identifier))

    def overlaps(self, minimum: int = 1) -> list[Overlap]:
        """Dataset pairs sharing at least ``minimum`` identifiers of one entity (the PIA's join risk, measured)."""
        rows = self._db.execute(
            "SELECT a.entity, a.dataset, b.dataset, COUNT(DISTINCT a.digest) FROM postings a "
            "JOIN postings b ON a.digest = b.digest AND a.entity = b.entity AND a.dataset < b.dataset "
            "GROUP BY a.entity, a.dataset, b.dataset HAVING COUNT(DISTINCT a.digest) >= ? "
            "ORDER BY a.entity, a.dataset, b.dataset", (minimum,)).fetchall()
        return [Overlap(entity, first, second, int(shared)) for entity, first, second, shared in rows]

    def indexed(self) -> set[str]:
        """Every dataset this index has read, including those without any identifier (so a lookup can say
        which datasets of the sources it knows nothing about)."""
        return {r[0] for r in self._db.execute("SELECT dataset FROM indexed")}

    def datasets(self) -> list[str]:
        """The datasets indexed."""
        return [r[0] for r in self._db.execute("SELECT DISTINCT dataset FROM postings ORDER BY dataset")]


class DatasetWriter:
    """Adds one dataset's identifier columns to the index, batch after batch (counts add up)."""

    def __init__(self, db: sqlite3.Connection, hasher: SubjectHasher, dataset: str) -> None:
        self._db = db
        self._hasher = hasher
        self.dataset = dataset

    def add(self, column: str, entity: str, values: pa.Array | pa.ChunkedArray) -> int:
        """Index one batch of a column; returns how many distinct identifiers it held."""
        digests, rows = self._hasher.column(entity, values)
        # In digest order: the postings B-tree then grows at its edge instead of at random pages (1.8x faster measured).
        order = sorted(range(len(digests)), key=digests.__getitem__)
        self._db.executemany(
            "INSERT INTO postings VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (digest, dataset, col, entity) DO UPDATE SET rows = rows + excluded.rows",
            ((digests[i], entity, self.dataset, column, int(rows[i])) for i in order))
        return len(digests)
