"""Incremental scans: reuse last time's results for datasets that provably did not change.

A nightly scan of a data lake rereads terabytes that mostly did not move
since yesterday. A dataset is reused only when a cheap fingerprint taken
*before* this scan equals the one recorded by the previous scan of the same
sources, with the same scan options and piiwarden version; anything in doubt
is rescanned:

- files: size, ``mtime_ns`` and a BLAKE2b content digest (whole file up to
  4 MiB, else size + first and last MiB). A touched file (new mtime) is
  rescanned even if its bytes are the same: cheap to redo, never wrong.
  SQLite and DuckDB files (crawled or ``sqlite:///`` URLs) use the file's
  fingerprint for all of their tables.
- server tables: the row-count statistics plus a change marker: the maximum of
  an ``updated_at``-like column, and the server's own modification counters
  (PostgreSQL ``pg_stat_user_tables``, MySQL ``information_schema.tables.
  update_time``). A table with no marker at all is rescanned: an in-place
  UPDATE keeps the row count, so the count alone proves nothing.

Policy rules and full-pass counts still run over the merged results, because
they depend on ``--as-of`` and the policy, not only on the data.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.connectors.base import Dataset
from scanner.connectors.common import DEFAULT_READ_OPTIONS, ReadOptions
from scanner.history import RECOMPUTED_KEYS, StoredDataset
from scanner.model import DatasetResult

SMALL_FILE = 4 << 20
EDGE = 1 << 20
# Column names that usually hold "last modified" (snake, camel, MySQL gmt_modified, Chinese).
_MARKER_NAME = re.compile(
    r"^(updated?|modified|last_?modified|last_?update[d]?|gmt_?modified|modify_?time|update_?time|mtime|"
    r"updated?_?(at|on|time|date|ts)|modified_?(at|on|time|date|ts)|changed_?(at|on)|修改时间|更新时间)$",
    re.IGNORECASE,
)

Key = tuple[str, str]  # (masked source, dataset id)


def options_key(full: bool, sample_rows: int, read: ReadOptions = DEFAULT_READ_OPTIONS) -> str:
    """Results are only comparable between scans made the same way by the same version.

    The readers' options change what a dataset yields (``--on-bad-rows fail``
    fails a file that ``skip`` reads), so they are part of the key; at their
    defaults they add nothing, and histories written before they existed still match.
    """
    key = f"{__version__}|{'full' if full else f'sample:{sample_rows}'}"
    if read.on_bad_rows != DEFAULT_READ_OPTIONS.on_bad_rows:
        key += f"|bad-rows:{read.on_bad_rows}"
    if read.max_cell_bytes != DEFAULT_READ_OPTIONS.max_cell_bytes:
        key += f"|max-cell:{read.max_cell_bytes}"
    if read.ocr:  # documents: OCR turns images that were "not read" into text
        key += "|ocr"
    if read.max_pdf_pages != DEFAULT_READ_OPTIONS.max_pdf_pages:
        key += f"|pdf-pages:{read.max_pdf_pages}"
    if added := entities_key():
        key += f"|entities:{added}"
    return key


def entities_key() -> str:
    """A digest of the entities registered beyond the built-ins ("" when there are none).

    A custom entity (``--entities``) changes what a column is found to be,
    so results found with another set of entities are not reused.
    """
    from detectors.entities import registry

    added = registry.added_specs()
    if not added:
        return ""
    digest = hashlib.blake2b(digest_size=8)
    for spec in added:
        recognizer = spec.recognizer
        digest.update(repr((spec.name, spec.level, spec.category, spec.mask, spec.headers,
                            getattr(recognizer, "PATTERNS", None), getattr(recognizer, "CELL_REGEX", None),
                            getattr(getattr(recognizer, "validate_value", None), "__qualname__", None))).encode())
    return digest.hexdigest()


def file_fingerprint(path: Path) -> dict[str, Any]:
    """Size, mtime_ns and a BLAKE2b digest of the content (edges only for big files)."""
    st = path.stat()
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str(st.st_size).encode())
    with open(path, "rb") as fh:
        if st.st_size <= SMALL_FILE:
            for chunk in iter(lambda: fh.read(EDGE), b""):
                digest.update(chunk)
        else:
            digest.update(fh.read(EDGE))
            fh.seek(-EDGE, os.SEEK_END)
            digest.update(fh.read(EDGE))
    return {"kind": "file", "size": st.st_size, "mtime_ns": st.st_mtime_ns, "content": digest.hexdigest()}


def _database_file(ds: Dataset) -> Path | None:
    """The file behind a SQLite/DuckDB dataset, a crawled file, or any file-based dataset."""
    location = ds.location or ""
    if "://" in location:
        # imported here: a scan of files alone never loads SQLAlchemy (about half a second)
        from sqlalchemy.engine import make_url

        from scanner.connectors.sql import dialect_for

        if not dialect_for(ds.meta.get("dialect", "")).file_backed:
            return None
        try:
            database = make_url(location).database
        except Exception:  # noqa: BLE001 - an odd URL just means "no file fingerprint"
            return None
        return Path(database) if database and database != ":memory:" else None
    return Path(location) if location else None


def marker_column(columns: list[str]) -> str | None:
    """The column that tells when a row was last changed, if the table has one."""
    return next((c for c in columns if _MARKER_NAME.match(c.strip())), None)


def table_fingerprint(ds: Dataset) -> dict[str, Any] | None:
    """Row-count statistics plus change markers of a server table; None when nothing marks changes."""
    import sqlalchemy as sa  # imported here: a scan of files alone never loads SQLAlchemy

    table = ds.sql
    column = marker_column(list(table.columns))
    try:
        with table.session() as conn:
            marker = None
            if column is not None:
                value = conn.execute(sa.select(sa.func.max(sa.column(column))).select_from(table.clause)).scalar()
                marker = None if value is None else str(value)
            counters = table.backend.change_counters(conn, table)
    except Exception:  # noqa: BLE001 - no fingerprint just means "rescan"
        return None
    if marker is None and counters is None:
        return None
    return {"kind": "table", "rows": ds.rows, "marker_column": column, "marker": marker, "counters": counters}


def fingerprint(ds: Dataset, cache: dict[Path, dict[str, Any] | None]) -> dict[str, Any] | None:
    """The dataset's fingerprint, or None when it cannot be fingerprinted (always rescanned)."""
    path = _database_file(ds)
    if path is not None:
        if path not in cache:
            try:
                cache[path] = file_fingerprint(path) if path.is_file() else None
            except OSError:
                cache[path] = None
        return cache[path]
    if ds.sql is not None:
        return table_fingerprint(ds)
    return None


