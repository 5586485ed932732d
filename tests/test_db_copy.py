"""``anonymize --target``: faithful anonymized copies on the real servers (issue 18, item 1).

The source is a PostgreSQL database (or a MariaDB one) with two schemas that
both hold a ``customers`` table and an ``orders`` table whose foreign key is
a resident ID. The copies must keep schema and table names, column types,
NOT NULL, primary keys, indexes and comments, join on the anonymized key,
and hold none of the original values. Every database, schema and MariaDB
database made here starts with ``dbcopy`` and is dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detectors.validators import resident_id_check_char
from scanner.cli import app
from tests.dbservers import MY_ADMIN, admin_engine, database_url, drop_databases, throwaway_database

runner = CliRunner()
KEY = "d" * 64
N_CUSTOMERS, N_ORDERS = 150, 300




def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _people(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Customers (distinct resident IDs and mobiles) and orders that reference them by resident ID."""
    rng = random.Random(seed)
    customers, ids, mobiles = [], set(), set()
    while len(customers) < N_CUSTOMERS:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20000))
        body = rng.choice(["110105", "440304", "310115"]) + born.strftime("%Y%m%d") + f"{rng.randint(0, 999):03d}"
        rid = body + resident_id_check_char(body)
        mobile = rng.choice(["138", "186", "159"]) + f"{rng.randint(0, 10**8 - 1):08d}"
        if rid in ids or mobile in mobiles:
            continue
        ids.add(rid)
        mobiles.add(mobile)
        customers.append({"id": len(customers) + 1, "rid": rid, "mobile": mobile,
                          "name": rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静丽强磊军洋") + "明",
                          "tier": rng.choice(["普通", "白银", "黄金"]),
                          "joined": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 1500))})
    orders = [{"id": i + 1, "rid": rng.choice(customers)["rid"], "amount": f"{rng.randint(100, 99999) / 100:.2f}"}
              for i in range(N_ORDERS)]
    return customers, orders


PG_DDL = [
    "CREATE TABLE {s}.customers (id integer PRIMARY KEY, id_card varchar(18) NOT NULL UNIQUE, "
    "mobile varchar(11), name text, tier varchar(8) NOT NULL, joined date)",
    "CREATE UNIQUE INDEX customers_mobile_ux ON {s}.customers (mobile)",
    "CREATE INDEX customers_tier_joined_ix ON {s}.customers (tier, joined)",
    "COMMENT ON COLUMN {s}.customers.id_card IS '身份证号'",
    "COMMENT ON COLUMN {s}.customers.mobile IS '联系手机'",
    "COMMENT ON COLUMN {s}.customers.tier IS '会员等级'",
    "CREATE TABLE {s}.orders (id bigint PRIMARY KEY, id_card varchar(18) NOT NULL "
    "REFERENCES {s}.customers (id_card) ON DELETE CASCADE ON UPDATE CASCADE, amount numeric(10,2) NOT NULL)",
    "CREATE INDEX orders_card_ix ON {s}.orders (id_card)",
]


def _fill_pg(conn: sa.Connection, schema: str, customers: list[dict], orders: list[dict]) -> None:
    conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    for statement in PG_DDL:
        conn.exec_driver_sql(statement.format(s=f'"{schema}"'))
    conn.execute(sa.text(f'INSERT INTO "{schema}".customers VALUES (:id, :rid, :mobile, :name, :tier, :joined)'),
                 customers)
    conn.execute(sa.text(f'INSERT INTO "{schema}".orders VALUES (:id, :rid, :amount)'), orders)


@pytest.fixture
def pg_source() -> Iterator[dict[str, Any]]:
    """A PostgreSQL database with schemas ``dbcopy_<hex>_crm`` and ``..._sales`` holding the same tables."""
    tag = f"dbcopy_{uuid.uuid4().hex[:8]}"
    crm, sales = _people(1), _people(2)
    with throwaway_database("PostgreSQL", "dbcopy_src") as url:
        source = _engine(url)
        with source.begin() as conn:
            _fill_pg(conn, f"{tag}_crm", *crm)
            _fill_pg(conn, f"{tag}_sales", *sales)
        source.dispose()
        originals = {v for rows in (crm[0], sales[0]) for r in rows for v in (r["rid"], r["mobile"], r["name"])}
        yield {"url": url, "originals": originals, "schemas": (f"{tag}_crm", f"{tag}_sales")}


@pytest.fixture
def pg_target() -> Iterator[str]:
    """An empty PostgreSQL database to copy into."""
    with throwaway_database("PostgreSQL", "dbcopy_dst") as url:
        yield url


def _rules(tmp_path: Path, resident_id_op: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(f"version: 1\nentities:\n  CN_RESIDENT_ID: {{op: {resident_id_op}}}\n", encoding="utf-8")
    return path


def _anonymize(source: str, target: str, tmp_path: Path, *extra: str, op: str = "hash"):
    return runner.invoke(app, ["anonymize", source, "-o", str(tmp_path / f"out{uuid.uuid4().hex[:6]}"),
                               "--target", target, "--rules", str(_rules(tmp_path, op)), *extra],
                         env={"PIIWARDEN_KEY": KEY})


def _pg_columns(url: str, schemas: tuple[str, ...]) -> dict[tuple[str, str, str], tuple]:
    """information_schema.columns of the schemas: (schema, table, column) -> type, length, precision, nullable."""
    engine = _engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT table_schema, table_name, column_name, data_type, character_maximum_length, numeric_precision, "
            "numeric_scale, is_nullable, col_description(format('%I.%I', table_schema, table_name)::regclass, "
            "ordinal_position) FROM information_schema.columns WHERE table_schema = ANY(:s)"),
            {"s": list(schemas)}).all()
    engine.dispose()
    return {(r[0], r[1], r[2]): tuple(r[3:]) for r in rows}


