"""Documents on file shares as datasets: a document's text is one free-text column, tables are their own.

``scanner.documents`` reads a document (and everything nested in it) into located records; this
module maps them to the datasets the pipeline scans, as CONTRACT.md "Documents, archives, images"
asks: ``合同.docx`` is a dataset with one ``text`` column (one row per located part: page,
paragraph, slide, ...), ``合同.docx#table1`` and ``mail.zip!/a.eml!/附件.xlsx#Sheet1`` are tables
of their own (first row as header), an image not read (OCR off) is a dataset with no rows that
lists it under ``not_read``, and a nested member that is encrypted or corrupt is a dataset whose
only content is its one error line (its siblings are still read).

Discovery walks the file once (reading is cheap next to detection) to learn the ids; the walk is
kept in a bounded per-process cache, so the datasets' batches, read in the forked ``--workers``
processes, and the policy's exact counts reuse it. With ``--ocr`` that walk includes OCR, so each
image is read once (Tesseract runs its own threads); a file whose walk is too big for the cache
is walked again where its batches are read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.common import DEFAULT_READ_OPTIONS, ReadOptions
from scanner.documents import (
    DocPath,
    DocumentError,
    Limits,
    NotRead,
    Ocr,
    Part,
    Unreadable,
    format_id,
    read_document,
)
from scanner.documents import ReadOptions as DocReadOptions
from scanner.documents.registry import reader_for

TEXT_SCHEMA = pa.schema([("text", pa.string())])
# Reader names that are formats of findings.json; containers (zip, tar, gzip) are never datasets.
DATASET_FORMATS = frozenset({"docx", "pptx", "xls", "xlsx", "pdf", "eml", "html", "image", "text"})
CONTAINERS = frozenset({"zip", "tar", "gzip"})
TABLES_ONLY = frozenset({"xls", "xlsx"})  # workbooks: their sheets are the datasets, there is no text
CACHE_CHARS = 64 << 20  # text kept from recent walks, per process
MAX_HEADER = 200  # a table's header cell is cut here (a header is a name, not content)


def document_format(path: DocPath) -> str:
    """The findings.json format of the document ``path`` points into (``text`` for unknown kinds)."""
    reader = reader_for(path.name)
    if reader is None:
        return "text"
    if reader.name == "text" and path.name.lower().endswith(".csv"):
        return "csv"
    return reader.name if reader.name in DATASET_FORMATS else "text"


@dataclass
class Group:
    """What one dataset of a document holds after a walk."""

    id: str
    format: str
    table: bool = False
    texts: list[str] = field(default_factory=list)
    where: list[tuple[str, int]] = field(default_factory=list)  # (location kind, index) per text row
    rows: list[tuple[str, ...]] = field(default_factory=list)
    location: str = ""  # sheet or table name, for table datasets
    not_read: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def chars(self) -> int:
        return sum(len(t) for t in self.texts) + sum(len(c) for r in self.rows for c in r)


@dataclass
class Walked:
    """Every dataset of one top-level file, in the order first met."""

    groups: dict[str, Group] = field(default_factory=dict)

    def group(self, path: DocPath, table: bool = False) -> Group:
        key = format_id(path)
        found = self.groups.get(key)
        if found is None:
            found = Group(key, document_format(path), table=table, location=path.table or "")
            self.groups[key] = found
        return found


def _nearest_dataset(walked: Walked, path: DocPath) -> Group | None:
    """The closest enclosing document that is a dataset (for members of unknown type)."""
    members = path.members
    while members:
        members = members[:-1]
        candidate = DocPath(path.file, members)
        if format_id(candidate) in walked.groups:
            return walked.groups[format_id(candidate)]
    return None


def _not_read_entry(record: NotRead) -> dict[str, Any]:
    return {"path": format_id(record.path), "kind": record.kind, "index": record.index, "reason": record.reason}


def walk(path: Path, name: str, options: ReadOptions) -> Walked:
    """Read the file ``path`` (dataset id ``name``) into its datasets; ``DocumentError`` if it is refused."""
    limits = Limits(max_pdf_pages=options.max_pdf_pages)
    doc_options = DocReadOptions(limits=limits, ocr=Ocr() if options.ocr else None)
    walked = Walked()
    top = DocPath(name)
    reader = reader_for(name)
    if reader is not None and reader.name not in CONTAINERS | TABLES_ONLY:
        walked.group(top)  # a document is a dataset even when it holds no text
    pending: list[NotRead] = []
    for record in read_document(name, path, doc_options):
        if isinstance(record, Part):
            if record.is_table:
                group = walked.group(record.path, table=True)
                group.rows.extend(record.rows or ())
            else:
                group = walked.group(record.path.document)
                group.texts.append(record.text)
                group.where.append((record.kind, record.index))
        elif isinstance(record, NotRead):
            if record.kind in ("image", "image_page"):  # the image, or the PDF holding the page
                walked.group(record.path.document).not_read.append(_not_read_entry(record))
            else:
                pending.append(record)
        elif isinstance(record, Unreadable):
            walked.group(record.path.document).error = record.error
    for record in pending:  # unknown member types: listed by their nearest enclosing dataset
        owner = _nearest_dataset(walked, record.path) or walked.group(record.path.document)
        owner.not_read.append(_not_read_entry(record))
    return walked


class _Cache:
    """Recent walks by (file, mtime, size, id, options), bounded by the text they hold."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: OrderedDict[tuple[Any, ...], tuple[Walked, int]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Walked | None:
        with self.lock:
            found = self.items.get(key)
            if found is None:
                return None
            self.items.move_to_end(key)
            return found[0]

    def put(self, key: tuple[Any, ...], walked: Walked) -> None:
        size = sum(g.chars for g in walked.groups.values())
        if size > self.limit:
            return
        with self.lock:
            self.items[key] = (walked, size)
            while sum(s for _w, s in self.items.values()) > self.limit:
                self.items.popitem(last=False)


