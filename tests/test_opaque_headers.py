"""The same rules, not the devset's column names, carry detection.

Every devset header is renamed to an opaque name (c1, c2, ...) in every
format; columns whose values are unambiguous must still be found.
"""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from scanner.cli import app
from tests.conftest import SHARED

DEVSET = SHARED / "devset"
UNAMBIGUOUS = {"CN_RESIDENT_ID", "BANK_CARD", "CN_MOBILE_PHONE", "EMAIL_ADDRESS", "CN_USCC", "CN_LICENSE_PLATE",
               "IP_ADDRESS"}

pytestmark = pytest.mark.skipif(not DEVSET.is_dir(), reason="../shared/devset not present")


class Renamer:
    """Hands out c1, c2, ... and remembers (dataset, original column) -> opaque name."""

    def __init__(self) -> None:
        self.mapping: dict[tuple[str, str], str] = {}

    def name(self, dataset: str, column: str) -> str:
        key = (dataset, column)
        if key not in self.mapping:
            self.mapping[key] = f"c{len(self.mapping) + 1}"
        return self.mapping[key]


def _csv(src: Path, dst: Path, ds: str, r: Renamer) -> None:
    raw = src.read_bytes()
    encoding = "utf-8" if raw.startswith(b"\xef\xbb\xbf") else ("utf-8" if _utf8(raw) else "gb18030")
    rows = list(csv.reader(raw.decode(encoding).splitlines()))
    rows[0] = [r.name(ds, c) for c in rows[0]]
    dst.write_bytes("\n".join(",".join(row) for row in rows).encode(encoding))


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _json(value, ds: str, r: Renamer, prefix: str = "", opaque_prefix: str = ""):
    """Rename every key; the flattened opaque name of a leaf is what the scan will report."""
    if isinstance(value, list):
        return [_json(v, ds, r, prefix, opaque_prefix) for v in value]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else k
            key = f"k{abs(hash(path)) % 10**6}"
            opaque = f"{opaque_prefix}.{key}" if opaque_prefix else key
            if not isinstance(v, dict):
                r.mapping[(ds, path)] = opaque
            out[key] = _json(v, ds, r, path, opaque)
        return out
    return value


def _sqlite(src: Path, dst: Path, stem: str, r: Renamer) -> None:
    shutil.copy(src, dst)
    con = sqlite3.connect(dst)
    for (table,) in con.execute("select name from sqlite_master where type='table'").fetchall():
        for col in [c[1] for c in con.execute(f'pragma table_info("{table}")')]:
            con.execute(f'alter table "{table}" rename column "{col}" to "{r.name(f"{stem}#{table}", col)}"')
    con.commit()
    con.close()


def make_opaque_copy(target: Path) -> Renamer:
    """Copy devset/data to target with every column renamed."""
    r = Renamer()
    for src in sorted((DEVSET / "data").rglob("*")):
        if src.is_dir():
            continue
        rel = src.relative_to(DEVSET / "data").as_posix()
        dst = target / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".csv":
            _csv(src, dst, rel, r)
        elif src.suffix == ".json":
            data = json.loads(src.read_text(encoding="utf-8"))
            dst.write_text(json.dumps(_json(data, rel, r), ensure_ascii=False), encoding="utf-8")
        elif src.suffix == ".parquet":
            table = pq.read_table(src)
            pq.write_table(table.rename_columns([r.name(rel, c) for c in table.column_names]), dst)
        elif src.suffix in (".sqlite", ".db"):
            _sqlite(src, dst, rel, r)
        else:
            shutil.copy(src, dst)
    return r


def test_unambiguous_columns_found_without_headers(tmp_path):
    renamer = make_opaque_copy(tmp_path / "data")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(tmp_path / "data"), "-o", str(out), "--as-of", "2026-03-31"])
    assert result.exit_code in (0, 3), result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    got = {(ds["id"], c["name"]): c["primary_entity"] for ds in findings["datasets"] for c in ds["columns"]}
    labels = json.loads((DEVSET / "labels.json").read_text(encoding="utf-8"))["columns"]
    checked = 0
    for label in labels:
        opaque = renamer.mapping[(label["dataset"], label["column"])]
        predicted = got[(label["dataset"], opaque)]
        if label["entity"] in UNAMBIGUOUS:
            assert predicted == label["entity"], (label, predicted)
            checked += 1
        elif label["entity"] is None:
            assert predicted is None, (label, predicted)  # clean columns stay clean without headers too
    assert checked >= 10
