"""The real database servers the tests use, reached the same way by every test file.

With ``CI=true`` a server that cannot be reached fails the test (CI must
not pass by skipping); elsewhere the test is skipped with the command that
starts the server.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import NamedTuple

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


class _Server(NamedTuple):
    """How a server is reached, and a test's own database and account on it made and dropped.

    ``{name}`` is filled in; ``login`` is appended to ``account`` when the account has a password.
    ``drop_account`` drops whichever kind of account has the name (MariaDB keeps users and roles apart).
    """

    admin: str
    url: str
    create: str
    drop: str
    account: str
    login: str
    role: str
    drop_account: tuple[str, ...]


_SERVERS = {
    "PostgreSQL": _Server(PG_ADMIN, "postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
                          'CREATE DATABASE "{name}"', 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                          'CREATE ROLE "{name}"', " LOGIN PASSWORD '{password}'", 'CREATE ROLE "{name}" NOLOGIN',
                          ('DROP ROLE IF EXISTS "{name}"',)),
    # %% : pymysql formats a statement even without parameters
    "MariaDB": _Server(MY_ADMIN, "mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4",
                       "CREATE DATABASE `{name}` CHARACTER SET utf8mb4", "DROP DATABASE IF EXISTS `{name}`",
                       "CREATE USER '{name}'@'%%'", " IDENTIFIED BY '{password}'", "CREATE ROLE `{name}`",
                       ("DROP USER IF EXISTS '{name}'@'%%'", "DROP ROLE IF EXISTS `{name}`")),
}


def database_url(server: str, name: str) -> str:
    """The URL of database ``name`` on ``server``, as the superuser: for a database the code under test made."""
    return _SERVERS[server].url.format(name=name)


@contextlib.contextmanager
def throwaway_database(server: str, prefix: str) -> Iterator[str]:
    """A new empty database on ``server`` ("PostgreSQL" or "MariaDB"): its URL, dropped when the block ends.

    The one way tests make a database of their own, so that every one gets a
    unique name (tests run side by side on shared servers), the same reach
    check (fail in CI, skip elsewhere) and a drop that runs even when the
    block fails. The name is ``sa.make_url(url).database``.
    """
    admin = admin_engine(_SERVERS[server].admin, server)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(_SERVERS[server].create.format(name=name))
        yield database_url(server, name)
    finally:
        admin.dispose()
        drop_databases(server, name)


def drop_databases(server: str, *names: str) -> None:
    """Drop the named databases on ``server`` if they exist.

    For databases a test did not make but the code under test did (anonymize
    turns a PostgreSQL schema into a MariaDB database): the test still has to
    leave the server as it found it.
    """
    admin = admin_engine(_SERVERS[server].admin, server)
    try:
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(_SERVERS[server].drop.format(name=name))
    finally:
        admin.dispose()


@contextlib.contextmanager
def throwaway_account(server: str, prefix: str, password: str | None = None, *, role: bool = False) -> Iterator[str]:
    """A new role (PostgreSQL; a login role with ``password``) or user ``name@'%'`` (MariaDB): its name, dropped after.

    For tests of grants and of logging in as someone other than the superuser.
    Enter it before the ``throwaway_database`` it is granted on: PostgreSQL
    will not drop a role that still holds privileges in a database, so the
    database has to go first. ``password`` goes into the statement as it is:
    letters and digits only. ``role=True`` makes a role no one logs in as,
    to be granted to accounts (MariaDB keeps those apart from users; on
    PostgreSQL it is a NOLOGIN role).
    """
    if role and password is not None:
        raise ValueError("a role has no password: no one logs in as it")
    spec = _SERVERS[server]
    admin = admin_engine(spec.admin, server)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    create = spec.role if role else spec.account + (spec.login if password is not None else "")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(create.format(name=name, password=password))
        yield name
    finally:
        admin.dispose()
        drop_accounts(server, name)


def drop_accounts(server: str, *names: str) -> None:
    """Drop the named accounts (users or roles) on ``server`` if they exist.

    For accounts a test did not make but the code under test did (mask-views
    creates the policy's roles a database lacks): the test still has to
    leave the server as it found it.
    """
    admin = admin_engine(_SERVERS[server].admin, server)
    try:
        with admin.connect() as conn:
            for name in names:
                for statement in _SERVERS[server].drop_account:
                    conn.exec_driver_sql(statement.format(name=name))
    finally:
        admin.dispose()