_CACHE = _Cache(CACHE_CHARS)


def _key(path: Path, name: str, options: ReadOptions) -> tuple[Any, ...]:
    info = path.stat()
    return (str(path), info.st_mtime_ns, info.st_size, name, options.ocr, options.max_pdf_pages)


def cached_walk(path: Path, name: str, options: ReadOptions) -> Walked:
    """``walk`` through the per-process cache; a refused file raises ``SourceError`` (one line)."""
    key = _key(path, name, options)
    found = _CACHE.get(key)
    if found is not None:
        return found
    try:
        walked = walk(path, name, options)
    except DocumentError as err:
        raise SourceError(err.line) from None
    _CACHE.put(key, walked)
    return walked


def _header(first: tuple[str, ...], width: int) -> list[str]:
    """Column names from a table's first row: blanks and repeats made unique (``col3``, ``姓名#2``)."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for i in range(width):
        raw = (first[i] if i < len(first) else "").strip()[:MAX_HEADER] or f"col{i + 1}"
        count = seen.get(raw, 0) + 1
        seen[raw] = count
        names.append(raw if count == 1 else f"{raw}#{count}")
    return names


def table_batch(rows: list[tuple[str, ...]]) -> pa.RecordBatch:
    """A table's rows under its first row as header, every column text."""
    width = max((len(r) for r in rows), default=0)
    if not rows or width == 0:
        return pa.RecordBatch.from_pydict({"col1": []}, schema=pa.schema([("col1", pa.string())]))
    names = _header(rows[0], width)
    body = rows[1:]
    columns = {name: [r[i] if i < len(r) else "" for r in body] for i, name in enumerate(names)}
    return pa.RecordBatch.from_pydict(columns, schema=pa.schema([(n, pa.string()) for n in names]))


