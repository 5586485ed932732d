"""Data-subject requests at scale: ``subject find`` by reading vs by index, and what ``scan --index`` costs.

    python -m bench.subject_bench [--rows 1000000] [--repeat 2]

One Parquet file of ``--rows`` rows (mobile, e-mail, amount, city) with one
person planted in five rows in several shapes. Library calls in one process
(imports and start-up excluded), fastest of ``--repeat`` runs:

- ``scan`` (sample) without and with ``index=`` (the index pass streams the
  identifier columns only, and only when asked for);
- ``subject_find`` reading the file (detection on the sample, identifier
  columns streamed and compared in bulk) and from the index.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scanner import api
from scanner.anonymize.keys import parse_key
from scanner.lifecycle.subject_find import building_index

KEY = parse_key(b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "bench")
PERSON = [(7, "+86 138-1234-5678"), (1_000, "13812345678"), (55_555, "138 1234 5678")]


def table(rows: int, seed: int = 3) -> pa.Table:
    """``rows`` people; the person's mobile in three shapes and e-mail twice."""
    rng = np.random.default_rng(seed)
    prefixes = np.array(["139", "186", "159", "177", "135"])
    mobiles = pc.binary_join_element_wise(
        pa.array(prefixes[rng.integers(0, len(prefixes), rows)]),
        pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**8, rows)), pa.string()), 8, "0"), "")
    emails = pc.binary_join_element_wise(pa.array(np.char.add("u", np.arange(rows).astype(str))),
                                         pa.array(["example.com"] * rows), "@")
    mobile_list, email_list = mobiles.to_pylist(), emails.to_pylist()
    for row, shape in PERSON:
        if row < rows:
            mobile_list[row] = shape
    for row in (3, rows - 1):
        email_list[row] = "Zhang.San@Example.com"
    return pa.table({"手机号": mobile_list, "email": email_list,
                     "amount": rng.integers(1, 10_000, rows), "city": rng.choice(["北京", "上海", "深圳"], rows)})


def best(repeat: int, run: Callable[[], object]) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        root.mkdir()
        pq.write_table(table(args.rows), root / "people.parquet")
        who = [("mobile", "138-1234-5678"), ("email", "zhang.san@example.com")]
        plain, _ = best(args.repeat, lambda: api.scan([str(root)]))

        def indexed() -> None:
            with building_index(Path(tmp) / "index", KEY) as index:
                api.scan([str(root)], index=index)

        with_index, _ = best(args.repeat, indexed)
        read, found = best(args.repeat, lambda: api.subject_find([str(root)], who))
        lookup, via = best(args.repeat, lambda: api.subject_find([str(root)], who, index=Path(tmp) / "index", key=KEY))
        rows_read = {c["column"]: c["rows"] for d in found.to_json()["datasets"] for c in d["columns"]}  # type: ignore[attr-defined]
        rows_index = {c["column"]: c["rows"] for d in via.to_json()["datasets"] for c in d["columns"]}  # type: ignore[attr-defined]
        print(f"rows: {args.rows:,}; person found (read): {rows_read}; (index): {rows_index}")
        print(f"scan (sample)            {plain:8.2f} s")
        print(f"scan --index             {with_index:8.2f} s   (+{with_index - plain:.2f} s for the index pass)")
        print(f"subject find (read)      {read:8.2f} s   ({args.rows / read:,.0f} rows/s)")
        print(f"subject find --index     {lookup:8.2f} s")


if __name__ == "__main__":
    main()
