"""The dialect registry, and the policy's grant check blanking the URL's password on a real PostgreSQL.

A driver or a server function may echo what it was given, the connection's
password included; policy/database.py must send its error lines through the
same secret blanking as the connector (``SqlTable.error_line``).
"""

from __future__ import annotations

import random
import string

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from scanner.connectors.sql import Dialect, SqlTable, dialect_for, known_dialects
from scanner.connectors.sql.postgresql import PostgresDialect
from scanner.connectors.sqldb import open_database_url
from scanner.model import ColumnFinding, DatasetInfo, DatasetResult
from scanner.policy.database import attach_grants
from tests.dbservers import throwaway_account, throwaway_database


def test_every_backend_has_its_dialect_and_unknown_ones_get_the_safe_default():
    assert {"postgresql", "mysql", "mariadb", "sqlite", "duckdb"} <= set(known_dialects())
    assert dialect_for("mysql") is dialect_for("mariadb")
    generic = dialect_for("mssql")
    assert type(generic) is Dialect and generic.engine_options() == {} and not generic.file_backed
    assert dialect_for("sqlite").file_backed and dialect_for("duckdb").file_backed
    assert dialect_for("duckdb").engine_options() == {"connect_args": {"read_only": True}}
    assert dialect_for("mysql").reflected_name("card``no") == "card`no"
    assert dialect_for("postgresql").reflected_name("card``no") == "card``no"


@pytest.fixture
def pg_with_password(monkeypatch: pytest.MonkeyPatch):
    """A database and a login role with a password; the URL carries it as ${VAR}, as the CLI requires."""
    # Letters only: a digit run would be blanked by the value sanitizer even without the secret list.
    secret = "Pw" + "".join(random.choice(string.ascii_letters) for _ in range(14))
    with (throwaway_account("PostgreSQL", "pw_login", password=secret) as role,
          throwaway_database("PostgreSQL", "pw_test") as url):
        name = sa.make_url(url).database
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'GRANT ALL ON DATABASE "{name}" TO "{role}"')
            conn.exec_driver_sql("CREATE TABLE public.people (k int primary key, mobile text)")
            conn.exec_driver_sql("INSERT INTO public.people VALUES (1, '13912345678'), (2, '13923456789')")
            conn.exec_driver_sql(f'GRANT SELECT ON public.people TO "{role}"')
        engine.dispose()
        monkeypatch.setenv("PIIWARDEN_TEST_PGPASSWORD", secret)
        yield f"postgresql+psycopg://{role}:${{PIIWARDEN_TEST_PGPASSWORD}}@127.0.0.1:5432/{name}", secret, role


def test_failing_grant_query_never_shows_the_url_password(pg_with_password, monkeypatch: pytest.MonkeyPatch):
    url, secret, _ = pg_with_password
    (ds,) = open_database_url(url, url)
    assert ds.sql.secrets == (secret,) and secret not in ds.location

    def echoing_grants(self: PostgresDialect, conn: Connection, table: SqlTable) -> list[str]:
        # A server-side failure whose message quotes the password bare (no quotes for the sanitizer to catch).
        conn.execute(sa.text("SELECT set_config('pw.echo', :p, true)"), {"p": secret})
        conn.exec_driver_sql("DO $$ BEGIN RAISE EXCEPTION 'grant check failed for %%', "
                             "current_setting('pw.echo'); END $$")
        return []

    monkeypatch.setattr(PostgresDialect, "select_grantees", echoing_grants)
    scanned = [(ds, _level3("mobile"))]
    (result,), errors = attach_grants(scanned)
    assert len(errors) == 1 and errors[0].source == ds.where
    assert errors[0].error.startswith("cannot read grants: ") and "grant check failed for ***" in errors[0].error
    assert secret not in errors[0].error and "grants" not in result.to_json()


def test_grant_query_lists_readers_through_the_password_url(pg_with_password):
    url, _, role = pg_with_password
    (ds,) = open_database_url(url, url)
    (result,), errors = attach_grants([(ds, _level3("mobile"))])
    assert errors == []
    assert result.to_json()["grants"] == [role]  # granted SELECT; the owner (postgres) is not listed


def _level3(column: str) -> DatasetResult:
    """A scanned table whose one column is level 3: grants are read for it."""
    return DatasetResult(DatasetInfo("t", "db", "table"), columns=[ColumnFinding(column, level=3)])
