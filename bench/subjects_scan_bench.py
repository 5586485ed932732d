"""What ``subjects_estimate`` adds to a full scan: the same scan with and without the sketch.

usage: python -m bench.subjects_scan_bench [--rows 1000000] [--repeat 3] [--workers 1]

Writes a Parquet file of three identifier columns (resident IDs, about
one per row; mobiles, one per five rows; e-mails, one per two rows; the
generators of ``bench.distinct_bench``), then runs ``api.scan(full=True)``
on it alternately with the sketch hook switched off and on, best of
``--repeat``, the order of each pair alternating (shared VMs drift: only
the fastest run of each counts; the second scan of a pair runs slower). Every
column is an identifier column, so this is the worst case for the sketch.
Prints both times, their ratio and the estimate's error against the exact
number of distinct resident IDs (the largest identifier column); then writes
the scan's findings.json, builds ``inventory.xlsx`` from it
(``api.inventory``), opens it with openpyxl and prints the estimate its
rows carry against the same exact count (the issue's "within 2 % of the
truth on a 1M-row table").
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import scanner.pipeline as pipeline
from bench.distinct_bench import emails, mobiles, resident_ids
from scanner import api
from scanner.lifecycle.subjects import SubjectSketches
from scanner.pipeline import ScanOptions


def _no_sketch(arrays: object, validated: object) -> dict[str, bytes]:
    """The hook switched off: no unit sketches (the scan as it was before ``subjects_estimate``)."""
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n = args.rows
    table = pa.table({"身份证号": resident_ids(n, rng), "手机号": mobiles(n, n // 5, rng), "email": emails(n, n // 2, rng)})
    exact = len(set(table["身份证号"].to_pylist()))
    path = Path(tempfile.mkdtemp()) / "people.parquet"
    pq.write_table(table, path)
    real, real_add = pipeline.unit_sketches, SubjectSketches.add
    spent: list[float] = []  # CPU seconds inside the sketch's own code, in this process (workers=1)

    def timed(function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            start = time.process_time()
            try:
                return function(*args)
            finally:
                spent.append(time.process_time() - start)
        return run

    times: dict[str, list[float]] = {"off": [], "on": []}
    shares: list[float] = []
    estimate = None
    for rep in range(args.repeat):
        # The order alternates: the second scan of a pair ran slower (the first one's garbage, warm pages),
        # which, with "off" always first, put several per cent on the sketch that were not its own.
        for mode in (("off", "on") if rep % 2 == 0 else ("on", "off")):
            pipeline.unit_sketches = timed(real) if mode == "on" else _no_sketch  # type: ignore[assignment]
            SubjectSketches.add = timed(real_add) if mode == "on" else real_add  # type: ignore[method-assign]
            spent.clear()
            start, cpu = time.perf_counter(), time.process_time()
            result = api.scan([str(path)], options=ScanOptions(full=True, workers=args.workers))
            times[mode].append(time.perf_counter() - start)
            if mode == "on":
                estimate, with_sketch = result.datasets[0].subjects_estimate, result
                shares.append(sum(spent) / (time.process_time() - cpu))
    pipeline.unit_sketches, SubjectSketches.add = real, real_add  # type: ignore[method-assign]
    print(inventory_check(with_sketch, exact))
    off, on = min(times["off"]), min(times["on"])
    error = abs((estimate or 0) - exact) / exact
    print(f"rows={n:,} workers={args.workers} scan without sketch {off:.2f} s, with {on:.2f} s, ratio {on / off:.3f}; "
          f"estimate {estimate:,} vs exact {exact:,} ({error:.2%})")
    if args.workers == 1:  # in-process: the sketch's own CPU time, which run-to-run noise does not blur
        print(f"the sketch's own CPU time within the scan: median {sorted(shares)[len(shares) // 2]:.1%} of the "
              f"scan's CPU time ({len(shares)} runs)")


def inventory_check(result: api.ScanResult, exact: int) -> str:
    """The estimate as ``inventory.xlsx`` shows it (read back with openpyxl), and its error against ``exact``."""
    import openpyxl

    from scanner.lifecycle.inventory import ROW_HEADERS

    with tempfile.TemporaryDirectory() as tmp:
        findings = Path(tmp) / "findings.json"
        findings.write_text(json.dumps(result.to_json(), ensure_ascii=False), encoding="utf-8")
        target = Path(tmp) / "inventory.xlsx"
        api.inventory([findings], target)
        book = openpyxl.load_workbook(target, read_only=True)
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        book.close()
    column = list(rows[0]).index(dict(ROW_HEADERS)["subjects_estimate"])
    shown = {row[column] for row in rows[1:] if row[column] is not None}
    if len(shown) != 1:
        return f"inventory.xlsx: expected one estimate for the dataset, found {sorted(shown)}"
    (value,) = shown
    return (f"inventory.xlsx ({len(rows) - 1} rows, opened with openpyxl): estimated data subjects {value:,} "
            f"vs exact {exact:,} ({abs(int(value) - exact) / exact:.2%})")


if __name__ == "__main__":
    main()
