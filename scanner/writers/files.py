"""Writers for single-dataset files: CSV/TSV, text, Parquet, JSON and JSON Lines.

Each mirrors its input: the same encoding (a GB18030 CSV stays GB18030, a
BOM stays), delimiter, header text and line endings for CSV; the same schema
(types, metadata, compression) for Parquet; the same nesting for JSON, whose
original document is re-read with the standard library and only the
flattened leaves that changed are replaced in place.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from scanner.connectors.base import Dataset
from scanner.connectors.common import decode_sample, read_head
from scanner.connectors.jsonfile import VALUE_COLUMN
from scanner.writers.base import FileWriter, Transform, WriterError


def _newline(source: Path) -> str:
    """The source's line ending (``\\r\\n`` for Windows exports), ``\\n`` by default."""
    head, _ = read_head(source, 1 << 16)
    return "\r\n" if b"\r\n" in head else "\r" if b"\r" in head and b"\n" not in head else "\n"


def _ends_with_newline(source: Path) -> bool:
    size = source.stat().st_size
    if size == 0:
        return False
    with open(source, "rb") as fh:
        fh.seek(max(0, size - 1))
        return fh.read(1) in (b"\n", b"\r")


class CsvWriter(FileWriter):
    """CSV/TSV with the source's encoding, delimiter, header text and line endings."""

    def __init__(self, final: Path, source: Path, meta: dict[str, str]) -> None:
        super().__init__(final, source)
        self.encoding = meta.get("encoding", "utf-8")
        self.delimiter = meta.get("delimiter", ",")
        self.newline = _newline(source)
        head, whole = read_head(source)
        self.header = next(
            (row for row in csv.reader(io.StringIO(decode_sample(head, self.encoding, whole), newline=""),
                                       delimiter=self.delimiter) if row), [])
        self.fh: IO[str] | None = None

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        self.fh = fh = open(self.tmp, "w", encoding=self.encoding, newline="")  # noqa: SIM115 - closed by close()
        writer = csv.writer(fh, delimiter=self.delimiter, lineterminator=self.newline)
        rows = 0
        header_written = False
        for batch in ds.batches():
            out = transform(batch)
            if not header_written:
                names = out.batch.schema.names
                header = self.header + [""] * (len(names) - len(self.header))
                writer.writerow([header[i] for i, n in enumerate(names) if n not in out.dropped])
                header_written = True
            columns = [out.column(n).to_pylist() for n in out.batch.schema.names if n not in out.dropped]
            writer.writerows(zip(*columns))
            rows += out.batch.num_rows
        if not header_written and self.header:
            writer.writerow(self.header)
        return rows

    def close(self) -> None:
        if self.fh is not None and not self.fh.closed:
            self.fh.close()


class TextWriter(FileWriter):
    """Text/log files: same encoding, line endings and final newline."""

    def __init__(self, final: Path, source: Path, meta: dict[str, str]) -> None:
        super().__init__(final, source)
        self.encoding = meta.get("encoding", "utf-8")
        self.newline = _newline(source)
        self.final_newline = _ends_with_newline(source)
        self.fh: IO[str] | None = None

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        self.fh = fh = open(self.tmp, "w", encoding=self.encoding, newline="")  # noqa: SIM115 - closed by close()
        rows = 0
        for batch in ds.batches():
            out = transform(batch)
            if "text" in out.dropped:
                lines = [""] * out.batch.num_rows
            else:
                lines = ["" if v is None else v for v in out.column("text").to_pylist()]
            for line in lines:
                if rows:
                    fh.write(self.newline)
                fh.write(line)
                rows += 1
        if rows and self.final_newline:
            fh.write(self.newline)
        return rows

    def close(self) -> None:
        if self.fh is not None and not self.fh.closed:
            self.fh.close()