def _pg_keys(url: str, schemas: tuple[str, ...]) -> dict[tuple[str, str], Any]:
    """Primary keys and indexes (name, columns, unique) of every table of the schemas."""
    engine = _engine(url)
    inspector = sa.inspect(engine)
    out = {}
    for schema in schemas:
        for table in inspector.get_table_names(schema=schema):
            pk = inspector.get_pk_constraint(table, schema=schema)["constrained_columns"]
            indexes = {(ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                       for ix in inspector.get_indexes(table, schema=schema)}
            out[(schema, table)] = (pk, indexes)
    engine.dispose()
    return out


def _pg_foreign_keys(url: str, schemas: tuple[str, ...]) -> set[tuple]:
    """Foreign keys from information_schema: (schema, table, name, columns, referenced schema.table, columns, rules).

    The referenced side comes from constraint_column_usage: a copy's unique key may be a unique index, which
    referential_constraints does not name.
    """
    engine = _engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT rc.constraint_schema, k.table_name, rc.constraint_name, "
            "string_agg(DISTINCT k.column_name, ','), string_agg(DISTINCT u.table_schema || '.' || u.table_name, ','), "
            "string_agg(DISTINCT u.column_name, ','), rc.update_rule, rc.delete_rule "
            "FROM information_schema.referential_constraints rc "
            "JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name) "
            "JOIN information_schema.constraint_column_usage u USING (constraint_schema, constraint_name) "
            "WHERE rc.constraint_schema = ANY(:s) GROUP BY 1, 2, 3, 7, 8"), {"s": list(schemas)}).all()
    engine.dispose()
    return {tuple(r) for r in rows}


def _notes(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("note: foreign key")]


def _text_values(url: str) -> set[str]:
    """Every text value of every user table of a database (any backend)."""
    engine = _engine(url)
    inspector = sa.inspect(engine)
    values: set[str] = set()
    schemas: list[str | None] = [None] if engine.dialect.name == "mysql" else [  # MySQL: the URL's database
        s for s in inspector.get_schema_names() if s not in ("information_schema", "pg_catalog", "pg_toast")]
    with engine.connect() as conn:
        for schema in schemas:
            for table in inspector.get_table_names(schema=schema):
                ref = conn.dialect.identifier_preparer.format_table(sa.table(table, schema=schema))
                rows = conn.exec_driver_sql(f"SELECT * FROM {ref}").all()
                values |= {v for row in rows for v in row if isinstance(v, str)}
    engine.dispose()
    return values


def test_pg_copy_keeps_schemas_types_keys_and_comments(pg_source, pg_target, tmp_path):
    (crm, sales), target = pg_source["schemas"], pg_target
    result = _anonymize(pg_source["url"], target, tmp_path)
    assert result.exit_code == 0, result.output

    src_cols, dst_cols = _pg_columns(pg_source["url"], (crm, sales)), _pg_columns(target, (crm, sales))
    assert set(dst_cols) == set(src_cols)  # both schemas, both tables, every column: nothing in public
    masked = {"id_card": "hash", "mobile": "mask", "name": "mask"}
    for (schema, table, column), (kind, length, precision, scale, nullable, comment) in src_cols.items():
        got = dst_cols[(schema, table, column)]
        assert got[4] == nullable, (table, column)  # NOT NULL kept, on masked columns too
        if column in masked:
            assert got[0] == "text"
            assert got[5] == (f"{comment} (masked by piiwarden: {masked[column]})" if comment
                              else f"masked by piiwarden: {masked[column]}")
        else:
            assert got == (kind, length, precision, scale, nullable, comment), (table, column)
    src_keys, dst_keys = _pg_keys(pg_source["url"], (crm, sales)), _pg_keys(target, (crm, sales))
    for where, (pk, indexes) in src_keys.items():
        dst_pk, dst_indexes = dst_keys[where]
        assert dst_pk == pk
        # a masked mobile can repeat: its unique index is kept as a plain one; the hashed ID stays unique
        expected = {(n, c, u and c != ("mobile",)) for n, c, u in indexes}
        assert {(n, c, u) for n, c, u in dst_indexes if n.startswith("customers_") or n.startswith("orders_")} \
            == {e for e in expected if e[0].startswith(("customers_", "orders_"))}
        assert {(c, u) for _n, c, u in dst_indexes} == {(c, u) for _n, c, u in expected}

    source_fks = _pg_foreign_keys(pg_source["url"], (crm, sales))
    assert {(f[0], f[1], f[3], f[5], f[6], f[7]) for f in source_fks} == \
        {(s, "orders", "id_card", "id_card", "CASCADE", "CASCADE") for s in (crm, sales)}
    assert _pg_foreign_keys(target, (crm, sales)) == source_fks  # hashed on both sides: the key still holds
    assert not _notes(result.output)

    engine = _engine(target)
    with engine.connect() as conn:
        for schema in (crm, sales):
            joined = conn.exec_driver_sql(
                f'SELECT count(*) FROM "{schema}".orders o JOIN "{schema}".customers c ON c.id_card = o.id_card'
            ).scalar()
            assert joined == N_ORDERS  # the hashed foreign key still finds its customer
        assert not sa.inspect(conn).has_table("customers", schema="public")
    engine.dispose()
    assert not pg_source["originals"] & _text_values(target)


