"""``mask-views``: scan a database, plan each role's views, write (or execute) the SQL that builds them.

The scan decides which columns hold which entity (the same detection as
``scan``); ``plan.py`` turns the policy's roles into views; the dialect
(``scanner/connectors/sql/<dialect>.py``, block ``# --- masking views ---``)
spells the masks, the views and the grants. A dry run only reads the catalog
(roles and grants that exist) and returns the statements. ``apply`` runs them
in one transaction where the backend has transactional DDL (PostgreSQL);
MySQL/MariaDB commit each statement, and every view is ``CREATE OR REPLACE``,
so a re-run converges either way; views piiwarden made that the plan no longer
has are dropped (``_statements``). Nothing is ever printed here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError

from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.sql import dialect_for, error_line
from scanner.connectors.sql.base import MV_COMMENT
from scanner.connectors.sqldb import open_database_url
from scanner.connectors.urls import mask_url, url_secrets
from scanner.maskviews.plan import RolePlan, SourceTable, ViewPlan, plan_roles
from scanner.maskviews.sqlmask import KeyedHashSql, MaskSql, hash_expression, mask_expression
from scanner.model import DatasetResult
from scanner.parallel import scan_many
from scanner.pipeline import ScanOptions
from scanner.policy.model import Policy

if TYPE_CHECKING:
    from scanner.anonymize.keys import Key

Principal = tuple[str, str | None]
TableRef = tuple[str | None, str]
DEFAULT_PREFIX = "pw_"
MAX_SCHEMA_NAME = 63  # PostgreSQL's identifier limit (MySQL allows 64)


class MaskViewsError(ValueError):
    """mask-views cannot run as asked (no roles, a backend without masking views, a bad prefix): one line."""


@runtime_checkable
class MaskViewsDialect(MaskSql, Protocol):
    """What a dialect implements for masking views (PostgreSQL and MySQL/MariaDB do)."""

    def mv_quote(self, name: str) -> str: ...
    def mv_table(self, schema: str | None, name: str) -> str: ...
    def mv_prologue(self) -> list[str]: ...
    def mv_principals(self, conn: Connection, role: str) -> list[Principal]: ...
    def mv_grantee(self, principal: Principal) -> str: ...
    def mv_create_role(self, role: str) -> str: ...
    def mv_create_schema(self, schema: str) -> str: ...
    def mv_registry(self, own: str) -> list[str]: ...
    def mv_view(self, schema: str, name: str, select: str, comment: str, own: str) -> list[str]: ...
    def mv_created_views(self, conn: Connection, schema: str, own: str) -> list[str]: ...
    def mv_drop_view(self, schema: str, name: str, own: str) -> list[str]: ...
    def mv_access(self, conn: Connection, principal: Principal, schema: str, views: list[str],
                  sensitive: list[TableRef], plain: list[TableRef],
                  managed: set[str]) -> tuple[list[str], list[str]]: ...
    def mv_still_reads(self, conn: Connection, principal: Principal, tables: list[TableRef]) -> list[str]: ...


@runtime_checkable
class KeyedHashDialect(MaskViewsDialect, KeyedHashSql, Protocol):
    """A dialect that can also hash in SQL (PostgreSQL, when pgcrypto is installed)."""

    def mv_hmac_schema(self, conn: Connection) -> str | None: ...
    def mv_key_statements(self, schema: str) -> tuple[list[str], str, str]: ...


@dataclass(frozen=True)
class Hashing:
    """Where the views find the hash sub-key and the HMAC function, and the INSERT that stores the key."""

    key_ref: str
    function_schema: str
    insert: str
    subkey: bytes = field(repr=False)


@dataclass
class MaskViewsResult:
    """What mask-views did or would do: the statements, per-role plans, warnings and errors (never a value)."""

    source: str
    applied: bool
    statements: list[str] = field(default_factory=list)
    roles: list[RolePlan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # stale views (``schema.view``) the script drops
    key_fingerprint: str | None = None
    hashing: Hashing | None = field(default=None, repr=False)

    def script(self) -> str:
        """The statements as one SQL script (what the dry run prints)."""
        return "".join(f"{s};\n" for s in self.statements)

    @property
    def views(self) -> int:
        return sum(len(r.views) for r in self.roles)


def mask_views(url: str, policy: Policy, *, apply: bool = False, schema_prefix: str = DEFAULT_PREFIX,
               options: ScanOptions | None = None, progress: Callable[[str], None] | None = None,
               key: Key | None = None) -> MaskViewsResult:
    """Build (``apply``) or show the per-role masking views of a database from the policy's ``roles:``.

    ``MaskViewsError`` before anything is read when the policy has no roles,
    the prefix is no plain identifier or the backend has no masking views;
    a database that cannot be reached or changed is an entry of ``errors``.
    Entities a role has ``hashed`` need ``key`` (its ``hash`` sub-key, as
    ``anonymize`` uses it, is stored in ``<prefix>piiwarden.hash_key``).
    """
    say = progress or (lambda _m: None)
    _check(policy, schema_prefix, key)
    parsed = _parse(url)
    dialect = dialect_for(parsed.get_backend_name())
    if not isinstance(dialect, MaskViewsDialect) or not getattr(dialect, "mask_views", False):
        raise MaskViewsError(f"masking views need PostgreSQL or MySQL/MariaDB, not {parsed.get_backend_name()}")
    result = MaskViewsResult(source=mask_url(parsed), applied=False,
                             key_fingerprint=key.fingerprint if key is not None else None)
    secrets = url_secrets(parsed)
    try:
        datasets = open_database_url(url, url)
    except SourceError as exc:
        result.errors.append(str(exc))
        return result
    role_schemas = {f"{schema_prefix}{r}" for r in [*policy.roles, "piiwarden"]}  # its own: not the data's
    datasets = [d for d in datasets if d.meta.get("schema") not in role_schemas and d.sql is not None]
    tables, plain = _scan(datasets, options or ScanOptions(), result, say)
    result.roles = plan_roles(policy.roles, tables, schema_prefix)
    try:
        engine = dialect.create_engine(parsed)
    except SourceError as exc:  # the driver is missing
        result.errors.append(str(exc))
        return result
    try:
        _statements(engine, dialect, result, plain, key, f"{schema_prefix}piiwarden")
        if apply and not result.errors:
            _execute(engine, dialect, result)
    except (sa.exc.SQLAlchemyError, engine.dialect.loaded_dbapi.Error) as exc:  # the script runs on the DBAPI cursor
        result.errors.append(error_line(exc, secrets))
    finally:
        engine.dispose()
    return result


def _check(policy: Policy, schema_prefix: str, key: Key | None) -> None:
    """Refuse, before connecting, what cannot work: no roles, an unusable prefix, hashing without a key."""
    if not policy.roles:
        raise MaskViewsError("the policy has no roles: section (CONTRACT.md \"Policy file additions\")")
    if schema_prefix and not (schema_prefix.replace("_", "a").isalnum() and schema_prefix.isascii()):
        raise MaskViewsError(f"--schema-prefix must be letters, digits and _ (got {schema_prefix!r})")
    if len(schema_prefix) + max(len(r) for r in [*policy.roles, "piiwarden"]) > MAX_SCHEMA_NAME:
        raise MaskViewsError(f"--schema-prefix is too long: schema names are at most {MAX_SCHEMA_NAME} characters")
    if key is None and any(role.hashed for role in policy.roles.values()):
        raise MaskViewsError("hashed: entities need the key (PIIWARDEN_KEY)")


def _parse(url: str) -> URL:
    try:
        return make_url(os.path.expandvars(url))
    except (ArgumentError, ValueError):
        raise MaskViewsError("invalid database URL") from None  # the message would echo the URL


def _scan(datasets: list[Dataset], options: ScanOptions, result: MaskViewsResult,
          say: Callable[[str], None]) -> tuple[list[SourceTable], list[TableRef]]:
    """Every table's findings; tables without personal data are returned apart (their grants are kept)."""
    tables: list[SourceTable] = []
    plain: list[TableRef] = []
    for outcome in scan_many(datasets, list(range(len(datasets))), options, options.workers):
        ds, found = datasets[outcome.index], outcome.result
        if found.failed:
            result.errors += [f"{ds.id}: {e}" for e in found.errors]
            continue
        say(f"scanned {ds.id}")
        table = _source_table(ds, found)
        if table.sensitive:
            tables.append(table)
        else:
            plain.append((table.schema, table.name))
    return tables, plain


