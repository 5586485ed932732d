"""A thousand tables and one 10M-row table on PostgreSQL: crawl rate, sample time, full-read rate.

usage: python -m bench.db_scale_bench [--tables 1000] [--rows 300] [--big-rows 10000000]
                                      [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates a throw-away database (``dbscale_bench_*``, built server-side with
generate_series), prints, and drops it at the end:

- crawl of --tables tables (10 columns, --rows rows each) with --workers 1
  and 2: tables/s of the whole scan (``scanner.api.scan``, detection
  included) and of the reading alone (catalog, estimates and every table's
  sample drained, no detection: the per-table overhead);
- a sample scan of the big table (seconds);
- the big table's full read (``Dataset.batches()`` drained: COPY into Arrow)
  in rows/s, against ``COPY big TO STDOUT`` into /dev/null measured in the
  same run, as a ratio; and the full read through a server-side cursor (the
  path before COPY) for comparison.
"""

from __future__ import annotations

import argparse
import time
import uuid

import psycopg
import sqlalchemy as sa

from scanner.api import scan
from scanner.connectors.sql import shared_engines
from scanner.connectors.sql.postgresql import PostgresDialect
from scanner.connectors.sqldb import open_database_url
from scanner.pipeline import ScanOptions, scan_dataset

TABLES_SQL = """
DO $$ BEGIN FOR i IN 1..{tables} LOOP
EXECUTE format('CREATE TABLE t%s (id integer PRIMARY KEY, name text, mobile text, email text, city text,
  amount numeric(10,2), created date, note text, status integer, code text)', lpad(i::text, 4, '0'));
EXECUTE format($f$INSERT INTO t%s SELECT g, '用户' || g, '1' || (3 + g %% 7) || lpad((g * 7919 %% 1000000000)::text, 9, '0'),
  'u' || g || '@example.com', '北京', g * 1.5, DATE '2024-01-01' + g, 'note ' || g, g %% 3, 'C' || g
  FROM generate_series(1, {rows}) g$f$, lpad(i::text, 4, '0'));
EXECUTE format('COMMENT ON COLUMN t%s.mobile IS %L', lpad(i::text, 4, '0'), '手机号');
END LOOP; END $$;
"""
BIG_SQL = """
CREATE TABLE big.people AS SELECT g AS id,
  '11010519' || lpad((50 + mod(g, 50))::text, 2, '0') || '0101' || lpad(mod(g, 1000)::text, 3, '0') || 'X' AS id_no,
  '1' || (3 + mod(g, 7))::text || lpad(mod(g::bigint * 7919, 1000000000)::text, 9, '0') AS mobile,
  '用户' || g::text AS nickname FROM generate_series(1, {rows}) g
"""


def _dsn(url: str) -> str:
    u = sa.engine.make_url(url)
    return f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"


def _build(url: str, tables: int, rows: int, big_rows: int) -> None:
    started = time.perf_counter()
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute(TABLES_SQL.format(tables=int(tables), rows=int(rows)))
        conn.execute("CREATE SCHEMA big")
        conn.execute(BIG_SQL.format(rows=int(big_rows)))
        conn.execute("ALTER TABLE big.people ADD PRIMARY KEY (id)")
        conn.execute("ANALYZE")
    print(f"built {tables} tables x {rows} rows and big.people ({big_rows:,} rows) in "
          f"{time.perf_counter() - started:.1f}s")


def _read_only(url: str) -> float:
    """Seconds to list every public table and drain its sample (no detection): the per-table overhead."""
    started = time.perf_counter()
    with shared_engines():
        for ds in open_database_url(url, url):
            if ds.id.startswith("public."):
                for _ in ds.sampled_batches(10_000):
                    pass
    return time.perf_counter() - started


def _copy_devnull(url: str) -> float:
    started = time.perf_counter()
    with psycopg.connect(_dsn(url)) as conn, open("/dev/null", "wb") as sink, conn.cursor() as cur, \
            cur.copy("COPY big.people TO STDOUT") as copy:
        for chunk in copy:
            sink.write(chunk)
    return time.perf_counter() - started


def _drain(ds) -> tuple[float, int]:  # noqa: ANN001 - a Dataset
    started = time.perf_counter()
    n = sum(b.num_rows for b in ds.batches())
    return time.perf_counter() - started, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    name = f"dbscale_bench_{uuid.uuid4().hex[:8]}"
    admin = _dsn(args.url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = args.url.rsplit("/", 1)[0] + f"/{name}"
    try:
        _build(url, args.tables, args.rows, args.big_rows)
        crawl = [f"public.t{i:04d}" for i in range(1, args.tables + 1)]
        elapsed = _read_only(url)
        print(f"read only (catalog + every sample, no detection): {elapsed:.1f}s  {args.tables / elapsed:.1f} tables/s")
        for workers in (1, 2):
            started = time.perf_counter()
            result = scan([url], options=ScanOptions(workers=workers), include=["public.*"])
            elapsed = time.perf_counter() - started
            assert len(result.datasets) == len(crawl) and not result.errors, result.errors[:3]
            print(f"scan --workers {workers}: {elapsed:.1f}s  {args.tables / elapsed:.1f} tables/s")
        with shared_engines():
            (big,) = [d for d in open_database_url(url, url) if d.id == "big.people"]
            started = time.perf_counter()
            sampled = scan_dataset(big, ScanOptions(sample_rows=10_000))
            print(f"sample scan of big.people ({big.rows:,} rows): {time.perf_counter() - started:.2f}s, "
                  f"{sampled.rows_scanned:,} rows profiled")
            baseline = _copy_devnull(url)
            copy_s, n = _drain(big)
            original = PostgresDialect.stream_table
            PostgresDialect.stream_table = lambda self, conn, table: None  # type: ignore[method-assign]
            try:
                cursor_s, m = _drain(big)
            finally:
                PostgresDialect.stream_table = original  # type: ignore[method-assign]
        assert n == m == args.big_rows
        print(f"COPY TO STDOUT > /dev/null: {n / baseline:,.0f} rows/s ({baseline:.1f}s)")
        print(f"full read, COPY into Arrow:  {n / copy_s:,.0f} rows/s ({copy_s:.1f}s)  = baseline / {copy_s / baseline:.2f}")
        print(f"full read, server cursor:    {n / cursor_s:,.0f} rows/s ({cursor_s:.1f}s)  = baseline / "
              f"{cursor_s / baseline:.2f}")
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