def test_pg_if_exists_fail_replace_truncate(pg_source, pg_target, tmp_path):
    (crm, _sales), target = pg_source["schemas"], pg_target
    assert _anonymize(pg_source["url"], target, tmp_path).exit_code == 0
    engine = _engine(target)

    def state() -> tuple[int, int]:
        with engine.connect() as conn:
            oid = conn.exec_driver_sql(f"SELECT '\"{crm}\".customers'::regclass::oid").scalar()
            rows = conn.exec_driver_sql(f'SELECT count(*) FROM "{crm}".customers').scalar()
        return oid, rows

    first_oid, _ = state()
    again = _anonymize(pg_source["url"], target, tmp_path)
    assert again.exit_code == 3
    lines = [line for line in again.output.splitlines() if "already exists" in line]
    assert len(lines) == 4 and any(f"target table {crm}.customers already exists" in line for line in lines)
    assert state()[0] == first_oid  # nothing was touched

    with engine.begin() as conn:  # a row the next run must not keep
        conn.exec_driver_sql(f"INSERT INTO \"{crm}\".customers VALUES (-1, 'x', NULL, NULL, 'x', NULL)")
    assert state()[1] == N_CUSTOMERS + 1
    replaced = _anonymize(pg_source["url"], target, tmp_path, "--if-exists", "replace")
    assert replaced.exit_code == 0, replaced.output
    oid, rows = state()
    assert oid != first_oid and rows == N_CUSTOMERS
    # the referenced customers table was dropped and recreated under the orders' constraint, which is back
    keys = _pg_foreign_keys(pg_source["url"], pg_source["schemas"])
    assert _pg_foreign_keys(target, pg_source["schemas"]) == keys and len(keys) == 2

    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO \"{crm}\".customers VALUES (-1, 'x', NULL, NULL, 'x', NULL)")
    truncated = _anonymize(pg_source["url"], target, tmp_path, "--if-exists", "truncate")
    assert truncated.exit_code == 0, truncated.output
    assert state() == (oid, N_CUSTOMERS)  # same table, rows replaced
    assert _pg_foreign_keys(target, pg_source["schemas"]) == keys
    with engine.connect() as conn:
        joined = conn.exec_driver_sql(
            f'SELECT count(*) FROM "{crm}".orders o JOIN "{crm}".customers c ON c.id_card = o.id_card').scalar()
    engine.dispose()
    assert joined == N_ORDERS


def test_pg_to_sqlite_and_duckdb_files(pg_source, tmp_path):
    crm, sales = pg_source["schemas"]
    sqlite_file, duck_file = tmp_path / "copy.db", tmp_path / "copy.duckdb"
    for target, op in ((f"sqlite:///{sqlite_file}", "pseudonym"), (f"duckdb:///{duck_file}", "hash")):
        result = _anonymize(pg_source["url"], target, tmp_path, op=op)
        assert result.exit_code == 0, result.output
        backend = "SQLite" if target.startswith("sqlite") else "DuckDB"
        assert sorted(_notes(result.output)) == sorted(
            f"note: foreign key orders_id_card_fkey of {s}.orders not added: {backend} cannot add a foreign key "
            "to a filled table" for s in (crm, sales))
        again = _anonymize(pg_source["url"], target, tmp_path, "--if-exists",
                           "truncate" if target.startswith("sqlite") else "replace", op=op)
        assert again.exit_code == 0, again.output
        assert not pg_source["originals"] & _text_values(target)

    engine = _engine(f"sqlite:///{sqlite_file}")
    inspector = sa.inspect(engine)
    # one schema per file: the schema is kept as a prefix of the name, so the two customers tables stay apart
    assert set(inspector.get_table_names()) == {f"{s}.{t}" for s in (crm, sales) for t in ("customers", "orders")}
    columns = {c["name"]: c for c in inspector.get_columns(f"{crm}.customers")}
    assert isinstance(columns["id"]["type"], sa.Integer) and isinstance(columns["joined"]["type"], sa.Date)
    assert columns["tier"]["type"].length == 8 and not columns["tier"]["nullable"]
    assert inspector.get_pk_constraint(f"{crm}.orders")["constrained_columns"] == ["id"]
    assert inspector.get_foreign_keys(f"{crm}.orders") == []  # never declared without the rows being checked
    assert isinstance({c["name"]: c for c in inspector.get_columns(f"{crm}.orders")}["amount"]["type"], sa.Numeric)
    with engine.connect() as conn:
        joined = conn.exec_driver_sql(f'SELECT count(*) FROM "{crm}.orders" o JOIN "{crm}.customers" c '
                                      "ON c.id_card = o.id_card").scalar()
        card = conn.exec_driver_sql(f'SELECT id_card FROM "{crm}.customers" LIMIT 1').scalar()
    engine.dispose()
    assert joined == N_ORDERS and len(card) == 18  # pseudonyms: well-formed IDs, same ID -> same surrogate

    import duckdb

    con = duckdb.connect(str(duck_file), read_only=True)
    try:
        tables = {(r[0], r[1]) for r in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        assert tables == {(s, t) for s in (crm, sales) for t in ("customers", "orders")}
        joined = con.execute(f'SELECT count(*) FROM "{sales}".orders o JOIN "{sales}".customers c '
                             "ON c.id_card = o.id_card").fetchone()
        types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? "
                                 "AND table_name = 'orders'", [sales]).fetchall())
        comment = con.execute("SELECT comment FROM duckdb_columns() WHERE schema_name = ? AND table_name = "
                              "'customers' AND column_name = 'id_card'", [sales]).fetchone()
    finally:
        con.close()
    assert joined == (N_ORDERS,)
    assert types == {"id": "BIGINT", "id_card": "VARCHAR", "amount": "DECIMAL(10,2)"}
    assert comment == ("身份证号 (masked by piiwarden: hash)",)


# --------------------------------------------------------------------------- MariaDB


