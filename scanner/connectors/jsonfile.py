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
from typing import Any, TypedDict

import pyarrow as pa

from scanner.connectors.base import BATCH_ROWS, Dataset, SourceError
from scanner.connectors.common import DEFAULT_READ_OPTIONS, BadRows, ReadOptions, detect_encoding, text_lines
from scanner.connectors.filesample import is_big, jsonl_sampler

Leaf = str | None
Flat = dict[str, Any]  # column name -> Leaf or list[Leaf]
VALUE_COLUMN = "value"  # name for a record that is not an object (a bare scalar or array)


def open_json(path: Path, ds_id: str, source: str, options: ReadOptions = DEFAULT_READ_OPTIONS) -> list[Dataset]:
    """A ``.json`` file: an array of objects (one row each) or a single object (one row)."""
    encoding = detect_encoding(path)

    def batches() -> Iterator[pa.RecordBatch]:
        hooks = _hooks(dataset.meta)
        with open(path, encoding=encoding) as fh:
            try:
                data = json.load(fh, **hooks)
            except json.JSONDecodeError as exc:
                raise SourceError(
                    f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
                ) from None
            except RecursionError:
                raise SourceError("JSON nested too deeply") from None
        records = data if isinstance(data, list) else [data]
        bad = BadRows(options, unit="record")
        rows = [row for number, r in enumerate(records, start=1)
                if (row := _flat_or_skip(r, number, bad)) is not None]
        bad.report_to(dataset.problems)
        return flat_batches(rows, flat_columns(rows))

    dataset = _dataset(path, ds_id, source, "json", encoding, batches)
    return [dataset]


def open_jsonl(path: Path, ds_id: str, source: str, options: ReadOptions = DEFAULT_READ_OPTIONS) -> list[Dataset]:
    """A ``.jsonl``/``.ndjson`` file: one JSON value per line, blank lines skipped."""
    encoding = detect_encoding(path)
    cache: dict[tuple[int, int], dict[str, bool]] = {}

    def batches() -> Iterator[pa.RecordBatch]:
        stat = path.stat()
        key = (stat.st_size, stat.st_mtime_ns)
        if key not in cache:
            cache.clear()
            cache[key] = flat_columns(jsonl_rows(path, encoding, BadRows(options), dataset.meta))
        bad = BadRows(options)
        yield from flat_batches(jsonl_rows(path, encoding, bad, dataset.meta), cache[key])
        bad.report_to(dataset.problems)

    dataset = _dataset(path, ds_id, source, "jsonl", encoding, batches)
    if is_big(path):
        dataset.sample = jsonl_sampler(path, encoding, flatten_record, lambda rows: flat_batches(rows, flat_columns(rows)))
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


DUPLICATE_KEYS = "duplicate_keys"  # Dataset.meta flag: some object repeats a key (see _pairs)


def _pairs(pairs: list[tuple[str, Any]], meta: dict[str, str] | None = None) -> dict[str, Any]:
    """An object whose repeated keys are all kept: ``id``, ``id#2``, ``id#3``.

    ``json`` keeps only the last value of a repeated key, so the first would
    never be scanned, yet a consumer that keeps the first sees it. Every value
    becomes its own column; ``meta`` is flagged so that ``anonymize`` (which
    re-parses the document and cannot write two values back under one key)
    refuses the file instead of leaving a value untouched.
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            n = 2
            while f"{key}#{n}" in out:
                n += 1
            key = f"{key}#{n}"
            if meta is not None:
                meta[DUPLICATE_KEYS] = "true"
        out[key] = value
    return out


def _hooks(meta: dict[str, str] | None) -> dict[str, Any]:
    return {**PARSE_HOOKS, "object_pairs_hook": lambda pairs: _pairs(pairs, meta)}


class ParseHooks(TypedDict):
    """``json.loads`` keyword arguments, typed per key so that ``**PARSE_HOOKS`` type-checks at each call."""

    parse_int: Callable[[str], Any]
    parse_float: Callable[[str], Any]
    parse_constant: Callable[[str], Any]
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any]


# Numbers and NaN/Infinity keep their source text instead of becoming floats; repeated keys are kept.
PARSE_HOOKS: ParseHooks = {"parse_int": str, "parse_float": str, "parse_constant": str,
                                                 "object_pairs_hook": _pairs}


def _flat_or_skip(record: object, number: int, bad: BadRows) -> Flat | None:
    """A record flattened, or None (counted in ``bad``) when too deep or a value is over the cell limit.

    Nesting is bounded by Python's recursion limit: json and the flattening
    both recurse, and a RecursionError is a bad row, not a crash.
    """
    try:
        row = flatten_record(record)
    except RecursionError:
        bad.skip(number, "nested too deeply")
        return None
    limit = bad.options.max_cell_bytes
    for value in row.values():
        values = value if isinstance(value, list) else [value]
        if any(v is not None and len(v) > limit for v in values):
            bad.skip(number, "value over --max-cell-bytes")
            return None
    return row


def jsonl_rows(path: Path, encoding: str, bad: BadRows | None = None,
                meta: dict[str, str] | None = None) -> Iterator[Flat]:
    """Flattened records of a JSON Lines file; bad lines are skipped into ``bad`` by number only."""
    bad = bad or BadRows(DEFAULT_READ_OPTIONS)
    hooks = _hooks(meta)
    for number, line in text_lines(path, encoding, bad):
        if not line.strip():
            continue
        try:
            record = json.loads(line, **hooks)
        except json.JSONDecodeError as exc:
            bad.skip(number, "invalid JSON", f"invalid JSON (column {exc.colno}): {exc.msg}")
            continue
        except RecursionError:
            bad.skip(number, "nested too deeply")
            continue
        if (row := _flat_or_skip(record, number, bad)) is not None:
            yield row


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


def flat_columns(rows: Iterable[Flat]) -> dict[str, bool]:
    """Column names in first-seen order, each mapped to whether it holds lists anywhere."""
    columns: dict[str, bool] = {}
    for row in rows:
        for name, value in row.items():
            columns[name] = columns.get(name, False) or isinstance(value, list)
    return columns


def flat_batches(rows: Iterable[Flat], columns: dict[str, bool]) -> Iterator[pa.RecordBatch]:
    """Flattened rows as record batches of one schema (``columns``), so that every batch of a file agrees."""
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