class ParquetWriter(FileWriter):
    """Parquet with the source's schema (metadata included) and compression.

    A transformed column whose values no longer fit its type (a masked
    integer) becomes a string column; the run records that change.
    """

    def __init__(self, final: Path, source: Path | None, meta: dict[str, str]) -> None:
        super().__init__(final, source)
        self.schema: pa.Schema | None = None
        self.compression: str | dict = "snappy"
        if source is not None:
            with pq.ParquetFile(source) as pf:
                self.schema = pf.schema_arrow
                md = pf.metadata
                if md.num_row_groups and md.num_columns:
                    self.compression = md.row_group(0).column(0).compression.lower()
        self.writer: pq.ParquetWriter | None = None

    def _out_schema(self, batch: pa.RecordBatch) -> pa.Schema:
        if self.schema is None:
            return batch.schema
        fields = []
        for f in self.schema:
            if f.name not in batch.schema.names:
                continue
            got = batch.schema.field(f.name)
            fields.append(f if got.type == f.type else f.with_type(got.type))
        return pa.schema(fields, metadata=self.schema.metadata)

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        rows = 0
        for batch in ds.batches():
            out = transform(batch).output()
            if self.writer is None:
                compression = self.compression if self.compression != "uncompressed" else "none"
                self.writer = pq.ParquetWriter(self.tmp, self._out_schema(out), compression=compression)
            try:
                arrays = [c.cast(f.type) for c, f in zip(out.columns, self.writer.schema)]
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise WriterError("a transformed column changed type between batches") from None
            self.writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=self.writer.schema))
            rows += out.num_rows
        if self.writer is None and self.schema is not None:
            self.writer = pq.ParquetWriter(self.tmp, self.schema)
        return rows

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# ---------------------------------------------------------------- JSON ----


def _slots(value: Any, name: str, parent: Any, key: Any, out: dict[str, Any]) -> None:
    """Where each flattened leaf lives, mirroring the connector's ``_flatten`` exactly.

    ``out[name]`` is a ``(container, key)`` slot for a scalar leaf, or a list
    of slots (None where the connector padded) for a field inside arrays.
    """
    if isinstance(value, dict):
        for k, child in value.items():
            _slots(child, f"{name}.{k}" if name else str(k), value, k, out)
    elif isinstance(value, list):
        lists: dict[str, list[Any]] = {}
        for index, element in enumerate(value):
            part: dict[str, Any] = {}
            _slots(element, name, value, index, part)
            for k, got in part.items():
                target = lists.setdefault(k, [None] * index)
                if isinstance(got, list):
                    target.extend(got)
                else:
                    target.append(got)
            for k, target in lists.items():
                if k not in part:
                    target.append(None)
        if not value and name:
            lists[name] = []
        out.update(lists)
    else:
        out[name] = (parent, key)


def record_slots(record: Any) -> dict[str, Any]:
    """Slots of one record (a non-object record is the ``value`` column)."""
    out: dict[str, Any] = {}
    holder = [record]
    if isinstance(record, dict):
        _slots(record, "", holder, 0, out)
    else:
        _slots(record, VALUE_COLUMN, holder, 0, out)
    return out


def _typed(new: str | None, old: Any) -> Any:
    """Keep a JSON number a number when the new text still is one (FPE of a numeric id)."""
    if new is None or isinstance(old, str) or old is None or isinstance(old, bool):
        return new
    if isinstance(old, int) and new.isdigit() and (new == "0" or not new.startswith("0")):
        return int(new)
    return new


def apply_to_record(holder: list[Any], changes: dict[str, Any], dropped: set[str]) -> None:
    """Write changed leaves (scalar or per-element lists) into one record in place."""
    slots = record_slots(holder[0])
    for name, new in changes.items():
        slot = slots.get(name)
        if slot is None:
            continue
        pairs = zip(slot, new or []) if isinstance(slot, list) else [(slot, new)]
        for where, value in pairs:
            if where is None:
                continue
            container, key = where
            container[key] = _typed(value, container[key])
    removals = []
    for name in dropped:
        slot = slots.get(name)
        for where in slot if isinstance(slot, list) else [slot]:
            if where is not None:
                removals.append(where)
    # Delete list elements from the end so earlier indices stay valid.
    for container, key in sorted(removals, key=lambda w: w[1] if isinstance(w[0], list) else -1, reverse=True):
        if isinstance(container, dict):
            container.pop(key, None)
        elif container is holder:
            holder[0] = None
        else:
            del container[key]


