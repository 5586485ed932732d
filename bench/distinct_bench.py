"""What the distinct-subject estimate costs a scan, and how close it is.

usage: python -m bench.distinct_bench [--rows 1000000] [--repeat 5] [--no-scan]

Builds three identifier columns of ``--rows`` rows (resident IDs, about one
per row; mobiles, one per five rows; e-mails of varying length, one per two
rows) and measures, best of ``--repeat`` (these shared VMs drift, so only
the fastest run counts):

* the sketch: ``hash64`` + register update over the column as it is; with
  the subject normalization first (``identifiers.normalize_identifiers``,
  which matches the entity's cell pattern itself); and with the
  normalization given the pattern-hit mask a scan has already computed
  (``pattern_hits``: no second regex pass);
* a plain pass: one RE2 ``match_substring_regex`` of the entity's cell
  pattern over the same column, the least work the scan does on every cell;
* unless ``--no-scan``: ``piiwarden scan --full`` of the same three columns
  as Parquet (one worker), so the sketch time can be read as the share of a
  real scan it would add.

It prints each cost as a ratio to the plain pass and to the scan, the
estimate's error against the exact distinct count, and the sketch's size
as findings.json would hold it. Figures are ratios from one run.
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scanner.lifecycle.distinct import DistinctSketch, hash64

ROOT = Path(__file__).resolve().parent.parent
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def _strings(matrix: np.ndarray) -> pa.Array:
    """Fixed-width ASCII rows of a uint8 matrix as an Arrow string array (no Python loop)."""
    n, width = matrix.shape
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(matrix).tobytes()))


def resident_ids(n: int, rng: np.random.Generator) -> pa.Array:
    """Valid 18-character resident IDs (Beijing Dongcheng, born 1950-2004, GB 11643 check character)."""
    digits = np.empty((n, 17), dtype=np.int64)
    digits[:, :6] = [1, 1, 0, 1, 0, 1]
    year = rng.integers(1950, 2005, n)
    month, day, seq = rng.integers(1, 13, n), rng.integers(1, 29, n), rng.integers(0, 1000, n)
    for i, (value, width) in enumerate(((year, 4), (month, 2), (day, 2), (seq, 3))):
        start = 6 + sum((4, 2, 2, 3)[:i])
        for j in range(width):
            digits[:, start + j] = value // 10 ** (width - 1 - j) % 10
    check = ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]
    return _strings(np.concatenate([(digits + 48).astype(np.uint8), check[:, None]], axis=1))


def mobiles(n: int, people: int, rng: np.random.Generator) -> pa.Array:
    """Rows of ``people`` distinct mobile numbers (13x-19x), each person on several rows."""
    matrix = np.empty((people, 11), dtype=np.uint8)
    matrix[:, 0] = ord("1")
    matrix[:, 1] = rng.choice(np.frombuffer(b"3578", dtype=np.uint8), people)
    matrix[:, 2:] = rng.integers(48, 58, (people, 9), dtype=np.uint8)
    return _strings(matrix).take(pa.array(rng.integers(0, people, n)))


def emails(n: int, people: int, rng: np.random.Generator) -> pa.Array:
    """E-mail addresses of varying length (the word-gather path), ``people`` distinct."""
    domains = np.array(["qq.com", "163.com", "example.com.cn", "corp-mail.example.org"])
    users = pc.binary_join_element_wise(pa.array(np.char.mod("user%d", rng.permutation(people * 7)[:people])),
                                        pa.array(domains[rng.integers(0, len(domains), people)]), "@")
    return users.take(pa.array(rng.integers(0, people, n)))


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of ``repeat`` timings (other tenants only ever slow a run down)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def scan_seconds(table: pa.Table, repeat: int) -> float:
    """Best wall time of ``piiwarden scan --full`` (one worker) over the table as Parquet."""
    with tempfile.TemporaryDirectory(prefix="pw-distinct-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        pq.write_table(table, src / "people.parquet")
        env = {**os.environ, "HOME": tmp, "PIIWARDEN_AUDIT_LOG": str(Path(tmp) / "audit.log")}

        def run() -> None:
            done = subprocess.run([sys.executable, "-m", "scanner", "scan", str(src), "-o", str(Path(tmp) / "out"),
                                   "--full", "--workers", "1", "--no-history"], cwd=ROOT, env=env,
                                  capture_output=True, text=True)
            if done.returncode not in (0, 1):
                raise RuntimeError(f"scan failed: {done.stderr.strip().splitlines()[-1:]}")

        return best_of(max(1, repeat // 2), run)


def _sketch(values: pa.Array) -> DistinctSketch:
    return DistinctSketch().add_hashes(hash64(values))


def _normalized_sketch(entity: str, values: pa.Array, hits: pa.Array | None) -> DistinctSketch:
    from scanner.lifecycle.identifiers import normalize_identifiers

    return DistinctSketch().add(normalize_identifiers(entity, values, pattern_hits=hits))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-scan", action="store_true", help="skip the end-to-end piiwarden scan")
    args = parser.parse_args()

    from scanner.anonymize.columns import cell_patterns

    rng = np.random.default_rng(2026)
    n = args.rows
    columns = {"身份证号": ("CN_RESIDENT_ID", resident_ids(n, rng)),
               "手机号": ("CN_MOBILE_PHONE", mobiles(n, n // 5, rng)),
               "email": ("EMAIL_ADDRESS", emails(n, n // 2, rng))}
    patterns = cell_patterns()
    print(f"{n:,} rows per column, best of {args.repeat}; ratios are sketch time / reference time\n")
    print("| column | exact distinct | estimate | error | sketch (hash + add) | + normalization "
          "| + normalization, scan's mask | RE2 cell pass | sketch / RE2 | normalized / RE2 | with mask / RE2 "
          "| sketch text |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    totals = {"sketch": 0.0, "normalized": 0.0, "masked": 0.0}
    for name, (entity, values) in columns.items():
        exact = pc.count_distinct(values).as_py()
        sketch = DistinctSketch().add(values)
        estimate = sketch.estimate()
        hits = pc.match_substring_regex(pc.utf8_trim_whitespace(values), patterns[entity])
        plain = best_of(args.repeat, functools.partial(pc.match_substring_regex, values, patterns[entity]))
        cost = best_of(args.repeat, functools.partial(_sketch, values))
        normalized = best_of(args.repeat, functools.partial(_normalized_sketch, entity, values, None))
        masked = best_of(args.repeat, functools.partial(_normalized_sketch, entity, values, hits))
        totals["sketch"] += cost
        totals["normalized"] += normalized
        totals["masked"] += masked
        print(f"| {name} | {exact:,} | {estimate:,} | {(estimate - exact) / exact:+.2%} | {cost * 1000:.0f} ms "
              f"| {normalized * 1000:.0f} ms | {masked * 1000:.0f} ms | {plain * 1000:.0f} ms | {cost / plain:.2f}x "
              f"| {normalized / plain:.2f}x | {masked / plain:.2f}x | {len(sketch.to_text()):,} chars |")
    if args.no_scan:
        return
    table = pa.table({name: values for name, (_entity, values) in columns.items()})
    scan = scan_seconds(table, args.repeat)
    print(f"\npiiwarden scan --full, one worker, same {len(columns)} columns: {scan:.2f} s")
    for label, key in (("sketches alone", "sketch"), ("normalization + sketches", "normalized"),
                       ("normalization with the scan's mask + sketches", "masked")):
        print(f"{label}: {totals[key]:.3f} s = {totals[key] / scan:.2%} of the scan (goal: < 5%)")


if __name__ == "__main__":
    main()
