"""JSON (an array of records, or one record) and JSON Lines files, flattened.

Nested fields become dotted column names (``user.contact.mobile``) so that the
detectors see one column per leaf, and array elements share their field's
name: ``tags: [..]`` is a list column ``tags``, and ``items: [{sku, price}]``
gives list columns ``items.sku`` and ``items.price``, aligned element by
element. Leaves are kept as their JSON text (``007``-style strings, and
numbers such as ``13812345678`` exactly as written), booleans as
``true``/``false``.

All batches must share one schema, and columns can first appear on the last
line, so JSON Lines files are read twice: once for the columns, once for the
rows. The column list is cached while the file is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from scanner.connectors.base import BATCH_ROWS, Dataset, SourceError
from scanner.connectors.common import detect_encoding
from scanner.connectors.filesample import is_big, jsonl_sampler

Leaf = str | None
Flat = dict[str, Any]  # column name -> Leaf or list[Leaf]
VALUE_COLUMN = "value"  # name for a record that is not an object (a bare scalar or array)


def open_json(path: Path, ds_id: str, source: str) -> list[Dataset]:
    """A ``.json`` file: an array of objects (one row each) or a single object (one row)."""
    encoding = detect_encoding(path)

    def batches() -> Iterator[pa.RecordBatch]:
        with open(path, encoding=encoding) as fh:
            try:
                data = json.load(fh, **_PARSE_HOOKS)
            except json.JSONDecodeError as exc:
                raise SourceError(
                    f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
                ) from None
        records = data if isinstance(data, list) else [data]
        rows = [flatten_record(r) for r in records]
        return _batches(rows, _columns(rows))

    return [_dataset(path, ds_id, source, "json", encoding, batches)]


def open_jsonl(path: Path, ds_id: str, source: str) -> list[Dataset]:
    """A ``.jsonl``/``.ndjson`` file: one JSON value per line, blank lines skipped."""
    encoding = detect_encoding(path)
    cache: dict[tuple[int, int], dict[str, bool]] = {}

    def batches() -> Iterator[pa.RecordBatch]:
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        if key not in cache:
            cache.clear()
            cache[key] = _columns(_jsonl_rows(path, encoding))
        return _batches(_jsonl_rows(path, encoding), cache[key])

    dataset = _dataset(path, ds_id, source, "jsonl", encoding, batches)
    if is_big(path):
        dataset.sample = jsonl_sampler(path, encoding, flatten_record, lambda rows: _batches(rows, _columns(rows)))
    return [dataset]


def _dataset(
    path: Path,
    ds_id: str,
    source: str,
    fmt: str,
    encoding: str,
    batches: Callable[[], Iterator[pa.RecordBatch]],
) -> Dataset:
    return Dataset(
        id=ds_id,
        source=source,
        format=fmt,
        open_batches=batches,
        location=str(path),
        meta={"encoding": encoding},
    )


# Numbers and NaN/Infinity keep their source text instead of becoming floats.
_PARSE_HOOKS: dict[str, Callable[[str], str]] = {"parse_int": str, "parse_float": str, "parse_constant": str}


def _jsonl_rows(path: Path, encoding: str) -> Iterator[Flat]:
    """Flattened records of a JSON Lines file; a bad line is reported by number only."""
    with open(path, encoding=encoding) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line, **_PARSE_HOOKS)
            except json.JSONDecodeError as exc:
                raise SourceError(f"invalid JSON on line {number} (column {exc.colno}): {exc.msg}") from None
            yield flatten_record(record)


def flatten_record(record: object) -> Flat:
    """One record as ``{dotted name: leaf or list of leaves}``; a non-object goes under ``value``."""
    out: Flat = {}
    if isinstance(record, dict):
        _flatten(record, "", out)
    else:
        _flatten(record, VALUE_COLUMN, out)
    return out


def _flatten(value: object, name: str, out: Flat) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _flatten(child, f"{name}.{key}" if name else str(key), out)
    elif isinstance(value, list):
        lists: dict[str, list[Leaf]] = {}
        for index, element in enumerate(value):
            part: Flat = {}
            _flatten(element, name, part)
            for key, got in part.items():
                target = lists.setdefault(key, [None] * index)
                if isinstance(got, list):
                    target.extend(got)
                else:
                    target.append(got)
            for key, target in lists.items():
                if key not in part:
                    target.append(None)  # keeps sibling lists aligned element by element
        if not value and name:
            lists[name] = []
        out.update(lists)
    else:
        out[name] = _leaf(value)


def _leaf(value: object) -> Leaf:
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value if isinstance(value, str) else str(value)


def _columns(rows: Iterable[Flat]) -> dict[str, bool]:
    """Column names in first-seen order, each mapped to whether it holds lists anywhere."""
    columns: dict[str, bool] = {}
    for row in rows:
        for name, value in row.items():
            columns[name] = columns.get(name, False) or isinstance(value, list)
    return columns


def _batches(rows: Iterable[Flat], columns: dict[str, bool]) -> Iterator[pa.RecordBatch]:
    schema = pa.schema(
        [(n, pa.list_(pa.string()) if is_list else pa.string()) for n, is_list in columns.items()]
    )
    chunk: list[Flat] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH_ROWS:
            yield _to_batch(chunk, columns, schema)
            chunk = []
    if chunk:
        yield _to_batch(chunk, columns, schema)


def _to_batch(chunk: list[Flat], columns: dict[str, bool], schema: pa.Schema) -> pa.RecordBatch:
    arrays = []
    for name, is_list in columns.items():
        values = [row.get(name) for row in chunk]
        if is_list:
            values = [v if v is None or isinstance(v, list) else [v] for v in values]
        arrays.append(pa.array(values, type=schema.field(name).type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)
