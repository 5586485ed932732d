"""Rule inputs computed inside the database: exact counts by aggregate, and SELECT grants.

Pulling every row of a 100-million-row table to count children would hurt the
database and take all night. Instead each check is one ``GROUP BY`` over the
date-bearing part of its column (a date, or the birth-date digits of an ID
number): the server returns one row per distinct day, which is parsed with the
same Arrow code as the file path (``dates.py``) and weighted by the group
counts, so both paths agree to the row.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from scanner.connectors.base import Dataset
from scanner.connectors.sql import SqlTable
from scanner.model import DatasetResult, Grant
from scanner.model import SourceError as ErrorEntry
from scanner.policy.checks import Check, judge, parse


def supports_sql(check: Check) -> bool:
    """Free-text ID columns need a regex over each value: those are streamed instead."""
    return not check.free_text


def _key_expression(table: SqlTable, check: Check) -> sa.ColumnElement:
    """The part of the column that decides the check, as an SQL expression to group by."""
    col: sa.ColumnClause[Any] = sa.column(check.column)
    col_type = table.types.get(check.column)
    if check.dates_in_ids:
        text = sa.func.upper(sa.func.trim(sa.cast(col, sa.String)), type_=sa.String)
        length = sa.func.length(text)
        # Keep only the birth-date digits, padded back to an ID shape that dates.py parses.
        id18 = sa.literal("000000", sa.String) + sa.func.substr(text, 7, 8, type_=sa.String) + sa.literal("0000")
        id15 = sa.literal("000000", sa.String) + sa.func.substr(text, 7, 6, type_=sa.String) + sa.literal("000")
        return sa.case((length == 18, id18), (length == 15, id15), else_=text)
    if isinstance(col_type, sa.types.DateTime):
        return sa.cast(col, sa.Date)
    return col


def _arrow_keys(values: list[Any]) -> pa.Array:
    """Group keys as Arrow, as a batch read would have typed them (strings stay strings)."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def run_check_in_database(dataset: Dataset, check: Check) -> str | None:
    """One GROUP BY for one check; totals weighted by group sizes. The error line on failure."""
    table: SqlTable = dataset.sql
    if check.column not in table.columns:
        check.status = "column_missing"
        return None
    key = _key_expression(table, check).label("k")
    statement = sa.select(key, sa.func.count().label("n")).select_from(table.clause).group_by(key)
    try:
        with table.session() as conn:
            rows = conn.execute(statement).all()
    except sa.exc.SQLAlchemyError as exc:
        return table.error_line(exc)
    keys = _arrow_keys([r[0] for r in rows])
    weights = np.array([int(r[1]) for r in rows], dtype=np.int64)
    parsed = parse(check, keys)
    present = _present(keys)
    hits, unusable = judge(check, parsed.dates)
    unparseable = pc.and_(present, pc.is_null(parsed.dates))
    check.rows += int(weights.sum())
    check.missing += int(weights[~_np(present)].sum())
    check.unparseable += int(weights[_np(unparseable)].sum() + weights[_np(unusable)].sum())
    check.hits += int(weights[_np(hits)].sum())
    return None


def hit_keys(table: SqlTable, check: Check) -> tuple[sa.ColumnElement[Any], list[Any], int]:
    """The check's GROUP BY key expression, the keys it judges as hits, and how many rows they hold.

    ``purge`` deletes ``WHERE <key> IN (<hit keys>)`` (bound parameters):
    the very grouping, parsing and judging the count used, so the rows
    deleted are the rows counted, to the row.
    """
    key = _key_expression(table, check)
    statement = sa.select(key.label("k"), sa.func.count().label("n")).select_from(table.clause).group_by(key)
    with table.session() as conn:
        rows = conn.execute(statement).all()
    values = [r[0] for r in rows]
    hits, _unusable = judge(check, parse(check, _arrow_keys(values)).dates)
    chosen = _np(hits)
    return key, [v for v, hit in zip(values, chosen) if hit], int(sum(int(r[1]) for r, hit in zip(rows, chosen) if hit))


def _present(keys: pa.Array) -> pa.Array:
    valid = pc.is_valid(keys)
    if pa.types.is_string(keys.type):
        valid = pc.and_(valid, pc.not_equal(pc.fill_null(pc.utf8_trim_whitespace(keys), ""), ""))
    return pc.fill_null(valid, False)


def _np(mask: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def attach_grants(scanned: list[tuple[Dataset, DatasetResult]]) -> tuple[list[DatasetResult], list[ErrorEntry]]:
    """Each result with who can SELECT it (``grants``) when it is a database table holding level >= 3 columns."""
    results: list[DatasetResult] = []
    errors: list[ErrorEntry] = []
    for dataset, ds in scanned:
        if dataset.sql is None or ds.failed or ds.max_level < 3:
            results.append(ds)
            continue
        try:
            with dataset.sql.session() as conn:
                ds = replace(ds, grants=[Grant(g) for g in dataset.sql.backend.select_grantees(conn, dataset.sql)])
        except sa.exc.SQLAlchemyError as exc:
            errors.append(ErrorEntry(dataset.where, f"cannot read grants: {dataset.sql.error_line(exc)}"))
        results.append(ds)
    return results, errors
