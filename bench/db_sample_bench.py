"""Sample mode on a big PostgreSQL table reads a sample, not the table.

usage: python -m bench.db_sample_bench [--rows 1000000] [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates a throw-away database with one table of --rows rows (IDs, mobiles,
names), then times a sample-mode scan and a full scan of it, and reads
PostgreSQL's own counters (pg_stat_user_tables) for how many tuples each
scan made the server read. Drops the database afterwards.
"""

from __future__ import annotations

import argparse
import time
import uuid

import sqlalchemy as sa

from scanner.connectors.sqldb import open_database_url
from scanner.pipeline import ScanOptions, scan_dataset


def _tuples_read(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")
        value = conn.exec_driver_sql(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables "
            "WHERE relname = 'people'"
        ).scalar()
    engine.dispose()
    return int(value or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    admin = sa.create_engine(args.url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"pw_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = args.url.rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE people AS SELECT g AS id, "
                "'11010519' || lpad((50 + mod(g, 50))::text, 2, '0') || '0101' || lpad(mod(g, 1000)::text, 3, '0') || 'X' AS id_no, "
                "'1' || (3 + mod(g, 7))::text || lpad(mod(g::bigint * 7919, 1000000000)::text, 9, '0') AS mobile, "
                f"'用户' || g::text AS nickname FROM generate_series(1, {int(args.rows)}) g"
            )
            conn.exec_driver_sql("ALTER TABLE people ADD PRIMARY KEY (id)")
            conn.exec_driver_sql("ANALYZE people")
        engine.dispose()
        print(f"loaded {args.rows:,} rows in {time.perf_counter() - started:.1f}s")
        for label, options in [("sample", ScanOptions(sample_rows=10_000)), ("full", ScanOptions(full=True))]:
            before = _tuples_read(url)
            started = time.perf_counter()
            ds = next(d for d in open_database_url(url, url) if d.id == "public.people")
            result = scan_dataset(ds, options)
            elapsed = time.perf_counter() - started
            read = _tuples_read(url) - before
            print(f"{label:>6}: {elapsed:6.2f}s  rows profiled {result.rows_scanned:>9,}  "
                  f"tuples the server read {read:>9,}  rows (statistics) {result.rows:,}")
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
