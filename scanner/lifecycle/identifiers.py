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
estate is a lookup instead of a rescan. Its schema (format 2) is
normalized: a ``columns`` table numbers each (dataset, column, entity),
and a posting is (digest, column number, rows), keyed on (digest, column
number) in a ``WITHOUT ROWID`` table, so a lookup by digest is one B-tree
descent and a posting is 16 bytes of digest and two small integers.
Building it (``DatasetWriter``) is one SQLite statement per sorted run of
up to ``RUN_DIGESTS`` digests, not one per posting (bench/README.md,
"Data-subject requests").
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
INDEX_FORMAT = "2"  # 1: one denormalized postings table (digest, entity, dataset, col, rows); refused, rebuilt
# Postings buffered by a DatasetWriter (over all columns of its dataset) before the largest run is written:
# 2**20 x (16-byte digest + 8-byte count) is 24 MB. Longer sorted runs insert faster (the B-tree cursor stays
# on the leaf where the previous digest went): bench/subject_bench.py's scan --index took 5.95 s with runs of
# one 10k-row batch, 4.46 s at 2**18, 4.20 s at 2**20, 4.10 s at 2**21 (bench/README.md).
RUN_DIGESTS = 1 << 20


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

    def digest_array(self, messages: list[bytes]) -> np.ndarray:
        """128-bit HMACs of already-normalized UTF-8 values, one row of ``DIGEST_BYTES`` uint8 each.

        The same digests as ``digests``, without a bytes object per truncated
        digest: the index sorts and writes them as arrays.
        """
        full = np.frombuffer(b"".join(self._hasher.digests(messages)), dtype=np.uint8)
        return np.ascontiguousarray(full.reshape(-1, 32)[:, :DIGEST_BYTES])  # SHA-256: 32 bytes each

    def column_digests(self, entity: str, values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
        """(distinct digests as ``digest_array`` rows, rows holding each) of a column's identifiers.

        Cells that hold none are skipped.
        """
        normalized = normalize_identifiers(entity, values).drop_null()
        if len(normalized) == 0:
            return np.zeros((0, DIGEST_BYTES), dtype=np.uint8), np.zeros(0, dtype=np.int64)
        encoded = pc.dictionary_encode(normalized)
        rows = np.bincount(encoded.indices.to_numpy(zero_copy_only=False), minlength=len(encoded.dictionary))
        # binary, not str: to_pylist then hands out the UTF-8 bytes the HMAC takes (3x faster than str + encode)
        messages = pc.cast(encoded.dictionary, pa.binary()).to_pylist()
        return self.digest_array(messages), rows.astype(np.int64)

    def column(self, entity: str, values: pa.Array | pa.ChunkedArray) -> tuple[list[bytes], np.ndarray]:
        """(distinct digests, rows holding each) of a column's identifiers; cells that hold none are skipped."""
        digests, rows = self.column_digests(entity, values)
        flat = digests.tobytes()
        return [flat[i: i + DIGEST_BYTES] for i in range(0, len(flat), DIGEST_BYTES)], rows

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


# Format 2. A (dataset, column, entity) holding at least one identifier is a numbered row of ``columns``
# (a row exists only while it has postings); a posting is (digest, that number, rows). Postings have no
# secondary index: re-indexing or merging a dataset deletes its postings in one pass over the table (about
# 0.2 s per 2M postings, no slower than through an index on colid), and every build is spared maintaining one.
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS columns (id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, col TEXT NOT NULL, "
    "entity TEXT NOT NULL, UNIQUE (dataset, col, entity))",
    "CREATE TABLE IF NOT EXISTS postings (digest BLOB NOT NULL, colid INTEGER NOT NULL, rows INTEGER NOT NULL, "
    "PRIMARY KEY (digest, colid)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS indexed (dataset TEXT PRIMARY KEY) WITHOUT ROWID",
)

# One sorted run of a column's postings in one statement: ?1 the digests end to end, ?2 how many, ?3 the
# column's number, ?4 the row counts as fixed-width ASCII decimal, ?5 digits each (both BLOBs, so substr()
# takes bytes at an offset, a BLOB for the digest). Within one statement SQLite's B-tree cursor stays on the
# leaf the previous digest went to, which executemany (a statement run per posting, a tuple bound each) loses:
# 2M postings in runs of 2**20 took 2.2 s this way, 3.3 s by executemany (bench/README.md).
_INSERT_RUN = (
    "WITH RECURSIVE run(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM run WHERE i + 1 < ?2) "
    f"INSERT INTO postings (digest, colid, rows) SELECT substr(?1, i * {DIGEST_BYTES} + 1, {DIGEST_BYTES}), ?3, "
    "CAST(substr(?4, i * ?5 + 1, ?5) AS INTEGER) FROM run WHERE true "
    "ON CONFLICT (digest, colid) DO UPDATE SET rows = rows + excluded.rows")


class SubjectIndex:
    """HMAC(identifier) -> (dataset, column, entity, rows) in ``DIR/subjects.sqlite``; never a raw value.

    One key per index: the key's public fingerprint is stored, and an index
    opened with another key is refused (its hashes would silently match
    nothing). So is an index of another format (``INDEX_FORMAT``): the
    message says to rebuild it, which ``scan --index`` does (it always
    builds a fresh file, ``subject_find.building_index``). An existing file
    is never altered by opening it. Deleted postings are zeroed on disk
    (``secure_delete``), so a rebuilt dataset leaves no stale hashes in
    free pages.
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

    def _tables(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _check_meta(self) -> None:
        """Create the schema in an empty file; check an existing index's format and key (IndexProblem)."""
        if not self._tables():
            with self._transaction() as db:
                if not self._tables():  # not created by another process meanwhile
                    for statement in _SCHEMA:
                        db.execute(statement)
                    db.executemany("INSERT INTO meta VALUES (?, ?)", [("format", INDEX_FORMAT),
                                                                       ("key_fingerprint", self.hasher.fingerprint)])
        if "meta" not in self._tables():
            raise IndexProblem(f"{self.path} is not a subject index (a SQLite file of other tables)")
        meta = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("format") != INDEX_FORMAT:
            raise IndexProblem(f"{self.path} has index format {meta.get('format')!r}, this version reads "
                               f"{INDEX_FORMAT}: rebuild it (piiwarden scan ... --index)")
        if meta.get("key_fingerprint") != self.hasher.fingerprint:
            raise IndexProblem(f"{self.path} was built with key {meta.get('key_fingerprint')}, not "
                               f"{self.hasher.fingerprint}: rebuild it with this key or pass the other key")

    def bulk(self) -> None:
        """Settings for an index built from scratch and swapped in only when complete (``scan --index``).

        Nothing needs to survive a crash mid-build (the half-built file is
        thrown away), so the journal stays in memory, writes are not synced
        one by one, and a large page cache keeps the random-digest B-tree
        inserts off the disk: the index pass is dominated by those inserts
        and the HMACs.
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
            if db.execute("SELECT 1 FROM columns WHERE dataset = ? LIMIT 1", (dataset,)).fetchone():
                db.execute("DELETE FROM postings WHERE colid IN (SELECT id FROM columns WHERE dataset = ?)", (dataset,))
                db.execute("DELETE FROM columns WHERE dataset = ?", (dataset,))
            db.execute("INSERT OR IGNORE INTO indexed VALUES (?)", (dataset,))  # read, even if it held no identifier
            writer = DatasetWriter(db, self.hasher, dataset)
            yield writer
            writer.flush()

    def merge(self, other: Path) -> list[str]:
        """Take every dataset of the index in directory ``other`` (a worker's, another scan's), replacing ours.

        Returns the datasets taken. Refused when the other index was built
        with another key or in another format.
        """
        other_path = Path(other) / INDEX_FILENAME
        if not other_path.is_file():
            raise IndexProblem(f"no subject index in {other}")
        with SubjectIndex(Path(other), self.hasher) as _checked:  # format and key checked by opening it
            pass
        self._db.execute("ATTACH DATABASE ? AS other", (str(other_path),))
        try:
            with self._transaction() as db:
                # Every dataset they read, with identifiers or without: one that holds none now keeps
                # none of our old postings either.
                theirs = "SELECT dataset FROM other.indexed UNION SELECT dataset FROM other.columns"
                taken = [r[0] for r in db.execute(f"SELECT dataset FROM ({theirs}) ORDER BY dataset")]
                db.execute(f"DELETE FROM main.postings WHERE colid IN (SELECT id FROM main.columns "
                           f"WHERE dataset IN ({theirs}))")
                db.execute(f"DELETE FROM main.columns WHERE dataset IN ({theirs})")
                # Their column numbers, shifted past ours: the postings are copied as they are, in digest order.
                (shift,) = db.execute("SELECT coalesce(max(id), 0) FROM main.columns").fetchone()
                db.execute("INSERT INTO main.columns SELECT id + ?, dataset, col, entity FROM other.columns", (shift,))
                db.execute("INSERT INTO main.postings SELECT digest, colid + ?, rows FROM other.postings", (shift,))
                db.execute("INSERT OR IGNORE INTO main.indexed SELECT dataset FROM other.indexed")
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
                    "SELECT p.digest, c.entity, c.dataset, c.col, p.rows FROM postings p "
                    f"JOIN columns c ON c.id = p.colid WHERE p.digest IN ({marks})", chunk):
                found.extend(Posting(dataset, col, entity, rows, label)
                             for want, label in wanted[bytes(digest)] if want == entity)
        return sorted(found, key=lambda p: (p.dataset, p.column, p.identifier))

    def overlaps(self, minimum: int = 1) -> list[Overlap]:
        """Dataset pairs sharing at least ``minimum`` identifiers of one entity (the PIA's join risk, measured)."""
        rows = self._db.execute(
            "SELECT ca.entity, ca.dataset, cb.dataset, COUNT(DISTINCT a.digest) "
            "FROM postings a JOIN columns ca ON ca.id = a.colid "
            "JOIN postings b ON b.digest = a.digest "
            "JOIN columns cb ON cb.id = b.colid AND cb.entity = ca.entity AND ca.dataset < cb.dataset "
            "GROUP BY ca.entity, ca.dataset, cb.dataset HAVING COUNT(DISTINCT a.digest) >= ? "
            "ORDER BY ca.entity, ca.dataset, cb.dataset", (minimum,)).fetchall()
        return [Overlap(entity, first, second, int(shared)) for entity, first, second, shared in rows]

    def indexed(self) -> set[str]:
        """Every dataset this index has read, including those without any identifier (so a lookup can say
        which datasets of the sources it knows nothing about)."""
        return {r[0] for r in self._db.execute("SELECT dataset FROM indexed")}

    def datasets(self) -> list[str]:
        """The datasets indexed (holding at least one identifier)."""
        return [r[0] for r in self._db.execute("SELECT DISTINCT dataset FROM columns ORDER BY dataset")]


class DatasetWriter:
    """Adds one dataset's identifier columns to the index, batch after batch (counts add up).

    Batches are buffered per column, at most ``RUN_DIGESTS`` postings over
    all columns (the largest column's are written when more arrive), and
    written as runs in digest order, a digest's rows over the run's batches
    summed first: one SQLite statement per run (``_INSERT_RUN``). ``flush``
    writes what is left; ``SubjectIndex.dataset`` calls it before the
    transaction commits, and an interrupted dataset writes nothing.
    """

    def __init__(self, db: sqlite3.Connection, hasher: SubjectHasher, dataset: str) -> None:
        self._db = db
        self._hasher = hasher
        self.dataset = dataset
        self._pending: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray]]] = {}
        self._sizes: dict[tuple[str, str], int] = {}
        self._ids: dict[tuple[str, str], int] = {}

    def add(self, column: str, entity: str, values: pa.Array | pa.ChunkedArray) -> int:
        """Index one batch of a column; returns how many distinct identifiers it held."""
        digests, rows = self._hasher.column_digests(entity, values)
        if len(digests):
            key = (column, entity)
            self._pending.setdefault(key, []).append((digests, rows))
            self._sizes[key] = self._sizes.get(key, 0) + len(digests)
            while sum(self._sizes.values()) > RUN_DIGESTS:
                self._write(max(self._sizes, key=self._sizes.__getitem__))
        return len(digests)

    def flush(self) -> None:
        """Write every buffered run."""
        for key in list(self._pending):
            self._write(key)

    def _write(self, key: tuple[str, str]) -> None:
        parts = self._pending.pop(key)
        del self._sizes[key]
        digests, rows = _sorted_run(np.concatenate([d for d, _r in parts]), np.concatenate([r for _d, r in parts]))
        width = len(str(int(rows.max())))
        self._db.execute(_INSERT_RUN, (digests.tobytes(), len(digests), self._column_id(*key),
                                       _decimal(rows, width), width))

    def _column_id(self, column: str, entity: str) -> int:
        """The number of (this dataset, column, entity), registered with its first postings."""
        key = (column, entity)
        if key not in self._ids:
            (self._ids[key],) = self._db.execute("INSERT INTO columns (dataset, col, entity) VALUES (?, ?, ?) "
                                                 "RETURNING id", (self.dataset, column, entity)).fetchone()
        return self._ids[key]