@pytest.fixture
def maria() -> Iterator[dict[str, Any]]:
    """A MariaDB source database with the same tables, and an empty target database beside it."""
    customers, orders = _people(3)
    with throwaway_database("MariaDB", "dbcopy_src") as url, throwaway_database("MariaDB", "dbcopy_dst") as target:
        source = _engine(url)
        with source.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE customers (id int NOT NULL PRIMARY KEY, id_card varchar(18) NOT NULL COMMENT '身份证号', "
                "mobile varchar(11) COMMENT '联系手机', name varchar(20), tier varchar(8) NOT NULL COMMENT '会员等级', "
                "joined date, UNIQUE KEY customers_card_ux (id_card), KEY customers_tier_ix (tier, joined))")
            conn.exec_driver_sql("CREATE TABLE orders (id bigint NOT NULL PRIMARY KEY, id_card varchar(18) NOT NULL, "
                                 "amount decimal(10,2) NOT NULL, KEY orders_card_ix (id_card), "
                                 "CONSTRAINT orders_card_fk FOREIGN KEY (id_card) REFERENCES customers (id_card) "
                                 "ON UPDATE CASCADE)")
            conn.execute(sa.text("INSERT INTO customers VALUES (:id, :rid, :mobile, :name, :tier, :joined)"),
                         customers)
            conn.execute(sa.text("INSERT INTO orders VALUES (:id, :rid, :amount)"), orders)
        source.dispose()
        originals = {v for r in customers for v in (r["rid"], r["mobile"], r["name"])}
        admin = admin_engine(MY_ADMIN, "MariaDB")  # reads information_schema across the databases
        yield {"url": url, "target": target, "admin": admin, "originals": originals,
               "src": sa.make_url(url).database, "dst": sa.make_url(target).database}
        admin.dispose()


def _my_columns(admin: sa.Engine, database: str) -> dict[tuple[str, str], tuple]:
    with admin.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT table_name, column_name, column_type, is_nullable, column_key, column_comment "
            "FROM information_schema.columns WHERE table_schema = %s", (database,)).all()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def _my_indexes(admin: sa.Engine, database: str) -> set[tuple]:
    with admin.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT table_name, index_name, non_unique, group_concat(column_name ORDER BY seq_in_index) "
            "FROM information_schema.statistics WHERE table_schema = %s GROUP BY table_name, index_name, non_unique",
            (database,)).all()
    return {tuple(r) for r in rows}


def test_mariadb_copy_keeps_types_keys_comments_and_joins(maria, tmp_path):
    admin, target = maria["admin"], maria["target"]
    result = _anonymize(maria["url"], target, tmp_path)
    assert result.exit_code == 0, result.output
    src, dst = _my_columns(admin, maria["src"]), _my_columns(admin, maria["dst"])
    assert set(dst) == set(src)  # the source's home database lands in the target's
    masked = {"id_card": "hash", "mobile": "mask", "name": "mask"}
    for (table, column), (kind, nullable, key, comment) in src.items():
        got = dst[(table, column)]
        assert got[1:3] == (nullable, key), (table, column)
        if column in masked:
            assert got[0] in ("text", "varchar(255)")  # keys need a length in MySQL
            assert got[3] == (f"{comment} (masked by piiwarden: {masked[column]})" if comment
                              else f"masked by piiwarden: {masked[column]}")
        else:
            assert got == (kind, nullable, key, comment), (table, column)
    assert _my_indexes(admin, maria["dst"]) == _my_indexes(admin, maria["src"])

    def keys(database: str) -> set[tuple]:  # the database's own name left out, to compare source and copy
        return {(k[1:4], k[4].split(".", 1)[1], *k[5:]) for k in _my_foreign_keys(admin, (database,))}

    assert keys(maria["dst"]) == keys(maria["src"]) == {
        (("orders", "orders_card_fk", "id_card"), "customers", "id_card", "CASCADE", "RESTRICT")}
    with admin.connect() as conn:
        joined = conn.exec_driver_sql(f"SELECT count(*) FROM `{maria['dst']}`.orders o JOIN `{maria['dst']}`.customers c "
                                      "ON c.id_card = o.id_card").scalar()
    assert joined == N_ORDERS
    leaked = maria["originals"] & _text_values(target)
    assert not leaked, sorted(leaked)[:5]
    replaced = _anonymize(maria["url"], target, tmp_path, "--if-exists", "replace")
    assert replaced.exit_code == 0, replaced.output
    with admin.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM `{maria['dst']}`.customers").scalar() == N_CUSTOMERS
    assert keys(maria["dst"]) == keys(maria["src"])


def _my_foreign_keys(admin: sa.Engine, databases: tuple[str, ...]) -> set[tuple]:
    """(database, table, name, column, referenced database.table, column, update rule, delete rule)."""
    with admin.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT k.table_schema, k.table_name, k.constraint_name, k.column_name, "
            "concat(k.referenced_table_schema, '.', k.referenced_table_name), k.referenced_column_name, "
            "r.update_rule, r.delete_rule FROM information_schema.key_column_usage k "
            "JOIN information_schema.referential_constraints r ON r.constraint_schema = k.table_schema "
            "AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name "
            "WHERE k.table_schema IN :d AND k.referenced_table_name IS NOT NULL").bindparams(
                sa.bindparam("d", expanding=True)), {"d": list(databases)}).all()
    return {tuple(r) for r in rows}


