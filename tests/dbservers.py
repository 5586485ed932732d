"""The real database servers the tests use, reached the same way by every test file.

With ``CI=true`` a server that cannot be reached fails the test (CI must
not pass by skipping); elsewhere the test is skipped with the command that
starts the server.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.conftest import in_ci

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MY_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
START_HINT = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "MariaDB": "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
}


def admin_engine(url: str, label: str) -> sa.Engine:
    """An autocommit engine on the server (to create and drop the test's own databases), or fail/skip."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        message = f"{label} not reachable ({type(exc.orig).__name__}); start it with: {START_HINT[label]}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return engine


# How each server is reached, its database created and dropped (a test's own databases: names are random).
_SERVERS = {
    "PostgreSQL": (PG_ADMIN, "postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
                   'CREATE DATABASE "{name}"', 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
    "MariaDB": (MY_ADMIN, "mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4",
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4", "DROP DATABASE IF EXISTS `{name}`"),
}


@contextlib.contextmanager
def throwaway_database(server: str, prefix: str) -> Iterator[str]:
    """A new empty database on ``server`` ("PostgreSQL" or "MariaDB"): its URL, dropped when the block ends."""
    admin_url, url, create, drop = _SERVERS[server]
    admin = admin_engine(admin_url, server)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(create.format(name=name))
        yield url.format(name=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(drop.format(name=name))
        admin.dispose()
