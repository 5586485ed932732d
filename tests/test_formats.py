"""The format registry: built-ins by suffix and name, and a format added from outside the package.

The outside format is ``.psv`` (pipe-separated values), written as a plug-in
module in tmp_path: once registered through the public API (in process), once
found through a ``piiwarden.formats`` entry point of a throwaway distribution
(``python -m scanner`` in a subprocess). Either way, scan must find the
phone numbers in it and anonymize must write a masked ``.psv`` copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner import formats
from scanner.cli import app
from scanner.sources import resolve_sources

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

PLUGIN = textwrap.dedent('''
    """A pipe-separated-values format, as a third party would ship it."""

    from __future__ import annotations

    from pathlib import Path

    import pyarrow as pa

    from scanner.connectors.base import Dataset
    from scanner.formats import Format
    from scanner.writers.base import FileWriter


    def _rows(path):
        return [line.split("|") for line in path.read_text(encoding="utf-8").splitlines() if line]


    class PsvWriter(FileWriter):
        def run_dataset(self, ds, transform):
            rows = 0
            with open(self.tmp, "w", encoding="utf-8") as fh:
                for batch in ds.batches():
                    out = transform(batch).output()
                    if rows == 0:
                        fh.write("|".join(out.schema.names) + "\\n")
                    for record in zip(*[c.to_pylist() for c in out.columns]):
                        fh.write("|".join("" if v is None else str(v) for v in record) + "\\n")
                    rows += out.num_rows
            return rows


    class PsvFormat(Format):
        name = "psv"
        suffixes = (".psv",)

        def open(self, path, ds_id, source, options):
            def batches():
                header, *body = _rows(path)
                columns = {n: [r[i] if i < len(r) else "" for r in body] for i, n in enumerate(header)}
                yield pa.RecordBatch.from_pydict({n: pa.array(v, pa.string()) for n, v in columns.items()})

            return [Dataset(id=ds_id, source=source, format=self.name, open_batches=batches, location=str(path))]

        def writer(self, ds, final, source):
            return PsvWriter(final, source)
''')

MOBILES = [f"139{n:08d}" for n in (12345678, 23456789, 34567890, 45678901, 56789012, 67890123, 78901234, 89012345)]


def _data(root: Path) -> Path:
    data = root / "data"
    data.mkdir()
    lines = ["客户编号|姓名|手机号"] + [f"C{i:04d}|张{i}|{m}" for i, m in enumerate(MOBILES * 4)]
    (data / "people.psv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def _plugin(root: Path, entry_point: bool) -> Path:
    """The plug-in module in ``root/site``; with a dist-info declaring its entry point if asked."""
    site = root / "site"
    site.mkdir()
    (site / "psv_plugin.py").write_text(PLUGIN, encoding="utf-8")
    if entry_point:
        info = site / "psv_plugin-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: psv-plugin\nVersion: 0.1\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(f"[{formats.ENTRY_POINT_GROUP}]\npsv = psv_plugin:PsvFormat\n",
                                              encoding="utf-8")
    return site


def _phone_column(findings: dict) -> dict:
    ds = next(d for d in findings["datasets"] if d["id"] == "people.psv")
    assert ds["format"] == "psv" and not ds["errors"]
    return next(c for c in ds["columns"] if c["name"] == "手机号")


def _assert_masked(copy: Path) -> None:
    text = copy.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "客户编号|姓名|手机号"
    assert len(text.splitlines()) == 1 + len(MOBILES) * 4
    assert not any(m in text for m in MOBILES)


@pytest.fixture
def psv_registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[formats.Format]:
    site = _plugin(tmp_path, entry_point=False)
    monkeypatch.syspath_prepend(str(site))
    import psv_plugin  # type: ignore[import-not-found]  # written by _plugin

    fmt = formats.register(psv_plugin.PsvFormat)
    try:
        yield fmt
    finally:
        formats.unregister("psv")
        sys.modules.pop("psv_plugin", None)


def test_builtin_formats_by_suffix_and_name():
    expected = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
                ".parquet": "parquet", ".xlsx": "xlsx", ".txt": "text", ".text": "text", ".log": "text",
                ".db": "sqlite", ".sqlite": "sqlite", ".sqlite3": "sqlite", ".duckdb": "duckdb"}
    for suffix, name in expected.items():
        assert formats.by_suffix(suffix).name == name
        assert formats.by_suffix(suffix.upper()).name == name
    assert formats.by_suffix(".psv") is None and formats.find("table") is None
    assert {f.name for f in formats.all_formats() if f.spark_kind} == {"csv", "tsv", "parquet", "json", "jsonl"}
    assert {f.name for f in formats.all_formats() if f.line_oriented} == {"csv", "tsv", "jsonl", "text"}
    assert {f.name for f in formats.all_formats() if f.copyable} == {"csv", "tsv", "parquet", "json", "jsonl", "text"}
    with pytest.raises(formats.UnknownFormat):
        formats.get("nope")


def test_a_taken_suffix_is_refused_unless_replaced():
    csv_format = formats.get("csv")

    class Other(type(csv_format)):  # type: ignore[misc]
        name = "other-csv"

    with pytest.raises(ValueError, match=r"\.csv"):
        formats.register(Other)
    assert formats.by_suffix(".csv") is csv_format


def test_registered_format_is_scanned_and_anonymized(psv_registered, tmp_path: Path):
    data = _data(tmp_path)
    datasets, errors = resolve_sources([str(data)])
    assert not errors and [d.format for d in datasets] == ["psv"]

    scan = runner.invoke(app, ["scan", str(data), "-o", str(tmp_path / "scan"), "--no-history", "--quiet"])
    assert scan.exit_code == 0, scan.output
    findings = json.loads((tmp_path / "scan" / "findings.json").read_text(encoding="utf-8"))
    assert _phone_column(findings)["primary_entity"] == "CN_MOBILE_PHONE"

    out = tmp_path / "anon"
    run = runner.invoke(app, ["anonymize", str(data), "-o", str(out)])
    assert run.exit_code == 0, run.output
    _assert_masked(out / "people.psv")
    record = json.loads((out / "anonymization.json").read_text(encoding="utf-8"))
    assert [d["output"] for d in record["datasets"]] == ["people.psv"]


def test_entry_point_format_is_scanned_and_anonymized_by_the_cli(tmp_path: Path):
    data = _data(tmp_path)
    site = _plugin(tmp_path, entry_point=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "HOME": str(tmp_path)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=300)

    scan = cli("scan", str(data), "-o", str(tmp_path / "scan"), "--no-history", "--quiet")
    assert scan.returncode == 0, scan.stderr
    findings = json.loads((tmp_path / "scan" / "findings.json").read_text(encoding="utf-8"))
    assert _phone_column(findings)["primary_entity"] == "CN_MOBILE_PHONE"

    anon = cli("anonymize", str(data), "-o", str(tmp_path / "anon"))
    assert anon.returncode == 0, anon.stderr
    _assert_masked(tmp_path / "anon" / "people.psv")


def test_writer_for_mirrors_by_the_file_suffix(tmp_path: Path):
    """A tab-separated ``.csv`` reports ``tsv`` but is the CSV reader's, and so is its writer."""
    path = tmp_path / "t.csv"
    path.write_text("a\tb\n1\t2\n", encoding="utf-8")
    (ds,), _ = resolve_sources([str(path)])
    assert ds.format == "tsv" and formats.format_of(ds) is formats.get("csv") and formats.copyable(ds)
    writer = formats.writer_for(ds, tmp_path / "out" / "t.csv")
    try:
        assert type(writer).__name__ == "CsvWriter"
    finally:
        writer.abort()