def _sorted_run(digests: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Digests (``digest_array`` rows) in byte order, SQLite's BLOB order, each once with its rows summed.

    Sorted by numpy as big-endian 64-bit words (the same order as their
    bytes), not as Python bytes objects by a key function: by the first
    word alone, which orders distinct 128-bit HMACs unless two share their
    first 8 bytes (odds about n^2 / 2^65 per run), checked, and then by
    every word (4x slower).
    """
    words = digests.view(">u8")  # (n, DIGEST_BYTES / 8)
    order = np.argsort(words[:, 0].astype(np.uint64))
    tied = words[order[1:], 0] == words[order[:-1], 0]
    if tied.any() and np.any(words[order[1:]][tied] != words[order[:-1]][tied]):
        order = np.lexsort(words.T[::-1])
    digests, rows, words = digests[order], rows[order], words[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any(words[1:] != words[:-1], axis=1)  # a digest seen in two batches of the run
    if first.all():
        return digests, rows
    starts = np.flatnonzero(first)
    return digests[starts], np.add.reduceat(rows, starts)


def _decimal(counts: np.ndarray, width: int) -> bytes:
    """Non-negative counts as ``width``-digit ASCII decimal end to end (what ``_INSERT_RUN`` reads back)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((counts[:, None] // powers) % 10 + ord("0")).astype(np.uint8).tobytes()