def test_pg_schemas_become_mariadb_databases(pg_source, maria, tmp_path):
    crm, sales = pg_source["schemas"]
    admin = maria["admin"]
    result = _anonymize(pg_source["url"], maria["target"], tmp_path)
    assert result.exit_code == 0, result.output
    with admin.connect() as conn:
        for schema in (crm, sales):
            joined = conn.exec_driver_sql(f"SELECT count(*) FROM `{schema}`.orders o JOIN `{schema}`.customers c "
                                          "ON c.id_card = o.id_card").scalar()
            assert joined == N_ORDERS
    try:
        # the PostgreSQL constraint, schema for database, with its actions; hashed on both sides, so it holds
        expected = {(s, "orders", "orders_id_card_fkey", "id_card", f"{s}.customers", "id_card", "CASCADE", "CASCADE")
                    for s in (crm, sales)}
        assert _my_foreign_keys(admin, (crm, sales)) == expected
        assert not _notes(result.output)
        # a re-run replaces customers while the orders' constraint references it
        replaced = _anonymize(pg_source["url"], maria["target"], tmp_path, "--if-exists", "replace")
        assert replaced.exit_code == 0, replaced.output
        assert _my_foreign_keys(admin, (crm, sales)) == expected
        with admin.connect() as conn:
            assert conn.exec_driver_sql(f"SELECT count(*) FROM `{crm}`.orders o JOIN `{crm}`.customers c "
                                        "ON c.id_card = o.id_card").scalar() == N_ORDERS
        columns = _my_columns(admin, crm)
        assert columns[("customers", "id")][:3] == ("int(11)", "NO", "PRI")
        assert columns[("customers", "id_card")][:3] == ("varchar(255)", "NO", "UNI")  # hashed, still unique
        assert columns[("customers", "tier")] == ("varchar(8)", "NO", "MUL", "会员等级")
        assert columns[("orders", "amount")][:2] == ("decimal(10,2)", "NO")
        assert columns[("customers", "joined")][0] == "date"
        assert not pg_source["originals"] & _text_values(database_url("MariaDB", crm))
    finally:  # the databases anonymize made of the PostgreSQL schemas
        drop_databases("MariaDB", crm, sales)


def test_foreign_key_over_a_masked_column_is_left_out_with_a_note(pg_source, pg_target, tmp_path):
    """A mask on the orders' side only: equal IDs no longer meet, so the constraint is skipped, every row copied."""
    crm, sales = pg_source["schemas"]
    rules = tmp_path / "mask.yaml"
    rules.write_text('version: 1\nentities:\n  CN_RESIDENT_ID: {op: hash}\n'
                     'columns:\n  "*.orders:id_card": {op: mask}\n', encoding="utf-8")
    result = runner.invoke(app, ["anonymize", pg_source["url"], "-o", str(tmp_path / "out"), "--target", pg_target,
                                 "--rules", str(rules)], env={"PIIWARDEN_KEY": KEY})
    assert result.exit_code == 0, result.output
    notes = _notes(result.output)
    assert sorted(notes) == sorted(
        f"note: foreign key orders_id_card_fkey of {s}.orders not added: id_card and {s}.customers.id_card are "
        "transformed differently or by an operator that can give two values one output, so the copy's values no "
        "longer match" for s in (crm, sales))
    assert _pg_foreign_keys(pg_target, (crm, sales)) == set()
    engine = _engine(pg_target)
    with engine.connect() as conn:
        for schema in (crm, sales):
            assert conn.exec_driver_sql(f'SELECT count(*) FROM "{schema}".orders').scalar() == N_ORDERS
    engine.dispose()
    assert not pg_source["originals"] & _text_values(pg_target)


def test_foreign_key_the_copied_rows_break_is_refused_by_the_target_and_noted(pg_target, tmp_path):
    """A source constraint added NOT VALID over orphan rows: the copy refuses it; the note quotes no value."""
    orphan = 7340912
    with throwaway_database("PostgreSQL", "dbcopy_src") as url:
        source = _engine(url)
        with source.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE parents (id integer PRIMARY KEY, tier text)")
            conn.exec_driver_sql("CREATE TABLE children (id integer PRIMARY KEY, parent integer, "
                                 "other integer REFERENCES parents (id) ON DELETE SET NULL)")
            conn.exec_driver_sql("INSERT INTO parents VALUES (1, 'a'), (2, 'b')")
            conn.exec_driver_sql(f"INSERT INTO children VALUES (1, 1, 1), (2, {orphan}, 2), (3, 2, NULL)")
            conn.exec_driver_sql("ALTER TABLE children ADD CONSTRAINT children_parent_fk FOREIGN KEY (parent) "
                                 "REFERENCES parents (id) NOT VALID")
        source.dispose()
        result = _anonymize(url, pg_target, tmp_path)
    assert result.exit_code == 0, result.output
    assert _notes(result.output) == [
        "note: foreign key children_parent_fk of public.children not added: the target refused it, rows of the "
        "copy may break it (ForeignKeyViolation)"]
    assert str(orphan) not in result.output
    keys = _pg_foreign_keys(pg_target, ("public",))
    assert {(k[1], k[2], k[3], k[7]) for k in keys} == {("children", "children_other_fkey", "other", "SET NULL")}
    engine = _engine(pg_target)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM children").scalar() == 3
    engine.dispose()


