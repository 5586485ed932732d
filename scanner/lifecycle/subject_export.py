"""``subject export``: a copy of everything held about one person (PIPL Art. 45), for handing over.

The rows are the ones ``subject_find`` locates (the same ``RowMatcher``),
with all their columns, one CSV per dataset (UTF-8 with a BOM, so a
spreadsheet opens Chinese text correctly). They go either into a plain
directory, or, with a key, into one encrypted bundle: a ZIP of the CSVs and
the manifest, sealed with AES-256-GCM under the key's ``subject-export``
sub-key (``open_bundle`` reverses it). A copy of a person's data travels
by mail or on a stick; one sealed file is what should travel.

``manifest.json`` (always in clear beside the data, and inside the bundle)
says which datasets, how many rows and which columns, the identifiers'
labels (``mobile#1``) and the key's public fingerprint; never a value, so it
can be filed with the request.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from scanner.anonymize.keys import Key
from scanner.findings import now_iso, write_atomic
from scanner.lifecycle.subject_find import Located, SubjectRequest, batches_with_mask
from scanner.safepath import inside, safe_name

MANIFEST_NAME = "manifest.json"
BUNDLE_NAME = "subject-export.pwbundle"
BUNDLE_MAGIC = b"piiwarden subject bundle v1\n"
EXPORT_KEY_PURPOSE = "subject-export"
MANIFEST_KIND = "subject-export"


class BundleProblem(ValueError):
    """A bundle that cannot be opened: not a bundle, another key, altered (one line)."""


@dataclass(frozen=True)
class ExportedDataset:
    """One dataset's share of the export: which file, how many rows, which columns (names only)."""

    dataset: str
    source: str
    format: str
    file: str
    rows: int
    columns: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "source": self.source, "format": self.format, "file": self.file,
                "rows": self.rows, "columns": list(self.columns)}


@dataclass(frozen=True)
class ExportResult:
    """What ``subject export`` wrote: the manifest's content, and where."""

    outdir: Path
    identifiers: tuple[str, ...]
    datasets: tuple[ExportedDataset, ...]
    created_at: str
    key_fingerprint: str | None = None
    bundle_sha256: str | None = None
    errors: tuple[tuple[str, str], ...] = ()

    @property
    def encrypted(self) -> bool:
        return self.key_fingerprint is not None

    @property
    def rows(self) -> int:
        return sum(d.rows for d in self.datasets)

    def manifest(self) -> dict[str, Any]:
        """manifest.json: datasets, row counts, columns, labels and fingerprints; no value."""
        return {"kind": MANIFEST_KIND, "legal_basis": "PIPL Art. 45", "created_at": self.created_at,
                "identifiers": list(self.identifiers), "encrypted": self.encrypted,
                "bundle": BUNDLE_NAME if self.encrypted else None, "bundle_sha256": self.bundle_sha256,
                "key_fingerprint": self.key_fingerprint, "rows": self.rows,
                "datasets": [d.to_json() for d in self.datasets],
                "errors": [{"source": s, "error": e} for s, e in self.errors]}


def _rows_csv(located: Located) -> tuple[bytes, int, tuple[str, ...]]:
    """The person's rows of one dataset, all columns, as CSV bytes: (content, rows, column names)."""
    kept: list[pa.RecordBatch] = []
    names: dict[str, None] = {}
    for batch, mask in batches_with_mask(located.dataset, located.matcher):
        names.update(dict.fromkeys(batch.schema.names))
        if mask.any():
            kept.append(batch.filter(pa.array(mask)))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(names))
    rows = 0
    for batch in kept:
        for record in batch.to_pylist():
            writer.writerow([_cell(record.get(n)) for n in names])
            rows += 1
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), rows, tuple(names)


def _cell(value: Any) -> str:
    """A cell as text: nested values as JSON, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _file_name(dataset: str, taken: set[str]) -> str:
    """A flat, safe, unique file name for a dataset id (``crm.db#members`` and ``a/b.csv`` included)."""
    base = safe_name(dataset.replace("/", "__")) + ".csv"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{n}-{base}"
    taken.add(name)
    return name


def export(located: Sequence[Located], outdir: Path, request: SubjectRequest, key: Key | None = None,
           errors: Sequence[tuple[str, str]] = ()) -> ExportResult:
    """Write the person's rows and the manifest into ``outdir`` (sealed in one bundle when a key is given)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    exported = []
    taken: set[str] = {MANIFEST_NAME, BUNDLE_NAME}
    for item in located:
        content, rows, columns = _rows_csv(item)
        name = _file_name(item.dataset.id, taken)
        files[name] = content
        exported.append(ExportedDataset(item.hit.dataset, item.hit.source, item.hit.format, name, rows, columns))
    result = ExportResult(outdir, request.labels, tuple(exported), now_iso(),
                          key.fingerprint if key is not None else None, errors=tuple(errors))
    if key is None:
        for name, content in files.items():
            _write_bytes(inside(outdir, PurePosixPath(name)), content)
    else:
        sealed = seal(files, result.manifest(), key)
        _write_bytes(inside(outdir, PurePosixPath(BUNDLE_NAME)), sealed)
        result = ExportResult(outdir, result.identifiers, result.datasets, result.created_at, result.key_fingerprint,
                              hashlib.sha256(sealed).hexdigest(), result.errors)
    write_atomic(inside(outdir, PurePosixPath(MANIFEST_NAME)),
                 json.dumps(result.manifest(), ensure_ascii=False, indent=2) + "\n")
    return result


def _write_bytes(path: Path, content: bytes) -> None:
    """Write a file atomically (temp name, then rename), private to the owner: it holds a person's data."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def seal(files: dict[str, bytes], manifest: dict[str, Any], key: Key) -> bytes:
    """A ZIP of the files and the manifest, encrypted with AES-256-GCM (random nonce, the magic as AAD)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    nonce = os.urandom(12)
    sealed = AESGCM(key.derive(EXPORT_KEY_PURPOSE)).encrypt(nonce, buffer.getvalue(), BUNDLE_MAGIC)
    return BUNDLE_MAGIC + nonce + sealed


def open_bundle(path: Path, key: Key) -> dict[str, bytes]:
    """The files inside a sealed bundle (manifest.json included); BundleProblem for another key or a changed file."""
    raw = Path(path).read_bytes()
    if not raw.startswith(BUNDLE_MAGIC):
        raise BundleProblem(f"{path} is not a piiwarden subject bundle")
    body = raw[len(BUNDLE_MAGIC):]
    try:
        plain = AESGCM(key.derive(EXPORT_KEY_PURPOSE)).decrypt(body[:12], body[12:], BUNDLE_MAGIC)
    except (InvalidTag, ValueError):
        raise BundleProblem(f"{path} does not open with this key (another key, or the file was changed)") from None
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