def _dump_style(text: str) -> dict[str, Any]:
    """Indentation and escaping as the source used them."""
    style: dict[str, Any] = {"ensure_ascii": "\\u" in text and text.isascii()}
    body = text.lstrip()
    if len(body) > 1 and body[1] in "\r\n":
        second = body[1:].lstrip("\r\n")
        style["indent"] = len(second) - len(second.lstrip(" ")) or 2
    elif '": ' not in text and '":' in text:
        style["separators"] = (",", ":")
    return style


class JsonWriter(FileWriter):
    """A ``.json`` document with its nesting: changed leaves replaced in the original structure."""

    def __init__(self, final: Path, source: Path, meta: dict[str, str]) -> None:
        super().__init__(final, source)
        self.encoding = meta.get("encoding", "utf-8")
        self.text = source.read_text(encoding=self.encoding)
        try:
            self.data = json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise WriterError(f"cannot re-read JSON at line {exc.lineno}") from None
        self.final_newline = self.text.endswith("\n")

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        holders = [[r] for r in (self.data if isinstance(self.data, list) else [self.data])]
        row = 0
        for batch in ds.batches():
            out = transform(batch)
            columns = {n: a.to_pylist() for n, a in out.changed.items() if n not in out.dropped}
            if row + out.batch.num_rows > len(holders):
                raise WriterError("JSON changed while it was being read")
            if columns or out.dropped:
                for j in range(out.batch.num_rows):
                    apply_to_record(holders[row + j], {n: v[j] for n, v in columns.items()}, out.dropped)
            row += out.batch.num_rows
        records = [h[0] for h in holders]
        self.data = records if isinstance(self.data, list) else records[0]
        text = json.dumps(self.data, **_dump_style(self.text))
        with open(self.tmp, "w", encoding=self.encoding, newline="") as fh:
            fh.write(text + ("\n" if self.final_newline else ""))
        return row


class JsonlWriter(FileWriter):
    """JSON Lines: one output line per source line, blank lines and line endings kept."""

    def __init__(self, final: Path, source: Path, meta: dict[str, str]) -> None:
        super().__init__(final, source)
        self.encoding = meta.get("encoding", "utf-8")
        self.fh: IO[str] | None = None

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        assert self.source is not None
        self.fh = fh = open(self.tmp, "w", encoding=self.encoding, newline="")  # noqa: SIM115 - closed by close()
        rows = 0
        with open(self.source, encoding=self.encoding, newline="") as src:
            lines = iter(src)
            style: dict[str, Any] | None = None
            for batch in ds.batches():
                out = transform(batch)
                columns = {n: a.to_pylist() for n, a in out.changed.items() if n not in out.dropped}
                for j in range(out.batch.num_rows):
                    line = _copy_blank_lines(lines, fh)
                    body = line.rstrip("\r\n")
                    style = style or _dump_style(body)
                    holder = [json.loads(body)]
                    apply_to_record(holder, {n: v[j] for n, v in columns.items()}, out.dropped)
                    fh.write(json.dumps(holder[0], **style) + line[len(body):])
                rows += out.batch.num_rows
            for line in lines:  # trailing blank lines
                fh.write(line)
        return rows

    def close(self) -> None:
        if self.fh is not None and not self.fh.closed:
            self.fh.close()


def _copy_blank_lines(lines: Iterator[str], fh: IO[str]) -> str:
    """The next record line of a JSON Lines source; blank lines before it are copied as they are."""
    for line in lines:
        if line.strip():
            return line
        fh.write(line)
    raise WriterError("JSON Lines file changed while it was being read")


class CopyWriter(FileWriter):
    """A file with nothing to change: copied byte for byte (the stream is still read for counts)."""

    def run_dataset(self, ds: Dataset, transform: Transform) -> int:
        rows = 0
        for batch in ds.batches():
            rows += transform(batch).batch.num_rows
        assert self.source is not None
        shutil.copyfile(self.source, self.tmp)
        return rows


def json_dump_style(text: str) -> dict[str, Any]:
    """``json.dumps`` keyword arguments that reproduce a document's indentation and escaping (row removal uses it)."""
    return _dump_style(text)