def _source_table(ds: Dataset, found: DatasetResult) -> SourceTable:
    return SourceTable(schema=ds.meta.get("schema") or None, name=ds.meta.get("table") or ds.sql.name,
                       columns=tuple(ds.sql.columns), findings=tuple(found.columns))


def _statements(engine: sa.Engine, dialect: MaskViewsDialect, result: MaskViewsResult,
                plain: list[TableRef], key: Key | None, own: str) -> None:
    """The whole script: the hash key, roles, schemas, stale views dropped, views, each principal's grants.

    A view is stale when the role's schema holds one piiwarden made (its
    comment, MySQL's registry in ``own``) that the plan no longer has: its
    table was dropped or holds no personal data any more, or the role now
    sees none of its columns. Leaving it would keep serving the old
    columns; any other object in the schema is the user's and is kept.
    """
    statements = [*dialect.mv_prologue(), *dialect.mv_registry(own)]
    managed = {r.role for r in result.roles}  # the policy's roles: this script revokes their own grants
    with engine.connect() as conn:
        if key is not None and _hashes(result.roles):
            statements += _hashing(conn, dialect, result, key, own)
        for role in result.roles:
            principals = dialect.mv_principals(conn, role.role)
            if not principals:
                statements.append(dialect.mv_create_role(role.role))
                principals = [(role.role, None)]
            statements.append(dialect.mv_create_schema(role.schema))
            planned = {v.name for v in role.views}
            for name in dialect.mv_created_views(conn, role.schema, own):
                if name not in planned:
                    statements += dialect.mv_drop_view(role.schema, name, own)
                    result.dropped.append(f"{role.schema}.{name}")
            for view in role.views:
                statements += dialect.mv_view(role.schema, view.name, view_select(dialect, view, result.hashing),
                                              f"{MV_COMMENT}{view.source.label} for role {role.role}", own)
            sensitive = [(t.schema, t.name) for t in role.sensitive_tables]
            for principal in principals:
                access, warnings = dialect.mv_access(conn, principal, role.schema, [v.name for v in role.views],
                                                     sensitive, plain, managed)
                statements += access
                result.warnings += warnings
    result.statements = statements