def test_composite_and_self_referencing_foreign_keys_keep_their_column_lists(pg_target, tmp_path):
    """A two-column key (its order kept) and a table that references itself, copied with their actions."""
    with throwaway_database("PostgreSQL", "dbcopy_src") as url:
        source = _engine(url)
        with source.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE shops (region text, code integer, boss integer, "
                                 "PRIMARY KEY (code, region))")
            conn.exec_driver_sql("CREATE TABLE staff (id integer PRIMARY KEY, region text, code integer, "
                                 "manager integer REFERENCES staff (id) ON DELETE SET NULL, "
                                 "CONSTRAINT staff_shop_fk FOREIGN KEY (code, region) REFERENCES shops (code, region) "
                                 "ON UPDATE CASCADE ON DELETE RESTRICT)")
            conn.exec_driver_sql("INSERT INTO shops VALUES ('north', 1, NULL), ('south', 1, NULL)")
            conn.exec_driver_sql("INSERT INTO staff VALUES (1, 'north', 1, NULL), (2, 'south', 1, 1), "
                                 "(3, 'north', 1, 2)")
        source.dispose()
        result = _anonymize(url, pg_target, tmp_path)
        assert result.exit_code == 0, result.output
        assert not _notes(result.output)
        again = _anonymize(url, pg_target, tmp_path, "--if-exists", "replace")
        assert again.exit_code == 0, again.output
        expected = {(k["name"], tuple(k["constrained_columns"]), k["referred_table"], tuple(k["referred_columns"]),
                     tuple(sorted(k["options"].items())))
                    for k in sa.inspect(_engine(url)).get_foreign_keys("staff")}
    got = {(k["name"], tuple(k["constrained_columns"]), k["referred_table"], tuple(k["referred_columns"]),
            tuple(sorted(k["options"].items()))) for k in sa.inspect(_engine(pg_target)).get_foreign_keys("staff")}
    assert got == expected == {
        ("staff_shop_fk", ("code", "region"), "shops", ("code", "region"),
         (("ondelete", "RESTRICT"), ("onupdate", "CASCADE"))),
        ("staff_manager_fkey", ("manager",), "staff", ("id",), (("ondelete", "SET NULL"),))}


def test_target_that_is_the_source_is_refused_even_with_replace(tmp_path):
    import sqlite3

    customers, _orders = _people(4)
    path = tmp_path / "crm.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id integer PRIMARY KEY, id_card text NOT NULL, mobile text)")
    db.executemany("INSERT INTO customers VALUES (?, ?, ?)", [(r["id"], r["rid"], r["mobile"]) for r in customers])
    db.commit()
    db.close()
    url = f"sqlite:///{path}"
    result = _anonymize(url, url, tmp_path, "--if-exists", "replace")
    assert result.exit_code == 3
    assert "the target table is the source table itself" in result.output
    db = sqlite3.connect(path)
    assert {r[0] for r in db.execute("SELECT id_card FROM customers")} == {r["rid"] for r in customers}
    db.close()


def test_foreign_key_inherits_the_rule_of_the_key_it_references(pg_source, tmp_path):
    """A rules override names the customers' key only: the orders' foreign key follows it, so the join holds."""
    import json
    import sqlite3

    crm, _sales = pg_source["schemas"]
    rules = tmp_path / "override.yaml"
    rules.write_text('version: 1\ncolumns:\n  "*.customers:id_card": {op: hash}\n', encoding="utf-8")
    out, copy = tmp_path / "out", tmp_path / "copy.db"
    result = runner.invoke(app, ["anonymize", pg_source["url"], "-o", str(out), "--target", f"sqlite:///{copy}",
                                 "--rules", str(rules)], env={"PIIWARDEN_KEY": KEY})
    assert result.exit_code == 0, result.output
    db = sqlite3.connect(copy)
    joined = db.execute(f'SELECT count(*) FROM "{crm}.orders" o JOIN "{crm}.customers" c '
                        "ON c.id_card = o.id_card").fetchone()[0]
    db.close()
    assert joined == N_ORDERS  # without the link the orders' IDs get the default mask and join nothing
    record = json.loads((out / "anonymization.json").read_text(encoding="utf-8"))
    orders = next(d for d in record["datasets"] if d["id"] == f"{crm}.orders")
    card = next(c for c in orders["columns"] if c["name"] == "id_card")
    assert card["rule_source"] == f"foreign key to {crm}.customers.id_card" and card["entity"] == "CN_RESIDENT_ID"


def test_masked_key_is_kept_as_a_plain_index_so_every_row_is_copied(tmp_path):
    """A mask repeats values (``138******78``): a primary key or unique index over it cannot hold in the copy."""
    import sqlite3

    customers, _orders = _people(5)
    path, copy = tmp_path / "crm.db", tmp_path / "copy.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE phones (mobile text PRIMARY KEY, id_card text NOT NULL, note text)")
    db.execute("CREATE UNIQUE INDEX phones_card_ux ON phones (id_card)")
    db.executemany("INSERT INTO phones VALUES (?, ?, 'x')", [(r["mobile"], r["rid"]) for r in customers])
    db.commit()
    db.close()
    result = runner.invoke(app, ["anonymize", f"sqlite:///{path}", "-o", str(tmp_path / "out"),
                                 "--target", f"sqlite:///{copy}"])  # default rules: masks
    assert result.exit_code == 0, result.output
    engine = _engine(f"sqlite:///{copy}")
    inspector = sa.inspect(engine)
    assert inspector.get_pk_constraint("phones")["constrained_columns"] == []
    indexes = {ix["name"]: (ix["column_names"], bool(ix["unique"])) for ix in inspector.get_indexes("phones")}
    assert indexes == {"phones_pkey": (["mobile"], False), "phones_card_ux": (["id_card"], False)}
    with engine.connect() as conn:
        mobiles = [r[0] for r in conn.exec_driver_sql("SELECT mobile FROM phones")]
    engine.dispose()
    assert len(mobiles) == N_CUSTOMERS and len(set(mobiles)) < N_CUSTOMERS  # masks collide, every row is there


_NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda s: s.strip() == s and not s.lower().startswith("sqlite_"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=_NAMES, columns=st.lists(_NAMES, min_size=1, max_size=4, unique_by=str.lower), rows=st.integers(0, 3))
def test_any_table_and_column_names_copy_with_keys_and_values(tmp_path, table, columns, rows):
    """Names with quotes, dots, spaces, brackets or CJK reach the target as they are, with key and index."""
    import sqlite3

    from scanner.connectors.sqldb import open_database_url
    from scanner.writers.base import BatchOut
    from scanner.writers.sql import SqlTargetWriter

    folder = tmp_path / uuid.uuid4().hex[:8]
    folder.mkdir()
    source, copy = folder / "src.db", folder / "dst.db"

    def q(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    db = sqlite3.connect(source)
    db.execute(f"CREATE TABLE {q(table)} ({', '.join(q(c) + ' text' for c in columns)}, PRIMARY KEY ({q(columns[0])}))")
    db.execute(f"CREATE INDEX {q('ix ' + table)} ON {q(table)} ({q(columns[-1])})")
    db.executemany(f"INSERT INTO {q(table)} VALUES ({', '.join('?' for _ in columns)})",
                   [[f"{i}-{j}" for j in range(len(columns))] for i in range(rows)])
    db.commit()
    db.close()
    url = f"sqlite:///{source}"
    (ds,) = open_database_url(url, url)
    writer = SqlTargetWriter(f"sqlite:///{copy}")
    try:
        assert writer.run_dataset(ds, ds.sql.factory(), BatchOut) == rows
    finally:
        writer.dispose()
    inspector = sa.inspect(_engine(f"sqlite:///{copy}"))
    assert inspector.get_table_names() == [table]
    assert [c["name"] for c in inspector.get_columns(table)] == columns
    assert inspector.get_pk_constraint(table)["constrained_columns"] == [columns[0]]
    assert [ix["column_names"] for ix in inspector.get_indexes(table)] == [[columns[-1]]]
    db = sqlite3.connect(copy)
    assert sorted(db.execute(f"SELECT * FROM {q(table)}").fetchall()) == \
        sorted(tuple(f"{i}-{j}" for j in range(len(columns))) for i in range(rows))
    db.close()


def test_duckdb_source_copies_with_its_keys_indexes_and_comments(tmp_path):
    """DuckDB's own catalog describes the source (duckdb_engine's inspector cannot reflect another schema)."""
    import duckdb

    customers, _orders = _people(6)
    source = tmp_path / "src.duckdb"
    con = duckdb.connect(str(source))
    con.execute("CREATE SCHEMA crm")
    con.execute("CREATE TABLE crm.customers (id INTEGER PRIMARY KEY, mobile VARCHAR NOT NULL, amt DECIMAL(10,2))")
    con.execute("COMMENT ON COLUMN crm.customers.mobile IS '手机'")
    con.execute("CREATE INDEX cm_ix ON crm.customers (mobile, amt)")
    con.executemany("INSERT INTO crm.customers VALUES (?, ?, ?)",
                    [(r["id"], r["mobile"], r["id"] / 4) for r in customers])
    con.close()
    url = f"duckdb:///{source}"
    for target in (f"sqlite:///{tmp_path / 'dst.db'}", f"duckdb:///{tmp_path / 'dst.duckdb'}"):
        result = runner.invoke(app, ["anonymize", url, "-o", str(tmp_path / "out"), "--target", target])
        assert result.exit_code == 0, result.output
    inspector = sa.inspect(_engine(f"sqlite:///{tmp_path / 'dst.db'}"))
    assert inspector.get_pk_constraint("crm.customers")["constrained_columns"] == ["id"]
    assert [(ix["column_names"], ix["unique"]) for ix in inspector.get_indexes("crm.customers")] == \
        [(["mobile", "amt"], False)]
    amount = {c["name"]: c for c in inspector.get_columns("crm.customers")}["amt"]["type"]
    assert isinstance(amount, sa.Numeric) and (amount.precision, amount.scale) == (10, 2)
    con = duckdb.connect(str(tmp_path / "dst.duckdb"), read_only=True)
    try:
        columns = con.execute("SELECT column_name, data_type, is_nullable, comment FROM duckdb_columns() "
                              "WHERE schema_name = 'crm' ORDER BY column_index").fetchall()
        indexes = con.execute("SELECT index_name, expressions FROM duckdb_indexes()").fetchall()
        mobiles = {r[0] for r in con.execute("SELECT mobile FROM crm.customers").fetchall()}
    finally:
        con.close()
    assert columns == [("id", "INTEGER", False, None), ("mobile", "VARCHAR", False, "手机 (masked by piiwarden: mask)"),
                       ("amt", "DECIMAL(10,2)", True, None)]
    assert indexes == [("cm_ix", "[mobile, amt]")]
    assert len(mobiles) > 1 and not mobiles & {r["mobile"] for r in customers}


def test_two_sources_with_one_table_name_do_not_overwrite_each_other(tmp_path):
    import sqlite3

    urls = []
    for n in (1, 2):
        path = tmp_path / f"shop{n}.db"
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE customers (id integer PRIMARY KEY, tier text)")
        db.executemany("INSERT INTO customers VALUES (?, ?)", [(i, f"shop{n}") for i in range(5)])
        db.commit()
        db.close()
        urls.append(f"sqlite:///{path}")
    copy = tmp_path / "copy.db"
    result = runner.invoke(app, ["anonymize", *urls, "-o", str(tmp_path / "out"), "--target", f"sqlite:///{copy}",
                                 "--if-exists", "replace"])
    assert result.exit_code == 3
    assert [line for line in result.output.splitlines() if "collides" in line][0].startswith(f"error: customers ({urls[1]}")
    db = sqlite3.connect(copy)
    assert db.execute("SELECT DISTINCT tier FROM customers").fetchall() == [("shop1",)]
    db.close()


def _my_target_keys(url: str) -> set[tuple[str, str, str, str]]:
    """(table, constraint, referenced table, delete rule) of the foreign keys of a MariaDB URL's database."""
    engine = _engine(url)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT table_name, constraint_name, referenced_table_name, delete_rule "
            "FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()").all()
    engine.dispose()
    return {tuple(r) for r in rows}


