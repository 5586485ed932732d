"""Credentials in database URLs: refused when typed, taken from ``${VAR}``, masked everywhere, never in errors.

A password may sit in the userinfo part of a URL or in its query string
(``?password=``, ``?sslpassword=``, ``?api_key=`` ...): both are refused on
the command line, both are masked by the one function every output uses, and
a ``${VAR}`` that is not set stops the run (exit 2) instead of being sent to
the server as the password.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.connectors.base import Dataset, describe_error
from scanner.connectors.sql import SqlTable, error_line
from scanner.connectors.urls import literal_credentials, mask_source, mask_url
from scanner.model import ColumnFinding, DatasetInfo, DatasetResult
from scanner.policy.checks import Check
from scanner.policy.database import attach_grants, run_check_in_database
from tests.dbservers import throwaway_database
from tests.hostile.harness import assert_error_line, assert_no_raw, assert_no_traceback, invoke

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
CREDENTIAL_KEYS = ["password", "PASSWORD", "passwd", "pwd", "sslpassword", "token", "Secret", "api_key",
                   "api-key", "access_key", "AccessKey", "client_secret", "auth_token", "private_key"]
HARMLESS_KEYS = ["sslmode", "charset", "application_name", "connect_timeout", "host"]


@pytest.mark.parametrize("key", CREDENTIAL_KEYS)
def test_a_typed_credential_in_the_query_string_is_refused(key, tmp_path):
    secret = "Typed-" + uuid.uuid4().hex[:10]
    out = tmp_path / "out"
    for args in (["scan", f"{PG}/crm?sslmode=disable&{key}={secret}", "-o", out],
                 ["anonymize", f"{PG}/crm?{key}={secret}", "-o", out],
                 ["anonymize", str(tmp_path), "-o", out, "--target", f"{PG}/t?{key}={secret}"]):
        run = invoke(args)
        assert_no_traceback(run)
        assert run.code == 2, run.console
        line = assert_error_line(run, "piiwarden: error:", "${ENV_VAR}", key)
        assert "***" in line or "--target" in line
        assert_no_raw([secret], run=run, roots=[tmp_path])
        assert not out.exists()


@settings(settings.get_profile("hostile"))
@given(key=st.sampled_from(CREDENTIAL_KEYS + ["password"]),
       # Letters, digits, punctuation and symbols: printable, no white space, no $ (a ${VAR}), drawn without filtering.
       secret=st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S"), exclude_characters="&#%+=/?@:\\$"),
                      min_size=6, max_size=30),
       harmless=st.sampled_from(HARMLESS_KEYS))
def test_mask_url_hides_every_credential_and_keeps_the_rest(key, secret, harmless):
    url = f"postgresql+psycopg://app:{secret}@db.example:5432/crm?{harmless}=keepme&{key}={secret}"
    for shown in (mask_url(url), mask_source(url), mask_url(sa.engine.make_url(url))):
        assert secret not in shown
        assert f"{harmless}=keepme" in shown and f"{key}=***" in shown and "app:***@" in shown
    assert set(literal_credentials(url)) == {"password", f"?{key}"}
    assert literal_credentials(url.replace(secret, "${PW}")) == []


def test_unset_variable_is_a_usage_error_naming_it(tmp_path):
    var = "PIIWARDEN_TEST_UNSET_" + uuid.uuid4().hex[:6].upper()
    out = tmp_path / "out"
    for args in (["scan", f"{PG}/crm?password=${{{var}}}", "-o", out],
                 ["scan", f"postgresql+psycopg://app:${var}@127.0.0.1:5432/crm", "-o", out],
                 ["anonymize", f"postgresql+psycopg://app:${{{var}}}@127.0.0.1/crm", "-o", out],
                 ["anonymize", str(tmp_path), "-o", out, "--target", f"{PG}/t?password=${{{var}}}"]):
        run = invoke(args)
        assert_no_traceback(run)
        assert run.code == 2, run.console
        assert_error_line(run, "piiwarden: error:", var, "not set")
        assert not out.exists()


def test_unset_variable_in_a_config_source_is_refused(tmp_path):
    var = "PIIWARDEN_TEST_UNSET_" + uuid.uuid4().hex[:6].upper()
    config = tmp_path / "scan.yaml"
    config.write_text(f"sources: ['{PG}/crm?password=${{{var}}}']\n", encoding="utf-8")
    run = invoke(["scan", "--config", config, "-o", tmp_path / "out"])
    assert run.code == 2, run.console
    assert_error_line(run, var, "not set")


@pytest.fixture
def pg_url():
    with throwaway_database("PostgreSQL", "pw_cred") as url:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE public.people (k int primary key, mobile text, born date)")
            conn.exec_driver_sql("INSERT INTO public.people SELECT g, '1380013' || lpad(g::text, 4, '0'), "
                                 "DATE '1990-01-01' + g FROM generate_series(1, 300) g")
            conn.exec_driver_sql("CREATE VIEW public.v_broken AS SELECT CAST(concat('13800138000', 'x') AS int) AS v")
        engine.dispose()
        yield url


def test_query_string_password_from_the_environment_is_used_and_stored_nowhere(pg_url, tmp_path):
    secret = "QsPw-" + uuid.uuid4().hex[:12]
    url = pg_url + "?password=${PW_CRED_TEST}&sslpassword=${PW_CRED_TEST}&application_name=pw"
    out, hist, audit = tmp_path / "out", tmp_path / "h" / "history.db", tmp_path / "h" / "audit.log"
    run = invoke(["scan", url, "-o", out, "--views", "--history", hist, "--audit-log", audit],
                 env={"PW_CRED_TEST": secret})
    assert_no_traceback(run)
    assert run.code == 3, run.console  # the broken view fails alone
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    people = next(d for d in findings["datasets"] if d["id"] == "public.people")
    assert people["columns"] and not people["errors"]
    line = assert_error_line(run, "public.v_broken", "password=***")
    assert "13800138000" not in line
    assert all("password=***" in s for s in findings["scan"]["sources"])
    assert_no_raw([secret, "13800138000"], run=run, roots=[tmp_path])
    assert hist.exists() and audit.exists()


class _Boom(Exception):
    """A driver exception whose message quotes a value and the password, as some drivers do."""


def _failing_dataset(secret: str, value: str) -> Dataset:
    def connect():  # noqa: ANN202
        raise sqlite3.OperationalError(f'connection to "db" failed: password={secret} rejected; row "{value}" and {value} seen')

    def factory() -> sa.Engine:
        return sa.create_engine("sqlite://", creator=connect, poolclass=sa.pool.NullPool)

    table = SqlTable(factory=factory, dialect="sqlite", schema=None, name="people", columns=["mobile", "born"],
                     types={"born": sa.Date()}, secrets=(secret,))
    return Dataset(id="people", source="sqlite:///x.db", format="table", open_batches=lambda: iter(()),
                   location="sqlite:///x.db", sql=table)


def test_policy_sql_errors_go_through_the_value_free_sanitizer():
    secret, value = "Pw-" + uuid.uuid4().hex[:10], "13812345678"
    ds = _failing_dataset(secret, value)
    check = Check(rule="retention", column="born", params={}, cutoff=dt.date(2020, 1, 1), as_of=dt.date(2026, 3, 31))
    message = run_check_in_database(ds, check)
    assert message and secret not in message and value not in message and "\n" not in message
    scanned = DatasetResult(DatasetInfo("t", "sqlite:///x.db", "table"), columns=[ColumnFinding("mobile", level=3)])
    _, errors = attach_grants([(ds, scanned)])
    assert len(errors) == 1 and errors[0].source == ds.where
    assert secret not in errors[0].error and value not in errors[0].error


def test_describe_error_is_value_free_for_planted_values():
    secret, value = "Pw-" + uuid.uuid4().hex[:10], "110105199001011234"
    wrapped = sa.exc.OperationalError("SELECT 1", {"p": value}, _Boom(f"(1062, \"Duplicate entry '{value}'\") "
                                                                       f"password={secret} a.b@example.com"))
    for text in (describe_error(wrapped, (secret,)), error_line(wrapped, (secret,)),
                 describe_error(_Boom(f"bad value {value} for {secret}"), (secret,))):
        assert value not in text and secret not in text and "a.b@example.com" not in text and "\n" not in text


def test_error_source_names_the_table_and_the_masked_url():
    ds = Dataset(id="crm.customers", source="x", format="table", open_batches=lambda: iter(()),
                 location="postgresql+psycopg://app:***@db/crm")
    assert "crm.customers" in ds.where and "postgresql+psycopg://app:***@db/crm" in ds.where
    path = Path("/data/orders/2024.csv")
    assert Dataset(id="orders/2024.csv", source="/data", format="csv", open_batches=lambda: iter(()),
                   location=str(path)).where == str(path)
