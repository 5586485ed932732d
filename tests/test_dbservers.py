"""tests/dbservers.py, the one way tests make databases and accounts on the real servers.

Every database test leans on these helpers leaving the shared servers as
they found them (a unique name each, dropped even when the test fails) and
on a missing server failing CI rather than skipping it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT
from tests.dbservers import (
    MY_ADMIN,
    PG_ADMIN,
    admin_engine,
    drop_accounts,
    drop_databases,
    throwaway_account,
    throwaway_database,
)

SERVERS = ["PostgreSQL", "MariaDB"]
ADMIN = {"PostgreSQL": PG_ADMIN, "MariaDB": MY_ADMIN}


class _Planned(Exception):
    """The failure a test raises inside a block on purpose."""


# What is on a server now, by kind: the names LIKE a pattern.
LISTINGS = {
    ("PostgreSQL", "databases"): "SELECT datname FROM pg_database WHERE datname LIKE %(p)s",
    ("PostgreSQL", "accounts"): "SELECT rolname FROM pg_roles WHERE rolname LIKE %(p)s",
    ("MariaDB", "databases"): "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %(p)s",
    ("MariaDB", "accounts"): "SELECT user FROM mysql.user WHERE user LIKE %(p)s",
}


def _listed(server: str, kind: str) -> set[str]:
    """The test's own databases or accounts (``pw_dbsrv_*``) on the server now."""
    admin = admin_engine(ADMIN[server], server)
    with admin.connect() as conn:
        names = {row[0] for row in conn.exec_driver_sql(LISTINGS[(server, kind)], {"p": "pw_dbsrv_%"})}
    admin.dispose()
    return names


@pytest.mark.parametrize("server", SERVERS)
def test_each_database_is_new_empty_and_dropped_even_when_the_block_fails(server):
    with pytest.raises(_Planned), throwaway_database(server, "pw_dbsrv") as first, \
            throwaway_database(server, "pw_dbsrv") as second:
        names = {sa.make_url(first).database, sa.make_url(second).database}
        assert len(names) == 2  # unique names: tests run side by side on one server
        assert names <= _listed(server, "databases")
        engine = sa.create_engine(first, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            assert sa.inspect(conn).get_table_names() == []
            conn.exec_driver_sql("CREATE TABLE t (v VARCHAR(4))")
            conn.exec_driver_sql("INSERT INTO t VALUES ('字')")  # MariaDB: utf8mb4, not latin1
        holder = engine.connect()  # a session still open does not stop the drop
        raise _Planned
    holder.close()
    engine.dispose()
    assert not names & _listed(server, "databases")


@pytest.mark.parametrize("server", SERVERS)
def test_an_account_outlives_the_database_it_is_granted_on_and_is_dropped_after(server):
    with throwaway_account(server, "pw_dbsrv", password="Secret1") as account:
        with throwaway_database(server, "pw_dbsrv") as url:
            name = sa.make_url(url).database
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE t (v int)")
                grant = (f'GRANT SELECT ON t TO "{account}"' if server == "PostgreSQL"
                         else f"GRANT SELECT ON `{name}`.* TO '{account}'@'%%'")
                conn.exec_driver_sql(grant)
            engine.dispose()
            login = sa.make_url(url).set(username=account, password="Secret1")
            reader = sa.create_engine(login, poolclass=sa.pool.NullPool)
            with reader.connect() as conn:
                assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
            reader.dispose()
        assert account in _listed(server, "accounts")
    assert account not in _listed(server, "accounts")


def test_drop_databases_drops_what_the_code_under_test_made_and_ignores_the_absent():
    with throwaway_database("MariaDB", "pw_dbsrv") as url:
        made = f"{sa.make_url(url).database}_made"
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE `{made}`")
        engine.dispose()
        drop_databases("MariaDB", made, f"{made}_never")
        assert made not in _listed("MariaDB", "databases")


# Whether an account is a role no one logs in as, by server.
NO_LOGIN = {
    "PostgreSQL": "SELECT NOT rolcanlogin FROM pg_roles WHERE rolname = %(n)s",
    "MariaDB": "SELECT is_role = 'Y' FROM mysql.user WHERE user = %(n)s",
}
MEMBER = {  # grant a role to an account
    "PostgreSQL": 'GRANT "{role}" TO "{account}"',
    "MariaDB": "GRANT `{role}` TO '{account}'@'%%'",
}


@pytest.mark.parametrize("server", SERVERS)
def test_a_role_is_granted_to_an_account_and_both_are_dropped_after(server):
    admin = admin_engine(ADMIN[server], server)
    with throwaway_account(server, "pw_dbsrv", password="Secret1") as account, \
            throwaway_account(server, "pw_dbsrv", role=True) as role:
        with admin.connect() as conn:
            assert conn.exec_driver_sql(NO_LOGIN[server], {"n": role}).scalar()
            assert not conn.exec_driver_sql(NO_LOGIN[server], {"n": account}).scalar()
            conn.exec_driver_sql(MEMBER[server].format(role=role, account=account))  # MariaDB: only a role can be
        assert {account, role} <= _listed(server, "accounts")
    admin.dispose()
    assert not {account, role} & _listed(server, "accounts")


def test_a_role_has_no_password():
    with pytest.raises(ValueError, match="no password"), \
            throwaway_account("PostgreSQL", "pw_dbsrv", password="Secret1", role=True):
        pass


@pytest.mark.parametrize("server", SERVERS)
def test_drop_accounts_drops_users_and_roles_the_code_under_test_made_and_ignores_the_absent(server):
    with throwaway_account(server, "pw_dbsrv") as holder:  # a unique name to build on
        made = [f"{holder}_user", f"{holder}_role"]
        admin = admin_engine(ADMIN[server], server)
        with admin.connect() as conn:
            if server == "PostgreSQL":
                for name in made:
                    conn.exec_driver_sql(f'CREATE ROLE "{name}"')
            else:
                conn.exec_driver_sql(f"CREATE USER '{made[0]}'@'%%'")
                conn.exec_driver_sql(f"CREATE ROLE `{made[1]}`")
        admin.dispose()
        drop_accounts(server, *made, f"{holder}_never")
        assert not set(made) & _listed(server, "accounts")


@pytest.mark.parametrize(("ci", "outcome"), [("true", "1 failed"), ("", "1 skipped")])
def test_an_unreachable_server_fails_in_ci_and_skips_elsewhere(tmp_path, ci, outcome):
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent("""
        import tests.dbservers as servers

        def test_probe(monkeypatch):
            spec = servers._SERVERS["PostgreSQL"]
            monkeypatch.setitem(servers._SERVERS, "PostgreSQL", spec._replace(admin=spec.admin.replace("5432", "1")))
            with servers.throwaway_database("PostgreSQL", "pw_dbsrv"):
                pass
    """), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", str(probe)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "CI": ci})
    assert outcome in run.stdout, run.stdout[-2000:]
    assert "start it with: pg_ctlcluster" in run.stdout
