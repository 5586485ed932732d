"""``piiwarden subject find|export|erase``: data-subject requests (PIPL Arts. 44-47) from the command line.

Thin: the identifier options become (kind, value) pairs, ``scanner.api``
does the work, and this module renders dataset and column names, counts and
the identifiers' labels (``mobile#1``). A value given on the command line is
never printed back, not even in an error: the library's messages name the
option and its position instead.

Exit codes: 0 done (found or not), 2 usage error (nothing read or written),
3 done but some sources failed.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from scanner.cli.common import (
    EXIT_OK,
    EXIT_SOURCE_ERRORS,
    check_credentials,
    err,
    load_key,
    missing_sources,
    out,
    usage_error,
)

if TYPE_CHECKING:
    from scanner.lifecycle.subject_find import FindResult

ID_HELP = "Resident ID (or passport, travel permit, SSN) of the person; repeatable."
MOBILE_HELP = "Mobile or phone number, in any shape (+86 138-1234-5678); repeatable."
EMAIL_HELP = "E-mail address; repeatable."
CARD_HELP = "Bank card number; repeatable."
KEY_HELP = "Key file (else PIIWARDEN_KEY): the subject index's key, the export bundle's, the destruction records'."
AUDIT_HELP = "Audit log [default: $PIIWARDEN_AUDIT_LOG or ./.piiwarden/audit.log]."

Sources = Annotated[list[str], typer.Argument(help="Files, directories, globs or database URLs.")]
IdOpt = Annotated[list[str] | None, typer.Option("--id", help=ID_HELP)]
MobileOpt = Annotated[list[str] | None, typer.Option("--mobile", help=MOBILE_HELP)]
EmailOpt = Annotated[list[str] | None, typer.Option("--email", help=EMAIL_HELP)]
CardOpt = Annotated[list[str] | None, typer.Option("--card", help=CARD_HELP)]
KeyOpt = Annotated[Path | None, typer.Option("--key-file", help=KEY_HELP)]
AuditOpt = Annotated[Path | None, typer.Option("--audit-log", help=AUDIT_HELP)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON document.")]

app = typer.Typer(no_args_is_help=True, help="Data-subject requests: find, export or erase one person's data.",
                  rich_markup_mode=None)


def _identifiers(ids: list[str] | None, mobiles: list[str] | None, emails: list[str] | None,
                 cards: list[str] | None) -> list[tuple[str, str]]:
    pairs = [(kind, v) for kind, values in (("id", ids), ("mobile", mobiles), ("email", emails), ("card", cards))
             for v in values or []]
    if not pairs:
        raise usage_error("name the person with --id, --mobile, --email or --card")
    return pairs


def _request(identifiers: list[tuple[str, str]]) -> None:
    """Refuse an unusable identifier before any source is opened, warn about one no known format accepts
    (the messages name the option, not the value)."""
    from scanner.lifecycle.identifiers import IdentifierProblem
    from scanner.lifecycle.subject_find import SubjectRequest

    try:
        request = SubjectRequest.build(identifiers)
    except IdentifierProblem as exc:
        raise usage_error(str(exc)) from None
    for line in request.warnings():
        err.print(f"piiwarden: warning: {line}", markup=False)


def _check_sources(sources: list[str]) -> None:
    check_credentials(sources)
    missing_sources(sources)


def _audit(command: str, sources: list[str], audit_log: Path | None, counts: dict[str, int], exit_code: int,
           outputs: list[str] | None = None, **extra: Any) -> None:
    """One audit entry per request (kind ``subject``): counts and labels, never an identifier value."""
    from scanner.audit import record_command

    record_command(command, log_path=audit_log, sources=sources, outputs=outputs or [], counts=counts,
                   exit_code=exit_code, **extra)


def _check_writable(path: Path) -> None:
    """Refuse to change anything when the destruction records could not be written afterwards."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise usage_error(f"cannot write the audit log {path} ({type(exc).__name__}): nothing erased") from None


def _render_find(result: FindResult) -> None:
    for hit in result.datasets:
        rows = f"{hit.rows} row(s)" if hit.rows_exact else f"at least {hit.rows} row(s)"
        out.print(f"{hit.dataset}: {rows}", markup=False)
        for column in hit.columns:
            out.print(f"  {column.column} ({column.entity}): {column.rows} row(s) [{', '.join(column.identifiers)}]",
                      markup=False)
    how = "index lookup" if result.via_index else "read"
    out.print(f"{len(result.datasets)} dataset(s) of {result.searched} hold the person ({how}), "
              f"{len(result.errors)} error(s)", markup=False)