@pytest.mark.parametrize("server", ["MariaDB", "PostgreSQL"])
@pytest.mark.parametrize("mode", ["truncate", "replace"])
def test_rewrite_refuses_a_table_another_target_table_references(server, mode, tmp_path):
    """A table outside the run references a copied one ON DELETE CASCADE: its rows stay, the table is refused.

    On MariaDB ``truncate`` is a DELETE, which cascaded into the user's table and emptied it.
    """
    with throwaway_database("PostgreSQL", "dbcopy_src") as url, throwaway_database(server, "dbcopy_dst") as target:
        source = _engine(url)
        with source.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE parents (id integer PRIMARY KEY, tier text)")
            conn.exec_driver_sql("INSERT INTO parents VALUES (1, 'a'), (2, 'b')")
        source.dispose()
        assert _anonymize(url, target, tmp_path).exit_code == 0
        engine = _engine(target)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE keep (id integer PRIMARY KEY, parent integer, CONSTRAINT keep_parent_fk "
                                 "FOREIGN KEY (parent) REFERENCES parents (id) ON DELETE CASCADE)")
            conn.exec_driver_sql("INSERT INTO keep VALUES (1, 1), (2, 2)")
        result = _anonymize(url, target, tmp_path, "--if-exists", mode)
        with engine.connect() as conn:
            kept = conn.exec_driver_sql("SELECT count(*) FROM keep").scalar()
        engine.dispose()
    assert result.exit_code == 3, result.output
    assert kept == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].endswith(
        "target table parents is referenced by foreign key keep_parent_fk of "
        f"{sa.make_url(target).database if server == 'MariaDB' else 'public'}.keep, a table this run does not "
        f"rewrite; --if-exists {mode} would change that table's rows: drop that constraint first")


def test_pg_to_mariadb_set_default_and_a_constraint_name_two_tables_share(tmp_path):
    """SET DEFAULT is left out with a note (MariaDB would store RESTRICT); a name PostgreSQL gives per table is
    unique per database on MariaDB: the second table's constraint gets a server-given name instead of being lost."""
    with throwaway_database("PostgreSQL", "dbcopy_src") as url, throwaway_database("MariaDB", "dbcopy_dst") as target:
        source = _engine(url)
        with source.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE parents (id integer PRIMARY KEY, tier text)")
            conn.exec_driver_sql("CREATE TABLE a (id integer PRIMARY KEY, parent integer DEFAULT 1, CONSTRAINT fk_p "
                                 "FOREIGN KEY (parent) REFERENCES parents (id) ON DELETE SET DEFAULT)")
            for table in ("b", "c"):
                conn.exec_driver_sql(f"CREATE TABLE {table} (id integer PRIMARY KEY, parent integer, CONSTRAINT fk_p "
                                     "FOREIGN KEY (parent) REFERENCES parents (id) ON DELETE CASCADE)")
            conn.exec_driver_sql("INSERT INTO parents VALUES (1, 'a'), (2, 'b')")
            for table in ("a", "b", "c"):
                conn.exec_driver_sql(f"INSERT INTO {table} VALUES (1, 2)")
        source.dispose()
        result = _anonymize(url, target, tmp_path)
        keys = _my_target_keys(target)
        again = _anonymize(url, target, tmp_path, "--if-exists", "replace")
        assert again.exit_code == 0, again.output
        assert len(_my_target_keys(target)) == 2
    assert result.exit_code == 0, result.output
    notes = _notes(result.output)
    assert "note: foreign key fk_p of public.a not added: MySQL/MariaDB do not enforce the ON DELETE/UPDATE SET " \
           "DEFAULT action" in notes
    assert len(notes) == 2 and any(n.endswith("added under a name the target chose: foreign key names are unique "
                                              "per schema there and another table of the copy already has this one")
                                   for n in notes)
    assert {(t, r, d) for t, _n, r, d in keys} == {("b", "parents", "CASCADE"), ("c", "parents", "CASCADE")}
    assert "fk_p" in {n for _t, n, _r, _d in keys}


def test_mariadb_constraint_and_table_names_with_backticks_are_copied(tmp_path):
    """SQLAlchemy's SHOW CREATE TABLE parser skipped such a constraint with only a warning: no key, no note."""
    with throwaway_database("MariaDB", "dbcopy_src") as url, throwaway_database("MariaDB", "dbcopy_dst") as target:
        source = _engine(url)
        with source.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE `p``q 父` (id int PRIMARY KEY)")
            conn.exec_driver_sql("CREATE TABLE kid (id int PRIMARY KEY, p int, CONSTRAINT `fk``\"; DROP 约` "
                                 "FOREIGN KEY (p) REFERENCES `p``q 父` (id) ON DELETE SET NULL)")
            conn.exec_driver_sql("INSERT INTO `p``q 父` VALUES (1)")
            conn.exec_driver_sql("INSERT INTO kid VALUES (1, 1)")
        source.dispose()
        result = _anonymize(url, target, tmp_path)
        assert result.exit_code == 0, result.output
        expected = {("kid", 'fk`"; DROP 约', "p`q 父", "SET NULL")}
        assert _my_target_keys(target) == expected
        again = _anonymize(url, target, tmp_path, "--if-exists", "truncate")
        assert again.exit_code == 0, again.output
        assert _my_target_keys(target) == expected
    assert not _notes(result.output) and not _notes(again.output)
