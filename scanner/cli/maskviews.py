"""``piiwarden mask-views DB_URL --policy FILE [--apply] [--schema-prefix PREFIX]``: per-role masking views.

Thin on purpose: check the URL and the policy, call ``scanner.api.mask_views``,
print. The dry run (the default, CONTRACT.md "Added in the second round")
prints the SQL on stdout and changes nothing; ``--apply`` executes it. The
summary, warnings and errors go to stderr, one line each; the run is recorded
in the audit log (counts only). Exit 0 done, 2 usage (nothing read), 3 the
database could not be scanned or changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from scanner.cli.common import (
    ENTITIES_HELP,
    EXIT_OK,
    EXIT_SOURCE_ERRORS,
    check_credentials,
    custom_entities,
    err,
    load_key,
    load_policy,
    out,
    usage_error,
)


def mask_views(
    db_url: Annotated[str, typer.Argument(help="Database URL (PostgreSQL or MySQL/MariaDB); a password as ${VAR}.")],
    policy: Annotated[Path, typer.Option("--policy", help="Policy file with a roles: section.")],
    apply: Annotated[bool, typer.Option("--apply", help="Execute the SQL (default: print it, change nothing).")]
    = False,
    schema_prefix: Annotated[str, typer.Option("--schema-prefix", help="Prefix of each role's schema.")] = "pw_",
    entities: Annotated[Path | None, typer.Option("--entities", help=ENTITIES_HELP)] = None,
) -> None:
    """Create one schema per policy role with masking views of the tables holding personal data."""
    with custom_entities(entities):  # before the policy (its roles may name one) and the scan that finds them
        _mask_views(db_url, policy, apply, schema_prefix)


def _mask_views(db_url: str, policy: Path, apply: bool, schema_prefix: str) -> None:
    """The mask-views command once its custom entities are registered."""
    from scanner import api, audit
    from scanner.maskviews.run import MaskViewsError

    if "://" not in db_url:
        raise usage_error(f"mask-views: not a database URL: {db_url}")
    check_credentials([db_url], "mask-views")
    loaded = load_policy(policy)
    key = load_key(None)  # PIIWARDEN_KEY, for roles' hashed: entities
    try:
        result = api.mask_views(db_url, loaded or policy, apply=apply, schema_prefix=schema_prefix, key=key)
    except MaskViewsError as exc:
        raise usage_error(f"mask-views: {exc}") from None
    if not apply and result.statements:
        out.print(result.script(), markup=False, end="")
    for line in result.warnings:
        err.print(f"piiwarden: warning: mask-views: {line}", markup=False)
    for line in result.errors:
        err.print(f"piiwarden: error: mask-views: {result.source}: {line}", markup=False)
    code = EXIT_SOURCE_ERRORS if result.errors else EXIT_OK
    done = "applied" if result.applied else "dry run, nothing changed (add --apply to execute)"
    stale = f", {len(result.dropped)} stale view(s) dropped" if result.dropped else ""
    err.print(f"mask-views: {len(result.roles)} role(s), {result.views} view(s){stale}, {len(result.statements)} "
              f"statement(s): {done}", markup=False)
    audit.record_command("mask-views", sources=[result.source],
                         counts={"roles": len(result.roles), "views": result.views, "stale_views": len(result.dropped),
                                 "statements": len(result.statements), "warnings": len(result.warnings),
                                 "errors": len(result.errors)},
                         key_fingerprint=result.key_fingerprint, exit_code=code, applied=result.applied)
    raise typer.Exit(code)