def _hashes(roles: list[RolePlan]) -> bool:
    return any(c.treatment == "hash" for role in roles for view in role.views for c in view.shown)


def _hashing(conn: Connection, dialect: MaskViewsDialect, result: MaskViewsResult, key: Key,
             key_schema: str) -> list[str]:
    """The statements that store the hash sub-key; none (and a warning: columns are masked) without pgcrypto."""
    schema = dialect.mv_hmac_schema(conn) if isinstance(dialect, KeyedHashDialect) else None
    if not isinstance(dialect, KeyedHashDialect) or schema is None:
        result.warnings.append("no keyed hash in SQL here (PostgreSQL with pgcrypto: CREATE EXTENSION pgcrypto): "
                               "hashed columns are masked instead")
        return []
    setup, insert, key_ref = dialect.mv_key_statements(key_schema)
    result.hashing = Hashing(key_ref, schema, insert, key.derive("hash"))
    return [*setup, insert]


def view_select(dialect: MaskViewsDialect, view: ViewPlan, hashing: Hashing | None = None) -> str:
    """The view's SELECT: clear columns as they are, masked (or hashed) ones through the entity's SQL."""
    parts = []
    for column in view.shown:
        ref = dialect.mv_quote(column.name)
        expr = ref
        if column.treatment == "hash" and hashing is not None and isinstance(dialect, KeyedHashDialect):
            expr = hash_expression(dialect, column.entity, ref, hashing.key_ref, hashing.function_schema)
        elif column.treatment in ("mask", "hash"):
            expr = mask_expression(dialect, column.entity, ref)
        parts.append(expr if expr == ref else f"{expr} AS {ref}")
    return f"SELECT {', '.join(parts)} FROM {dialect.mv_table(view.source.schema, view.source.name)}"


def _execute(engine: sa.Engine, dialect: MaskViewsDialect, result: MaskViewsResult) -> None:
    """Run the script in one transaction (raw DBAPI cursor: no driver formats a ``%`` in it), then check."""
    with engine.begin() as conn:
        cursor = conn.connection.cursor()
        try:
            for statement in result.statements:
                if result.hashing is not None and statement == result.hashing.insert:
                    cursor.execute(statement, (result.hashing.subkey,))  # bound, never in the SQL text
                else:
                    cursor.execute(statement)
        finally:
            cursor.close()
    result.applied = True
    with engine.connect() as conn:
        for role in result.roles:
            tables = [(t.schema, t.name) for t in role.sensitive_tables]
            for principal in dialect.mv_principals(conn, role.role):
                for label in dialect.mv_still_reads(conn, principal, tables):
                    result.warnings.append(f"{label}: role {role.role} can still SELECT the base table "
                                           "(PUBLIC, a role it belongs to, a column or a global grant)")