@dataclass
class Plan:
    """What this scan does per dataset: fingerprints for all, previous results for the reused."""

    fingerprints: dict[Key, dict[str, Any] | None] = field(default_factory=dict)
    reused: dict[Key, DatasetResult] = field(default_factory=dict)

    def reuse(self, ds: Dataset) -> DatasetResult | None:
        """The earlier result to reuse for ``ds`` (``reused_from`` names the scan that made it), or None to scan it."""
        return self.reused.get((ds.source, ds.id))


def _reusable(prev: StoredDataset | None, fp: dict[str, Any] | None, opts: str) -> bool:
    return prev is not None and fp is not None and not prev.failed and prev.options_key == opts \
        and prev.fingerprint == fp


def plan(datasets: list[Dataset], previous: dict[Key, StoredDataset] | None, opts: str,
         incremental: bool) -> Plan:
    """Fingerprint every dataset (the next scan compares against them); pick reusable results if asked."""
    result = Plan()
    cache: dict[Path, dict[str, Any] | None] = {}
    for ds in datasets:
        key = (ds.source, ds.id)
        fp = fingerprint(ds, cache)
        result.fingerprints[key] = fp
        prev = (previous or {}).get(key)
        if incremental and _reusable(prev, fp, opts):
            assert prev is not None
            entry = {k: v for k, v in prev.result.items() if k not in RECOMPUTED_KEYS}
            result.reused[key] = DatasetResult.from_json({**entry, "reused_from": prev.scanned_in})
    return result
