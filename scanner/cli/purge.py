"""``piiwarden purge``: delete the rows the ``retention`` rule counts, with destruction records.

Thin: parse the flags, call ``scanner.api.purge`` (``scanner/lifecycle/purge.py``),
render per dataset what would go (dry run, the default) or what went
(``--apply``). Exit codes: 0 done, 2 usage error (nothing read or
changed), 3 some dataset could not be purged (each one error line, the
others still purged; a dataset whose rows changed since they were counted
is rolled back and is one of those).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scanner.cli.common import (
    ENTITIES_HELP,
    check_credentials,
    custom_entities,
    err,
    load_key,
    load_policy,
    missing_sources,
    out,
    parse_day,
    usage_error,
)

if TYPE_CHECKING:
    from scanner.lifecycle.purge import PurgeItem, PurgeResult


def purge(
    sources: Annotated[list[str], typer.Argument(help="Files, directories, globs or database URLs.")],
    policy: Annotated[Path, typer.Option("--policy", help="Policy YAML whose retention entries say what is past "
                                         "its limit.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="The day retention is judged on, YYYY-MM-DD "
                                              "[default: today].")] = None,
    apply: Annotated[bool, typer.Option("--apply", help="Delete (without it: only show and record what would "
                                        "go).")] = False,
    archive: Annotated[Path | None, typer.Option("--archive", help="First write the removed rows, encrypted "
                                                 "(AES-256-GCM with the key), into this folder.")] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help="Key for the subject hashes of the "
                                                  "destruction records and the archive [default: "
                                                  "PIIWARDEN_KEY].")] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="Who carries out the purge (recorded "
                                                 "beside the OS account).")] = None,
    entities: Annotated[Path | None, typer.Option("--entities", help=ENTITIES_HELP)] = None,
) -> None:
    """Delete rows past their retention period (dry run unless --apply), recording every destruction."""
    with custom_entities(entities):  # before the policy: it may name a custom entity
        _purge(sources, policy, as_of, apply, archive, key_file, operator)


def _purge(sources: list[str], policy: Path, as_of: str | None, apply: bool, archive: Path | None,
           key_file: Path | None, operator: str | None) -> None:
    """The purge command once its custom entities are registered."""
    from scanner import api
    from scanner.audit import AuditLog
    from scanner.config import default_audit_path
    from scanner.lifecycle.purge import PurgeProblem

    day = parse_day(as_of)
    loaded = load_policy(policy)
    check_credentials(sources)
    missing_sources(sources)
    key = load_key(key_file)
    if apply and key is None:
        raise usage_error("purge: --apply needs a key (--key-file FILE or PIIWARDEN_KEY) for the destruction "
                          "records' subject hashes")
    if archive is not None and key is None:
        raise usage_error("purge: --archive needs a key (--key-file FILE or PIIWARDEN_KEY) to encrypt the rows")
    audit = AuditLog(default_audit_path())
    try:
        result = api.purge(sources, policy=loaded or policy, as_of=day, apply=apply, archive=archive, key=key,
                           operator=operator, audit=audit)
    except PurgeProblem as exc:
        raise usage_error(f"purge: {exc}") from None
    _render(result)
    raise typer.Exit(result.exit_code)



def _render(result: PurgeResult) -> None:
    for note in result.notes:
        err.print(f"note: {note}", markup=False)
    for item in result.items:
        out.print(_line(item), markup=False)
    for error in result.errors:
        err.print(f"error: {error.source}: {error.error}", markup=False)
    verb = "deleted" if result.applied else "would delete (dry run; --apply deletes)"
    out.print(f"purge as of {result.as_of}: {verb} {result.rows} rows in "
              f"{sum(1 for i in result.items if i.status != 'failed')} datasets, {len(result.errors)} errors",
              markup=False)


def _line(item: PurgeItem) -> str:
    why = f"{item.column} before {item.cutoff}, retention {item.max_age_days} days"
    if item.unparseable:
        why += f"; {item.unparseable} undated values kept"
    if item.status == "planned":
        return f"{item.dataset}: would delete {item.rows} rows ({why})"
    if item.status == "failed":
        return f"{item.dataset}: not purged ({why})"
    archived = f", archived to {item.archive}" if item.archive else ""
    return (f"{item.dataset}: deleted {item.rows} rows ({why}); method {item.method}{archived}; destruction "
            f"record #{item.record_seq}, {item.subjects} subject hashes")
