"""``piiwarden purge`` on PostgreSQL and MariaDB: exact rows, one transaction, rollbacks, a killed purge.

Each test creates and drops its own database (names prefixed ``purge_``).
With CI=true a server that cannot be reached fails; elsewhere the test skips.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from scanner import api
from scanner.anonymize.keys import parse_key
from scanner.audit import AuditLog
from scanner.lifecycle.purge import run_purge
from tests.conftest import ROOT
from tests.dbservers import PG_ADMIN, throwaway_database
from tests.dbservers import admin_engine as _admin
from tests.lifecycle.purgekit import (
    AS_OF,
    CUTOFF,
    KEY_HEX,
    assert_nothing_raw,
    audit_ok,
    date_text,
    killed_purge,
    old,
    people,
    policy,
    purge,
    retention_count,
    unconfirmed,
)

KEY = parse_key(KEY_HEX.encode(), "test")




@pytest.fixture
def env(tmp_path, monkeypatch):
    log = tmp_path / "state" / "audit.log"
    monkeypatch.setenv("PIIWARDEN_AUDIT_LOG", str(log))
    monkeypatch.delenv("PIIWARDEN_KEY", raising=False)
    key = tmp_path / "purge.key"
    key.write_text(KEY_HEX, encoding="utf-8")
    return {"log": log, "key": key, "policy": policy(tmp_path)}


@pytest.fixture
def pg() -> Iterator[dict[str, Any]]:
    with throwaway_database("PostgreSQL", "purge") as url:
        rows = people(500, seed=21)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA crm")
            conn.exec_driver_sql("CREATE TABLE crm.customers (k int PRIMARY KEY, name text, mobile text, id_no text, "
                                 "last_login date)")
            conn.execute(sa.text("INSERT INTO crm.customers VALUES (:k, :name, :mobile, :id_no, :last_login)"), rows)
            conn.exec_driver_sql("ANALYZE")
        yield {"url": url, "rows": rows, "engine": engine}
        engine.dispose()


@pytest.fixture
def maria() -> Iterator[dict[str, Any]]:
    with throwaway_database("MariaDB", "purge") as url:
        rows = people(400, seed=22)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:  # no primary key, dates as text in mixed shapes: the count's own parsing decides
            conn.exec_driver_sql("CREATE TABLE customers (name varchar(20), mobile varchar(20), id_no varchar(20), "
                                 "last_login varchar(32)) ENGINE=InnoDB")
            conn.execute(sa.text("INSERT INTO customers VALUES (:name, :mobile, :id_no, :last_login)"),
                         [{**r, "last_login": date_text(r["last_login"], i)} for i, r in enumerate(rows)])
        yield {"url": url, "rows": rows, "engine": engine, "name": url.rsplit("/", 1)[1].split("?")[0]}
        engine.dispose()


def _table(engine: sa.Engine, table: str, order: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}")]


def test_pg_purge_deletes_exactly_the_counted_rows(tmp_path, env, pg):
    before = _table(pg["engine"], "crm.customers", "k")
    expected = retention_count(pg["url"], env["policy"], tmp_path, "crm.customers")
    assert expected == len(old(pg["rows"])) > 50
    dry = purge(pg["url"], env["policy"])
    assert dry.exit_code == 0 and f"crm.customers: would delete {expected} rows" in dry.output
    assert _table(pg["engine"], "crm.customers", "k") == before
    applied = purge(pg["url"], env["policy"], "--apply", "--key-file", str(env["key"]), "--operator", "ops")
    assert applied.exit_code == 0, applied.output
    assert _table(pg["engine"], "crm.customers", "k") == [r for r in before if r[4] >= CUTOFF]
    records = audit_ok(env["log"])
    assert [(r["destruction"]["dataset"], r["destruction"]["rows"]) for r in records] == [("crm.customers", expected)]
    assert len(records[0]["destruction"]["subject_hashes"]) == 2 * expected  # mobile and ID of each removed row
    assert_nothing_raw(pg["rows"], [dry.output, applied.output], list(env["log"].parent.iterdir()))
    # the deleted row versions were vacuumed out of the table's pages, not left for autovacuum
    with pg["engine"].connect() as conn:
        vacuumed = conn.exec_driver_sql("SELECT last_vacuum IS NOT NULL, n_dead_tup FROM pg_stat_user_tables "
                                        "WHERE schemaname = 'crm' AND relname = 'customers'").one()
    assert tuple(vacuumed) == (True, 0)


def test_pg_rows_changed_between_count_and_delete_roll_back(tmp_path, env, pg):
    plan = api.purge_plan(pg["url"], policy=env["policy"], as_of=AS_OF)
    assert [i.rows for i in plan.items] == [len(old(pg["rows"]))]
    with pg["engine"].begin() as conn:  # a new row past retention arrives after the count
        conn.exec_driver_sql("INSERT INTO crm.customers VALUES (100001, '王伟', '13800000000', NULL, '2016-01-01')")
    changed = _table(pg["engine"], "crm.customers", "k")
    log = AuditLog(env["log"])
    result = run_purge(plan, apply=True, key=KEY, audit=log)
    assert result.exit_code == 3 and result.items[0].status == "failed"
    assert "rolled back" in result.errors[0].error
    assert _table(pg["engine"], "crm.customers", "k") == changed
    assert audit_ok(env["log"]) == []  # no destruction recorded


def _waiting_backend(engine: sa.Engine, db: str) -> int | None:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND wait_event_type = 'Lock' "
                                    "AND query ILIKE 'DELETE%'"), {"d": db}).scalar()


def test_pg_purge_killed_while_deleting_leaves_every_row(tmp_path, env, pg):
    """The purge deletes inside its transaction, blocks on a row the test holds, and is killed there."""
    before = _table(pg["engine"], "crm.customers", "k")
    db = pg["url"].rsplit("/", 1)[1]
    last_old = max(r["k"] for r in old(pg["rows"]))
    holder = pg["engine"].connect()
    holder.begin()
    holder.exec_driver_sql(f"SELECT * FROM crm.customers WHERE k = {last_old} FOR UPDATE")
    envvars = {**os.environ, "PYTHONPATH": str(ROOT), "PIIWARDEN_AUDIT_LOG": str(env["log"])}
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "purge", pg["url"], "--policy", str(env["policy"]),
                             "--as-of", AS_OF.isoformat(), "--apply", "--key-file", str(env["key"])],
                            env=envvars, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    admin = _admin(PG_ADMIN, "PostgreSQL")
    try:
        deadline = time.monotonic() + 240
        backend = None
        while backend is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            backend = _waiting_backend(admin, db)
        assert backend is not None, "the purge never reached its DELETE"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    with admin.connect() as conn:  # the server notices the dead client and rolls its transaction back
        deadline = time.monotonic() + 30
        while conn.execute(sa.text("SELECT 1 FROM pg_stat_activity WHERE pid = :p"), {"p": backend}).first() \
                and time.monotonic() < deadline:
            time.sleep(0.2)
    admin.dispose()
    assert _table(pg["engine"], "crm.customers", "k") == before
    assert not env["log"].exists() or '"destruction"' not in env["log"].read_text(encoding="utf-8")
    out, err = proc.communicate()
    assert_nothing_raw(pg["rows"], [out.decode(), err.decode()], [])


@pytest.mark.parametrize("where", ["after-record", "after-commit"])
def test_pg_purge_killed_around_the_commit_is_recorded(tmp_path, env, pg, where):
    """Killed after the destruction record but before the commit: every row stays (the server rolls back);
    killed after the commit: exactly the old rows are gone. The record, written first, is there either way,
    unconfirmed (``audit verify`` exits 0 and lists it)."""
    before = _table(pg["engine"], "crm.customers", "k")
    proc = killed_purge(tmp_path, env, where, pg["url"])
    admin = _admin(PG_ADMIN, "PostgreSQL")
    db = pg["url"].rsplit("/", 1)[1]
    try:  # a killed client's transaction is rolled back when the server notices the closed connection
        deadline = time.monotonic() + 30
        with admin.connect() as conn:
            while conn.execute(sa.text("SELECT 1 FROM pg_stat_activity WHERE datname = :d AND state LIKE 'idle in%'"),
                               {"d": db}).first() and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        admin.dispose()
    gone = {r["k"] for r in old(pg["rows"])}
    after = _table(pg["engine"], "crm.customers", "k")
    assert after == (before if where == "after-record" else [r for r in before if r[0] not in gone])
    pending, exported = unconfirmed(env["log"])
    assert len(pending) == 1
    assert [(r["dataset"], r["rows"], r["outcome"]) for r in exported] == [("crm.customers", str(len(gone)),
                                                                             "unconfirmed")]
    assert_nothing_raw(pg["rows"], [proc.stdout.decode(), proc.stderr.decode()], [env["log"]])


def test_mariadb_purge_without_primary_key(tmp_path, env, maria):
    order = "name, mobile, id_no, last_login"
    before = _table(maria["engine"], "customers", order)
    dataset = f"{maria['name']}.customers"
    expected = retention_count(maria["url"], env["policy"], tmp_path, dataset)
    assert expected == len(old(maria["rows"]))
    applied = purge(maria["url"], env["policy"], "--apply", "--key-file", str(env["key"]))
    assert applied.exit_code == 0, applied.output
    gone = {r["mobile"] for r in old(maria["rows"])}
    assert _table(maria["engine"], "customers", order) == [r for r in before if r[1] not in gone]
    records = audit_ok(env["log"])
    assert [(r["destruction"]["dataset"], r["destruction"]["rows"]) for r in records] == [(dataset, expected)]
    assert_nothing_raw(maria["rows"], [applied.output], list(env["log"].parent.iterdir()))


def test_mariadb_rows_changed_between_count_and_delete_roll_back(tmp_path, env, maria):
    plan = api.purge_plan(maria["url"], policy=env["policy"], as_of=AS_OF)
    renewed = old(maria["rows"])[0]["mobile"]
    with maria["engine"].begin() as conn:  # one counted customer logs in again
        conn.execute(sa.text("UPDATE customers SET last_login = '2026-03-01' WHERE mobile = :m"), {"m": renewed})
    changed = _table(maria["engine"], "customers", "name, mobile, id_no, last_login")
    result = run_purge(plan, apply=True, key=KEY, audit=AuditLog(env["log"]))
    assert result.exit_code == 3 and "rolled back" in result.errors[0].error
    assert _table(maria["engine"], "customers", "name, mobile, id_no, last_login") == changed
    assert audit_ok(env["log"]) == []
    assert renewed not in result.errors[0].error