def _report_errors(errors: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> None:
    for where, message in errors:
        err.print(f"piiwarden: {where}: {message}", markup=False)


def find(sources: Sources, ids: IdOpt = None, mobiles: MobileOpt = None, emails: EmailOpt = None,
         cards: CardOpt = None,
         index: Annotated[Path | None, typer.Option("--index", help="A subject index directory written by "
                                                    "`scan --index` (OUTDIR/index): a lookup instead of a read.")]
         = None,
         key_file: KeyOpt = None, audit_log: AuditOpt = None, as_json: JsonOpt = False) -> None:
    """List every dataset, column and row count holding the person (never a value)."""
    from scanner import api
    from scanner.lifecycle.identifiers import IndexProblem

    identifiers = _identifiers(ids, mobiles, emails, cards)
    _request(identifiers)
    _check_sources(sources)
    key = load_key(key_file) if index is not None else None
    if index is not None and key is None:
        raise usage_error("--index needs the key the index was built with (--key-file or PIIWARDEN_KEY)")
    try:
        result = api.subject_find(sources, identifiers, index=index, key=key)
    except IndexProblem as exc:
        raise usage_error(str(exc)) from None
    _report_errors(result.errors)
    if result.unindexed:
        err.print(f"piiwarden: note: {len(result.unindexed)} dataset(s) of the sources are not in the index "
                  f"(rebuild it with scan --index): {', '.join(result.unindexed[:10])}"
                  + (" ..." if len(result.unindexed) > 10 else ""), markup=False)
    if as_json:
        out.print(json.dumps(result.to_json(), ensure_ascii=False, indent=2), markup=False)
    else:
        _render_find(result)
    code = EXIT_SOURCE_ERRORS if result.errors else EXIT_OK
    _audit("subject find", sources, audit_log, {"datasets": len(result.datasets), "rows": result.rows,
                                                "searched": result.searched, "errors": len(result.errors)},
           code, identifiers=list(result.identifiers), via_index=result.via_index)
    raise typer.Exit(code)


def register(root: typer.Typer) -> None:
    """Add ``subject find|export|erase`` to the root command."""
    app.command("find")(find)
    app.command("export")(export)
    app.command("erase")(erase)
    root.add_typer(app, name="subject")


def export(sources: Sources,
           outdir: Annotated[Path, typer.Option("-o", "--outdir", help="Directory for the copy and manifest.json.")],
           ids: IdOpt = None, mobiles: MobileOpt = None, emails: EmailOpt = None, cards: CardOpt = None,
           key_file: KeyOpt = None, audit_log: AuditOpt = None) -> None:
    """Copy the person's rows (all columns) into a directory, or an encrypted bundle with --key-file (PIPL Art. 45)."""
    from scanner import api

    identifiers = _identifiers(ids, mobiles, emails, cards)
    _request(identifiers)
    _check_sources(sources)
    key = load_key(key_file) if key_file is not None else None
    result = api.subject_export(sources, identifiers, outdir, key=key)
    _report_errors(result.errors)
    for item in result.datasets:
        out.print(f"{item.dataset}: {item.rows} row(s), {len(item.columns)} column(s) -> {item.file}", markup=False)
    sealed = f"encrypted bundle {outdir / 'subject-export.pwbundle'}" if result.encrypted else f"plain files in {outdir}"
    out.print(f"{result.rows} row(s) from {len(result.datasets)} dataset(s): {sealed}; manifest {outdir / 'manifest.json'}",
              markup=False)
    code = EXIT_SOURCE_ERRORS if result.errors else EXIT_OK
    _audit("subject export", sources, audit_log, {"datasets": len(result.datasets), "rows": result.rows,
                                                  "errors": len(result.errors)},
           code, outputs=[str(outdir)], identifiers=list(result.identifiers), key_fingerprint=result.key_fingerprint)
    raise typer.Exit(code)


class Mode(str, Enum):
    delete = "delete"
    anonymize = "anonymize"


def erase(sources: Sources, ids: IdOpt = None, mobiles: MobileOpt = None, emails: EmailOpt = None,
          cards: CardOpt = None,
          mode: Annotated[Mode, typer.Option("--mode", help="delete the rows, or anonymize them in place.")]
          = Mode.delete,
          apply: Annotated[bool, typer.Option("--apply", help="Change the sources; without it, a dry run.")] = False,
          operator: Annotated[str | None, typer.Option("--operator", help="Who carries out the request (recorded "
                                                       "beside the OS user).")] = None,
          key_file: KeyOpt = None, audit_log: AuditOpt = None, as_json: JsonOpt = False) -> None:
    """Delete or anonymize the person's rows, with destruction records (dry run unless --apply)."""
    from scanner import api
    from scanner.audit import AuditLog
    from scanner.config import default_audit_path

    identifiers = _identifiers(ids, mobiles, emails, cards)
    _request(identifiers)
    _check_sources(sources)
    key = load_key(key_file)
    if apply and key is None:
        raise usage_error("--apply needs a key (--key-file or PIIWARDEN_KEY): destruction records keep keyed "
                          "hashes of the identifiers")
    log = AuditLog(audit_log or default_audit_path())
    if apply:
        _check_writable(log.path)
    result = api.subject_erase(sources, identifiers, mode=mode.value, apply=apply, key=key, operator=operator, log=log)
    _report_errors(result.errors)
    if as_json:
        out.print(json.dumps(result.to_json(), ensure_ascii=False, indent=2), markup=False)
    else:
        verb = {"delete": "deleted", "archive+delete": "archived and deleted", "overwrite": "anonymized"}
        for item in result.datasets:
            what = verb.get(item.method, item.method) if item.applied else f"would be {verb.get(item.method, item.method)}"
            columns = f" (columns: {', '.join(item.columns)})" if item.columns else ""
            out.print(f"{item.dataset}: {item.rows} row(s) {what}{columns}", markup=False)
        state = "applied" if result.applied else "dry run, nothing changed (use --apply)"
        out.print(f"request {result.request_id}: {result.rows} row(s) in {len(result.datasets)} dataset(s), "
                  f"{state}; {len(result.records)} destruction record(s), {len(result.errors)} error(s)", markup=False)
    code = EXIT_SOURCE_ERRORS if result.errors else EXIT_OK
    _audit("subject erase", sources, log.path, {"datasets": len(result.datasets), "rows": result.rows,
                                                "records": len(result.records), "errors": len(result.errors)},
           code, identifiers=list(result.identifiers), request_id=result.request_id, mode=result.mode,
           dry_run=not result.applied, key_fingerprint=key.fingerprint if key else None,
           datasets=[{"dataset": d.dataset, "rows": d.rows, "method": d.method, "applied": d.applied}
                     for d in result.datasets])
    raise typer.Exit(code)
