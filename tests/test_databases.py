"""Databases through real servers: PostgreSQL and MariaDB on this machine, DuckDB and SQLite files.

Each fixture creates and drops its own database. With CI=true a server that
cannot be reached fails the run; elsewhere the tests skip and say how to
start it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from detectors.validators import resident_id_check_char
from scanner.cli import app
from scanner.connectors.base import SourceError
from scanner.connectors.sql import sample_statements
from scanner.connectors.sqldb import open_database_url
from scanner.connectors.urls import has_literal_password
from scanner.pipeline import ScanOptions, scan_dataset
from tests.dbservers import throwaway_account, throwaway_database

runner = CliRunner()
rng = random.Random(5)
AS_OF = dt.date(2026, 3, 31)




def _id(born: dt.date) -> str:
    body = rng.choice(["110105", "440304", "310115"]) + born.strftime("%Y%m%d") + f"{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def _people(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 27000))
        rows.append({
            "k": i + 1,
            "c1": _id(born),
            "c2": rng.choice(["138", "186", "159", "177"]) + f"{rng.randint(0, 10**8 - 1):08d}",
            "c3": rng.choice("王李张刘陈杨黄赵吴周") + rng.choice("伟芳娜敏静丽强磊军洋") + rng.choice(["", "杰", "婷"]),
            "c4": dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 4000)),
            "c5": rng.choice(["普通", "白银", "黄金"]),
            "born": born,
        })
    return rows


def _expected(rows: list[dict]) -> tuple[int, int]:
    """(rows older than 1825 days, minors under 14) at AS_OF, computed in Python."""
    cutoff = AS_OF - dt.timedelta(days=1825)
    minors_after = AS_OF.replace(year=AS_OF.year - 14)
    old = sum(1 for r in rows if r["c4"] < cutoff)
    minors = sum(1 for r in rows if minors_after < r["born"] <= AS_OF)
    return old, minors


def _scan(*args: str):
    return runner.invoke(app, ["scan", *args, "--as-of", AS_OF.isoformat()])


def _policy(tmp_path: Path, match: str, readers: list[str]) -> Path:
    p = tmp_path / "policy.yaml"
    p.write_text(
        "version: 1\ndatasets:\n"
        f"  - match: '{match}'\n    purpose: crm\n"
        "    allowed_entities: [CN_RESIDENT_ID, CN_MOBILE_PHONE, PERSON_NAME]\n"
        f"    retention: {{column: c4, max_age_days: 1825}}\n    allowed_readers: [{', '.join(readers)}]\n",
        encoding="utf-8",
    )
    return p


# --------------------------------------------------------------------------- PostgreSQL

@pytest.fixture
def pg():
    with throwaway_account("PostgreSQL", "pw_reader") as role, throwaway_database("PostgreSQL", "pw_test") as url:
        rows = _people(1200)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE SCHEMA crm")
            conn.exec_driver_sql("CREATE TABLE crm.customers (k int primary key, c1 text, c2 text, c3 text, c4 date, c5 text)")
            for col, comment in [("c1", "身份证号"), ("c2", "联系手机"), ("c3", "客户姓名"), ("c4", "注册日期"), ("c5", "会员等级")]:
                conn.exec_driver_sql(f"COMMENT ON COLUMN crm.customers.{col} IS '{comment}'")
            conn.execute(sa.text("INSERT INTO crm.customers VALUES (:k, :c1, :c2, :c3, :c4, :c5)"), rows)
            conn.exec_driver_sql('CREATE TABLE public."a""; DROP TABLE x; --" (v text)')
            conn.execute(sa.text('INSERT INTO public."a""; DROP TABLE x; --" VALUES (:v)'), [{"v": r["c2"]} for r in rows[:200]])
            conn.exec_driver_sql("CREATE TABLE public.tmp_scratch (v text)")
            conn.exec_driver_sql("GRANT SELECT ON crm.customers TO PUBLIC")
            conn.exec_driver_sql(f'GRANT SELECT ON crm.customers TO "{role}"')
            conn.exec_driver_sql("ANALYZE")
        engine.dispose()
        yield {"url": url, "rows": rows, "role": role}


def test_pg_opaque_columns_classified_from_values_and_comments(pg, tmp_path, validate_findings):
    out = tmp_path / "out"
    policy = _policy(tmp_path, "crm.*", ["crm_app"])
    result = _scan(pg["url"], "--policy", str(policy), "-o", str(out), "--exclude", "*.tmp_*")
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    validate_findings(findings)
    ids = {d["id"] for d in findings["datasets"]}
    assert ids == {"crm.customers", 'public.a"; DROP TABLE x; --'}  # tmp_ excluded, hostile name read
    cols = {c["name"]: c for d in findings["datasets"] if d["id"] == "crm.customers" for c in d["columns"]}
    assert cols["c1"]["primary_entity"] == "CN_RESIDENT_ID"
    assert cols["c2"]["primary_entity"] == "CN_MOBILE_PHONE"
    assert cols["c3"]["primary_entity"] == "PERSON_NAME"
    assert cols["c5"]["primary_entity"] is None
    assert cols["c3"]["evidence"]["header_hints"] == {"PERSON_NAME": 1.0}  # the comment was used
    hostile = next(d for d in findings["datasets"] if d["id"].startswith("public.a"))
    assert hostile["columns"][0]["primary_entity"] == "CN_MOBILE_PHONE"
    # counts by SQL aggregate equal Python's own count of the same rows
    old, minors = _expected(pg["rows"])
    by_rule = {(v["rule"], v["column"]): v for v in findings["violations"]}
    assert by_rule[("retention", "c4")]["count"] == old
    assert by_rule[("minor_data", "c1")]["count"] == minors
    grant = by_rule[("access_grant", None)]
    assert grant["count"] == 2 and set(grant["grantees"]) == {"PUBLIC", pg["role"]}


def test_pg_allowed_readers_and_no_policy(pg, tmp_path):
    out = tmp_path / "out"
    policy = _policy(tmp_path, "crm.*", ["PUBLIC", pg["role"]])
    _scan(pg["url"], "--policy", str(policy), "-o", str(out), "--include", "crm.*")
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert not [v for v in findings["violations"] if v["rule"] == "access_grant"]
    _scan(pg["url"], "-o", str(tmp_path / "nopolicy"), "--include", "crm.*")
    findings = json.loads((tmp_path / "nopolicy" / "findings.json").read_text(encoding="utf-8"))
    grants = [v for v in findings["violations"] if v["rule"] == "access_grant"]
    assert len(grants) == 1 and grants[0]["grantees"] == ["PUBLIC"]


def test_pg_sessions_are_read_only_with_timeout(pg, monkeypatch):
    table = next(d for d in open_database_url(pg["url"], pg["url"]) if d.id == "crm.customers").sql
    with table.session() as conn, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        conn.exec_driver_sql("INSERT INTO crm.customers (k) VALUES (-1)")
    monkeypatch.setenv("PIIWARDEN_STATEMENT_TIMEOUT", "1")
    with table.session() as conn, pytest.raises(sa.exc.DBAPIError, match="statement timeout"):
        conn.exec_driver_sql("SELECT pg_sleep(3)")


def test_pg_killed_connection_is_one_error_and_the_rest_is_reported(pg, tmp_path):
    engine = sa.create_engine(pg["url"], poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE VIEW public.v_killed AS SELECT pg_terminate_backend(pg_backend_pid()) AS x")
    engine.dispose()
    out = tmp_path / "out"
    result = _scan(pg["url"], "-o", str(out), "--views")
    assert result.exit_code == 3, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    errors = [e for e in findings["errors"]]
    assert len(errors) == 1 and "\n" not in errors[0]["error"]
    killed = next(d for d in findings["datasets"] if d["id"] == "public.v_killed")
    assert killed["errors"]
    customers = next(d for d in findings["datasets"] if d["id"] == "crm.customers")
    assert customers["columns"] and not customers["errors"]


def test_pg_big_table_is_sampled_in_the_database(pg):
    engine = sa.create_engine(pg["url"], poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE public.events AS SELECT g AS id, '1' || (3 + mod(g, 7))::text || lpad(mod(g * 7919, 1000000000)::text, 9, '0') AS mobile "
            "FROM generate_series(1, 120000) g"
        )
        conn.exec_driver_sql("ANALYZE public.events")
    engine.dispose()
    ds = next(d for d in open_database_url(pg["url"], pg["url"]) if d.id == "public.events")
    assert 100_000 <= ds.rows <= 140_000  # from pg_class statistics, not COUNT(*)
    result = scan_dataset(ds, ScanOptions(sample_rows=2_000))
    assert 0 < result.rows_scanned <= 2_000
    assert result.rows == ds.rows


def test_password_from_environment_never_printed(pg, tmp_path, monkeypatch):
    secret = "s3cr3t-Pa55-" + uuid.uuid4().hex[:6]
    monkeypatch.setenv("PW_TEST_SECRET", secret)
    url = pg["url"].replace("postgres@", "postgres:${PW_TEST_SECRET}@")
    out = tmp_path / "out"
    result = _scan(url, "-o", str(out), "--include", "crm.*")
    assert result.exit_code == 0, result.output
    blob = result.output + (out / "findings.json").read_text(encoding="utf-8") + (out / "report.html").read_text(encoding="utf-8")
    assert secret not in blob and "***" in (out / "findings.json").read_text(encoding="utf-8")
    typed = _scan(pg["url"].replace("postgres@", f"postgres:{secret}@"), "-o", str(tmp_path / "typed"))
    assert typed.exit_code == 2 and secret not in typed.output and "${ENV_VAR}" in typed.output
    assert not (tmp_path / "typed").exists()


def test_literal_password_detection():
    assert has_literal_password("postgresql+psycopg://u:hunter2@h/db")
    assert not has_literal_password("postgresql+psycopg://u:${PGPASS}@h/db")
    assert not has_literal_password("postgresql+psycopg://u:$PGPASS@h/db")
    assert not has_literal_password("postgresql+psycopg://u@h/db")
    assert not has_literal_password("data/x.csv")


# --------------------------------------------------------------------------- MariaDB / MySQL

@pytest.fixture
def maria():
    rows = _people(1500)
    with throwaway_account("MariaDB", "pw_reader") as account, throwaway_database("MariaDB", "pw_test") as url:
        name = sa.make_url(url).database
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"GRANT SELECT ON `{name}`.* TO '{account}'@'%%'")  # %% : pymysql formats anyway
            conn.exec_driver_sql(
                "CREATE TABLE customers (k INT PRIMARY KEY, c1 VARCHAR(18) COMMENT '证件号码', c2 VARCHAR(20) COMMENT '手机号',"
                " c3 VARCHAR(10) COMMENT '姓名', c4 DATE COMMENT '注册日期', c5 VARCHAR(10))"
            )
            conn.execute(sa.text("INSERT INTO customers VALUES (:k, :c1, :c2, :c3, :c4, :c5)"), rows)
            conn.exec_driver_sql('CREATE TABLE `a"; DROP TABLE x; --` (v VARCHAR(20))')
            conn.execute(sa.text('INSERT INTO `a"; DROP TABLE x; --` VALUES (:v)'), [{"v": r["c2"]} for r in rows[:100]])
            conn.exec_driver_sql("CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(20))")
            conn.exec_driver_sql(
                "INSERT INTO big SELECT seq, CONCAT('13', LPAD(MOD(seq * 7919, 1000000000), 9, '0')) FROM seq_1_to_80000"
            )
        engine.dispose()
        yield {"url": url, "rows": rows, "account": account, "name": name}


def test_mariadb_scan_counts_comments_grants(maria, tmp_path, validate_findings):
    out = tmp_path / "out"
    policy = _policy(tmp_path, "*", ["root", "mariadb.sys"])
    result = _scan(maria["url"], "--policy", str(policy), "-o", str(out))
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    validate_findings(findings)
    name = maria["name"]
    ids = {d["id"] for d in findings["datasets"]}
    assert ids == {f"{name}.customers", f'{name}.a"; DROP TABLE x; --', f"{name}.big"}
    cols = {c["name"]: c for d in findings["datasets"] if d["id"] == f"{name}.customers" for c in d["columns"]}
    assert [cols[c]["primary_entity"] for c in ("c1", "c2", "c3", "c5")] == [
        "CN_RESIDENT_ID", "CN_MOBILE_PHONE", "PERSON_NAME", None]
    old, minors = _expected(maria["rows"])
    by_rule = {(v["rule"], v["dataset"], v["column"]): v for v in findings["violations"]}
    assert by_rule[("retention", f"{name}.customers", "c4")]["count"] == old
    assert by_rule[("minor_data", f"{name}.customers", "c1")]["count"] == minors
    grant = by_rule[("access_grant", f"{name}.customers", None)]
    assert f"{maria['account']}@%" in grant["grantees"]
    assert not any(g.startswith("root@") for g in grant["grantees"])  # allowed by user name


def test_mariadb_big_table_sampled_by_key_ranges(maria):
    ds = next(d for d in open_database_url(maria["url"], maria["url"]) if d.id.endswith(".big"))
    result = scan_dataset(ds, ScanOptions(sample_rows=1_000))
    assert 0 < result.rows_scanned <= 1_000
    # the sample is index range scans from random keys, never ORDER BY RAND()
    with ds.sql.session() as conn:
        statements = sample_statements(conn, ds.sql, 1_000, 80_000, random.Random(1))
    sql = [str(s.compile(compile_kwargs={"literal_binds": True})) for s in statements]
    assert len(sql) == 20 and all("ORDER BY" in s and "RAND" not in s for s in sql)
    starts = sorted(int(s.split(">=")[1].split()[0]) for s in sql)
    assert starts[0] < 20_000 and starts[-1] > 60_000  # spread over the key range


def test_mariadb_session_is_read_only(maria):
    ds = next(d for d in open_database_url(maria["url"], maria["url"]) if d.id.endswith(".customers"))
    with ds.sql.session() as conn, pytest.raises(sa.exc.DBAPIError, match="(?i)read.only"):
        conn.exec_driver_sql("INSERT INTO customers (k) VALUES (-1)")


# --------------------------------------------------------------------------- DuckDB and SQLite files

def test_duckdb_url_and_crawled_file(tmp_path):
    import duckdb

    path = tmp_path / "data" / "wh.duckdb"
    path.parent.mkdir()
    rows = _people(300)
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (k INTEGER, c1 VARCHAR, c2 VARCHAR, c4 DATE)")
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", [(r["k"], r["c1"], r["c2"], r["c4"]) for r in rows])
    con.close()
    before = path.read_bytes()
    out = tmp_path / "out"
    result = _scan(f"duckdb:///{path}", "-o", str(out))
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    cols = {c["name"]: c["primary_entity"] for c in findings["datasets"][0]["columns"]}
    assert findings["datasets"][0]["id"] == "main.customers"
    assert cols["c1"] == "CN_RESIDENT_ID" and cols["c2"] == "CN_MOBILE_PHONE"
    crawl = _scan(str(tmp_path / "data"), "-o", str(tmp_path / "out2"))
    assert crawl.exit_code == 0, crawl.output
    crawled = json.loads((tmp_path / "out2" / "findings.json").read_text(encoding="utf-8"))
    assert [d["id"] for d in crawled["datasets"]] == ["wh.duckdb#customers"]
    _, minors = _expected(rows)
    assert [v["count"] for v in crawled["violations"] if v["rule"] == "minor_data"] == [minors]
    assert path.read_bytes() == before  # opened read-only, never written


def test_missing_duckdb_file_is_an_error_not_a_new_file(tmp_path):
    with pytest.raises(SourceError):
        open_database_url(f"duckdb:///{tmp_path}/nope.duckdb", "x")
    assert not (tmp_path / "nope.duckdb").exists()


# --------------------------------------------------------------------------- anonymize a database

def _anonymize(*args: str, key: str = "k" * 64):
    return runner.invoke(app, ["anonymize", *args], env={"PIIWARDEN_KEY": key})


def test_pg_anonymized_into_a_target_database(pg, tmp_path):
    with throwaway_database("PostgreSQL", "pw_test_anon") as target:
        result = _anonymize(pg["url"], "-o", str(tmp_path / "out"), "--target", target)
        assert result.exit_code == 0, result.output
        engine = sa.create_engine(target, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT k, c1, c2, c5 FROM crm.customers ORDER BY k").all()  # issue 18: schema kept
        engine.dispose()
        assert len(rows) == len(pg["rows"])
        originals = {r["c1"] for r in pg["rows"]} | {r["c2"] for r in pg["rows"]}
        assert not originals & {v for row in rows for v in row[1:3]}  # no clear ID or mobile left
        assert [row[3] for row in rows] == [r["c5"] for r in pg["rows"]]  # untouched column unchanged
        assert json.loads((tmp_path / "out" / "anonymization.json").read_text(encoding="utf-8"))
        # the source was only read
        src = sa.create_engine(pg["url"], poolclass=sa.pool.NullPool)
        with src.connect() as conn:
            first = conn.execute(sa.text("SELECT c1 FROM crm.customers WHERE k = 1")).scalar()
        src.dispose()
        assert first == pg["rows"][0]["c1"]


def test_mariadb_anonymized_to_parquet_without_target(maria, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    result = _anonymize(maria["url"], "-o", str(out))
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.rglob("*.parquet"))
    assert any("customers" in f for f in files), files
    table = pq.read_table(next(out.rglob("*customers*.parquet")))
    assert table.num_rows == len(maria["rows"])
    originals = {r["c1"] for r in maria["rows"]}
    assert not originals & set(table.column("c1").to_pylist())
