"""Database dialects: one module per backend (``postgresql``, ``mysql``, ``sqlite``, ``duckdb``).

``dialect_for(name)`` gives the ``Dialect`` for a SQLAlchemy dialect name;
``SqlTable`` is a table as the connector, the policy's aggregates and the
grant checks see it.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy.engine import Connection

from scanner.connectors.scope import shared_engines
from scanner.connectors.sql.base import (
    DEFAULT_STATEMENT_TIMEOUT,
    KEY_RANGE_CHUNKS,
    SMALL_TABLE_ROWS,
    Dialect,
    SqlTable,
    TableInfo,
    dialect_for,
    error_line,
    known_dialects,
    lock_timeout,
    register,
    statement_timeout,
)

__all__ = [
    "DEFAULT_STATEMENT_TIMEOUT", "KEY_RANGE_CHUNKS", "SMALL_TABLE_ROWS", "Dialect", "SqlTable", "TableInfo", "dialect_for",
    "error_line", "known_dialects", "lock_timeout", "register", "sample_statements", "shared_engines",
    "statement_timeout",
]


def sample_statements(conn: Connection, table: SqlTable, k: int, rows: int | None,
                      rng: random.Random) -> list[Any]:
    """The statements that sample ``table`` on its own backend (``Dialect.sample_statements``)."""
    return table.backend.sample_statements(conn, table, k, rows, rng)
