"""Scan and anonymize throughput against the peers, in one run on the same data.

usage: python -m bench.scan_bench [--rows 200000] [--peer-rows 2000] [--big-csv-mb 0]

Generates bench.table (a mixed Chinese/English table: 12 columns, one free
text), writes it as Parquet, then measures on the same data:

* piiwarden full scan (``--full``), sample scan and anonymize, each as the CLI
  under ``/usr/bin/time -v`` (wall time and peak RSS); cells/s are given
  end to end and with the process start-up (imports, measured separately)
  taken out;
* presidio-structured's PandasAnalysisBuilder on --peer-rows rows, scaled,
  with the same offline AnalyzerEngine and recognizers (its default would
  download a spaCy model); its column labels are scored like piiwarden's;
* Presidio's BatchAnalyzerEngine over every cell of --peer-rows rows, scaled;
* the floor: one pyarrow RE2 pass of a single combined pattern over every cell.

``--big-csv-mb N`` also writes an N MB CSV and reports peak RSS scanning
(--full) and anonymizing it. Figures are ratios from one run, not promises.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.table import COLUMNS, FREE_TEXT, generate, labels

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-key-" + "0" * 54


def timed_cli(args: list[str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of one piiwarden command."""
    env = {**os.environ, "PIIWARDEN_KEY": KEY}
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", sys.executable, "-m", "scanner", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"piiwarden {args[0]} failed: {proc.stderr.strip().splitlines()[-1:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) // 1024
    return wall, rss


def startup_seconds() -> float:
    """Import and start-up cost of one CLI process (timed on a scan of a one-row file)."""
    with tempfile.TemporaryDirectory() as tmp:
        tiny = Path(tmp) / "tiny.csv"
        tiny.write_text("a\n1\n", encoding="utf-8")
        wall, _ = timed_cli(["scan", str(tiny), "-o", str(Path(tmp) / "o"), "--no-history", "-q"])
    return wall


def re2_floor(table: pa.Table) -> float:
    """Cells/s of one RE2 pass of all cell patterns combined over every cell."""
    from detectors.recognizers import RECOGNIZER_CLASSES

    pattern = "|".join(f"(?:{cls.CELL_REGEX})" for cls in RECOGNIZER_CLASSES)
    started = time.perf_counter()
    for column in table.columns:
        pc.match_substring_regex(column, pattern)
    return table.num_rows * table.num_columns / (time.perf_counter() - started)


def column_f1(predicted: dict[str, str | None]) -> float:
    """F1 of predicted primary entities against bench.table's labels (free text excluded)."""
    tp = fp = fn = 0
    for column, want in labels().items():
        got = predicted.get(column)
        if got == want and want is not None:
            tp += 1
        else:
            fp += got is not None
            fn += want is not None
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def presidio_structured(table: pa.Table) -> tuple[float, float]:
    """(cells/s, column F1) of presidio-structured's analysis with piiwarden's offline analyzer."""
    from presidio_structured import PandasAnalysisBuilder

    from detectors.engine import get_analyzer

    frame = table.to_pandas()
    builder = PandasAnalysisBuilder(analyzer=get_analyzer())
    started = time.perf_counter()
    analysis = builder.generate_analysis(frame, n=len(frame), language="zh")
    rate = table.num_rows * table.num_columns / (time.perf_counter() - started)
    mapping = dict(analysis.entity_mapping)
    return rate, column_f1({c: mapping.get(c) for c in table.column_names})


def batch_analyzer(table: pa.Table) -> float:
    """Cells/s of Presidio's BatchAnalyzerEngine over every cell (analyze_dict)."""
    from detectors.engine import get_batch_analyzer

    started = time.perf_counter()
    data = {name: table.column(name).to_pylist() for name in table.column_names}
    for _ in get_batch_analyzer().analyze_dict(data, language="zh"):
        pass
    return table.num_rows * table.num_columns / (time.perf_counter() - started)


def piiwarden_f1(findings: Path) -> float:
    import json

    doc = json.loads(findings.read_text(encoding="utf-8"))
    return column_f1({c["name"]: c["primary_entity"] for c in doc["datasets"][0]["columns"]
                      if c["name"] not in FREE_TEXT})


def measure_table(table: pa.Table, parquet: Path, tmp: Path, peer_rows: int) -> None:
    """piiwarden scan/anonymize vs the peers and the floor, on the benchmark table."""
    cells = table.num_rows * table.num_columns
    startup = startup_seconds()
    rows: dict[str, tuple[float, float, int]] = {}
    for label, cmd in [
        ("piiwarden full scan", ["scan", str(parquet), "--full", "-o", str(tmp / "full"), "--no-history", "-q"]),
        ("piiwarden sample scan", ["scan", str(parquet), "-o", str(tmp / "sample"), "--no-history", "-q"]),
        ("piiwarden anonymize", ["anonymize", str(parquet), "-o", str(tmp / "anon")]),
    ]:
        wall, rss = timed_cli(cmd)
        rows[label] = (cells / wall, cells / max(0.01, wall - startup), rss)
    floor = re2_floor(table)
    peer = table.slice(0, peer_rows)
    structured_rate, structured_f1 = presidio_structured(peer)
    batch_rate = batch_analyzer(peer)
    ours_f1 = piiwarden_f1(tmp / "full" / "findings.json")

    print(f"\nprocess start-up (imports): {startup:.1f} s, taken out in the 'net' column")
    print(f"{'measure':<34}{'cells/s (end to end)':>22}{'cells/s (net)':>16}{'peak RSS MB':>13}")
    for label, (gross, net, rss) in rows.items():
        print(f"{label:<34}{gross:>22,.0f}{net:>16,.0f}{rss:>13}")
    print(f"{'presidio-structured (' + str(peer_rows) + ' rows)':<34}{structured_rate:>22,.0f}")
    print(f"{'Presidio BatchAnalyzerEngine':<34}{batch_rate:>22,.0f}")
    print(f"{'RE2 floor (one combined pattern)':<34}{floor:>22,.0f}")
    full_net = rows["piiwarden full scan"][1]
    print("\nratios (piiwarden full scan, net):")
    print(f"  / presidio-structured   {full_net / structured_rate:8.1f}x   (target >= 300x)")
    print(f"  / BatchAnalyzerEngine   {full_net / batch_rate:8.1f}x")
    print(f"  floor / piiwarden       {floor / full_net:8.1f}x   (target <= 10x)")
    print(f"  anonymize net           {rows['piiwarden anonymize'][1]:,.0f} cells/s (target >= 500k/core)")
    print(f"column F1 on the generated labels: piiwarden {ours_f1:.3f}, presidio-structured {structured_f1:.3f}")


def measure_big_csv(table: pa.Table, tmp: Path, megabytes: int, anonymize: bool) -> None:
    """Peak RSS and time on a big CSV made of the table repeated (memory must stay bounded)."""
    import pyarrow.csv as pacsv

    chunk = tmp / "chunk.csv"
    pacsv.write_csv(table, chunk)
    head, body = chunk.read_bytes().split(b"\n", 1)
    big = tmp / "big.csv"
    with open(big, "wb") as fh:
        fh.write(head + b"\n")
        while fh.tell() < megabytes * 1_000_000:
            fh.write(body)
    size = big.stat().st_size / 1e6
    runs = [("scan (sample)", ["scan", str(big), "-o", str(tmp / "bigs"), "--no-history", "-q"]),
            ("scan --full", ["scan", str(big), "--full", "-o", str(tmp / "bigout"), "--no-history", "-q"])]
    if anonymize:
        runs.append(("anonymize", ["anonymize", str(big), "-o", str(tmp / "biganon")]))
    for label, cmd in runs:
        wall, rss = timed_cli(cmd)
        print(f"{size:,.0f} MB CSV {label:<14} {wall:8.1f} s   peak RSS {rss} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--peer-rows", type=int, default=2_000)
    parser.add_argument("--big-csv-mb", type=int, default=0, help="also measure an N MB CSV (peak RSS)")
    parser.add_argument("--big-csv-anonymize", action="store_true", help="also anonymize the big CSV (slow)")
    parser.add_argument("--only-big-csv", action="store_true", help="skip the table measurements")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"pyarrow {pa.__version__}")
    tmp = Path(tempfile.mkdtemp(prefix="piiwarden-bench-"))
    table = generate(args.rows)
    parquet = tmp / "table.parquet"
    pq.write_table(table, parquet)
    print(f"table: {table.num_rows:,} rows x {len(COLUMNS)} columns = {table.num_rows * table.num_columns:,} cells "
          f"({parquet.stat().st_size / 1e6:.0f} MB Parquet)")
    if not args.only_big_csv:
        measure_table(table, parquet, tmp, args.peer_rows)
    if args.big_csv_mb:
        measure_big_csv(table, tmp, args.big_csv_mb, args.big_csv_anonymize)
    print(f"\n(outputs in {tmp})")


if __name__ == "__main__":
    main()