class DocumentExtras:
    """What a document dataset adds to its findings: entity locations and content not read.

    Called by the pipeline after detection (``Dataset.document``); it re-reads the walk from the
    cache (or walks again) and counts each found entity's spans per location, never values.
    """

    def __init__(self, path: Path, name: str, ds_id: str, options: ReadOptions) -> None:
        self.path, self.name, self.ds_id, self.options = path, name, ds_id, options

    def group(self) -> Group:
        walked = cached_walk(self.path, self.name, self.options)
        return walked.groups.get(self.ds_id) or Group(self.ds_id, "text")

    def extras(self, columns: list[Any]) -> dict[str, Any]:
        """``locations`` and ``not_read`` for the dataset's result (empty ones left out)."""
        group = self.group()
        out: dict[str, Any] = {}
        if group.not_read:
            out["not_read"] = list(group.not_read)
        locations = _table_locations(group, columns) if group.table else text_locations(group, columns)
        if locations:
            out["locations"] = locations
        return out


def _table_locations(group: Group, columns: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """A table's entities located on its sheet/table: the sum of its columns' matches."""
    kind = "sheet" if group.format in ("xlsx", "xls", "csv") else "table"
    totals: dict[str, int] = {}
    for column in columns:
        for entity in column.entities:
            if entity.matches:
                totals[entity.entity] = totals.get(entity.entity, 0) + entity.matches
    return {e: [{"kind": kind, "name": group.location, "count": n}] for e, n in sorted(totals.items())}


def text_locations(group: Group, columns: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Per entity of the ``text`` column, how many spans each location (page 3, paragraph 12) holds."""
    text_column = next((c for c in columns if c.name == "text"), None)
    wanted = {e.entity for e in text_column.entities} if text_column is not None else set()
    if not wanted or not group.texts:
        return {}
    from detectors.entities.registry import recognizer_classes
    from detectors.freetext import find_spans

    recognizers = [cls() for cls in recognizer_classes() if cls.ENTITY in wanted]
    if not recognizers:
        return {}
    spans = find_spans(recognizers, pa.array(group.texts, pa.string()), group.texts)
    counts: dict[str, dict[tuple[str, int], int]] = {}
    for where, found in zip(group.where, spans):
        for entity, _start, _end, _score in _strongest(found):
            per = counts.setdefault(entity, {})
            per[where] = per.get(where, 0) + 1
    return {
        entity: [{"kind": kind, "index": index, "count": n} for (kind, index), n in per.items()]
        for entity, per in sorted(counts.items())
    }


def _strongest(spans: list[tuple[str, int, int, float]]) -> list[tuple[str, int, int, float]]:
    """Non-overlapping spans, strongest first (an ID number is not also a bank card inside it)."""
    kept: list[tuple[str, int, int, float]] = []
    for span in sorted(spans, key=lambda s: (-s[3], s[1], -(s[2] - s[1]))):
        if not any(span[1] < k[2] and k[1] < span[2] for k in kept):
            kept.append(span)
    return kept


def open_document(path: Path, ds_id: str, source: str,
                  options: ReadOptions = DEFAULT_READ_OPTIONS) -> list[Dataset]:
    """The datasets of one document file (``SourceError``: the whole file is refused, one line)."""
    walked = cached_walk(path, ds_id, options)
    return [_dataset(path, ds_id, source, group, options) for group in walked.groups.values()]


def _dataset(path: Path, name: str, source: str, group: Group, options: ReadOptions) -> Dataset:
    gid = group.id
    error = group.error

    def batches() -> Iterator[pa.RecordBatch]:
        if error is not None:
            raise SourceError(error)
        current = cached_walk(path, name, options).groups.get(gid)
        if current is None:
            yield pa.RecordBatch.from_pydict({"text": []}, schema=TEXT_SCHEMA)
        elif current.table:
            yield table_batch(current.rows)
        else:
            yield pa.RecordBatch.from_pydict({"text": current.texts}, schema=TEXT_SCHEMA)

    return Dataset(id=gid, source=source, format=group.format, open_batches=batches, location=str(path),
                   meta={"document": name, **({"table": group.location} if group.table else {})},
                   document=DocumentExtras(path, name, gid, options))
