"""File formats: one module per format, found by the registry (``scanner.formats.registry``).

Public API: ``Format`` (subclass it), ``register`` (or the ``piiwarden.formats``
entry point group), and the lookups ``get``, ``find``, ``by_suffix``,
``for_path``, ``all_formats``, ``format_of`` and ``writer_for``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from scanner.formats.base import SPARK_COLUMNS, SPARK_DOCUMENT, SPARK_LINES, Format
from scanner.formats.registry import (
    ENTRY_POINT_GROUP,
    UnknownFormat,
    all_formats,
    by_suffix,
    find,
    for_path,
    get,
    load_entry_points,
    register,
    unregister,
)

if TYPE_CHECKING:
    from scanner.connectors.base import Dataset
    from scanner.writers.base import FileWriter

__all__ = [
    "ENTRY_POINT_GROUP", "SPARK_COLUMNS", "SPARK_DOCUMENT", "SPARK_LINES", "Format", "UnknownFormat",
    "all_formats", "by_suffix", "copyable", "find", "for_path", "format_of", "get", "load_entry_points",
    "output_name", "register", "unregister", "writer_for",
]


def _is_url(source: str) -> bool:
    return "://" in source


def format_of(ds: Dataset) -> Format | None:
    """The format that read a file dataset (by its file's suffix); None for database URL tables.

    The dataset's own ``format`` is what findings.json reports, which is not
    always the reader (a tab-separated ``.csv`` reports ``tsv``, database
    files ``table``); the file's suffix is what chose the reader.
    """
    if _is_url(ds.source) or not ds.location:
        return None
    return for_path(ds.location) or find(ds.format)


def copyable(ds: Dataset) -> bool:
    """Whether a byte copy of the dataset's file is a faithful output when nothing changes."""
    fmt = format_of(ds)
    return fmt is not None and fmt.copyable


def output_name(ds: Dataset) -> str:
    """The output path of a file dataset relative to OUTDIR (a workbook's sheets share one output)."""
    fmt = format_of(ds)
    return fmt.output_name(ds) if fmt is not None else ds.id


def writer_for(ds: Dataset, final: Path) -> FileWriter:
    """The writer that mirrors the dataset into ``final``; a database URL table becomes a Parquet file."""
    from scanner.writers.base import WriterError

    if _is_url(ds.source):
        return get("parquet").writer(ds, final, None)
    fmt = format_of(ds)
    if fmt is None:
        raise WriterError(f"no writer for format {ds.format}")
    return fmt.writer(ds, final, Path(ds.location))
