"""``piiwarden history`` and ``piiwarden audit verify|rotate|export``.

Registered into the main typer app by ``register(app)``. Exit codes:
``history`` 0 (2 when the database or a scan is missing); ``audit verify``
0 when the chain is intact, 1 when a line was changed, removed or inserted,
2 when there is no log to check. ``audit export`` 0, 2 on a bad kind,
date or output suffix, or without a log.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scanner.cli.common import EXIT_FAIL, EXIT_OK, load_config, out, parse_day, usage_error

if TYPE_CHECKING:
    from scanner.anonymize.keys import Key
    from scanner.audit import AuditLog
    from scanner.history import History, ScanRow


def _paths(config: Path | None) -> tuple[Path | None, Path]:
    """(history db, audit log) as a scan with this config (or no config) would use them."""
    from scanner.config import merge_settings

    st = merge_settings(load_config(config), default_sample_rows=1)
    return st.history, st.audit_log


def _pair(history: History, refs: list[str]) -> tuple[ScanRow, ScanRow]:
    """Scans A and B: as given, or the latest scan and the previous scan of the same sources."""
    from scanner.history import HistoryError

    if len(refs) == 2:
        return history.resolve(refs[0]), history.resolve(refs[1])
    if len(refs) == 1:
        b = history.latest()
        if b is None:
            raise HistoryError("the history is empty")
        return history.resolve(refs[0]), b
    b = history.latest()
    prior = [s for s in history.scans(b.scope) if s.seq < b.seq] if b else []
    if b is None or not prior:
        raise HistoryError("--diff needs two scans of the same sources in the history")
    return prior[-1], b


def _list(history: History, limit: int) -> None:
    rows = history.scans(limit=limit)
    if not rows:
        out.print(f"no scans recorded in {history.path}", markup=False)
        return
    out.print(f"{'#':>4}  {'scan id':<12}  {'finished (UTC)':<25}  {'mode':<6}  {'sets':>4}  {'reused':>6}  "
              f"{'sens.':>5}  {'viol.':>5}  {'err.':>4}  sources", markup=False)
    for r in rows:
        s = r.summary
        out.print(f"{r.seq:>4}  {r.id[:12]:<12}  {r.finished_at:<25}  {r.mode:<6}  {s.get('datasets', 0):>4}  "
                  f"{s.get('reused', 0):>6}  {s.get('sensitive', 0):>5}  {s.get('violations', 0):>5}  "
                  f"{s.get('errors', 0):>4}  {', '.join(r.sources)}", markup=False)


def history(
    refs: Annotated[list[str] | None, typer.Argument(help="With --diff: scans A and B (number from the "
                                                     "listing, or scan id / prefix).")] = None,
    db: Annotated[Path | None, typer.Option("--db", help="History database [default: as `scan` would use, "
                                            "./.piiwarden/history.db].")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Find the database through a scan config.")] = None,
    diff: Annotated[bool, typer.Option("--diff", help="Show what changed between scans A and B "
                                       "(default: the last two of the same sources).")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where the diff JSON goes "
                                                "[default: beside the database].")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Scans to list.")] = 50,
) -> None:
    """List recorded scans, or diff two of them (new/removed sensitive columns, level changes, violations)."""
    from scanner.findings import write_atomic
    from scanner.history import HistoryError, default_history_path, diff_lines, diff_snapshots, opened

    path = db or _paths(config)[0] or default_history_path(Path("piiwarden-out"))
    try:
        with opened(path, create=False) as hist:
            if not diff:
                if refs:
                    raise usage_error("scan references are only used with --diff")
                _list(hist, limit)
                return
            if len(refs or []) > 2:
                raise usage_error("--diff takes at most two scans")
            a, b = _pair(hist, refs or [])
            result = diff_snapshots(hist.snapshot(a), hist.snapshot(b))
    except HistoryError as exc:
        raise usage_error(str(exc)) from None
    target = output or path.parent / f"diff-{a.seq}-{b.seq}.json"
    write_atomic(target, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    for line in diff_lines(result):
        out.print(line, markup=False)
    out.print(f"diff: {target}", markup=False)


audit_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="The hash-chained audit log of scans, anonymizations, decryptions and verifications.")


def _log(log: Path | None, config: Path | None, key_file: Path | None = None, signing: bool = False) -> AuditLog:
    """The audit log with its configured retention; ``signing``: with the key of ``--key-file`` or PIIWARDEN_KEY
    that signs (rotate) or checks (verify) prune checkpoints."""
    from scanner.audit import CHECKPOINT_PURPOSE, AuditLog

    cfg = load_config(config)
    path = log or _paths(config)[1]
    key = _signing_key(key_file) if signing else None
    audit = AuditLog(path) if cfg is None else AuditLog(path, cfg.audit.retention_days,
                                                        cfg.audit.destruction_retention_days)
    if key is not None:
        audit.signing_key, audit.signing_fingerprint = key.derive(CHECKPOINT_PURPOSE), key.fingerprint
    return audit


def _signing_key(key_file: Path | None) -> Key | None:
    """The anonymize key (``--key-file`` or PIIWARDEN_KEY) that signs prune checkpoints; None without one."""
    from scanner.anonymize.keys import KeyProblem, load_key

    try:
        return load_key(key_file)
    except KeyProblem as exc:
        raise usage_error(str(exc)) from None


KEY_FILE_HELP = "Key that signs (rotate) or checks (verify) the checkpoints of pruned archives [default: $PIIWARDEN_KEY]."


@audit_app.command("verify")
def audit_verify(
    log: Annotated[Path | None, typer.Option("--log", help="Audit log [default: ./.piiwarden/audit.log, "
                                             "or $PIIWARDEN_AUDIT_LOG].")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Find the log through a scan config.")] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help=KEY_FILE_HELP)] = None,
) -> None:
    """Check the hash chain; name every changed, removed or inserted line (exit 1 if any).

    Destruction records whose run stopped before confirming the commit are
    listed as UNCONFIRMED: not tampering (exit 0), but a deletion to check.
    """
    from scanner.audit import verify_log

    audit = _log(log, config, key_file, signing=True)
    if not audit.files():
        raise usage_error(f"no audit log at {audit.path}")
    verdict = verify_log(audit, audit.signing_key, audit.signing_fingerprint)
    for problem in verdict.problems:
        out.print(f"TAMPERED {problem}", markup=False)
    for pending in verdict.unconfirmed:
        out.print(f"UNCONFIRMED {pending}", markup=False)
    for note in verdict.unchecked:
        out.print(f"NOTE {note}", markup=False)
    state = "FAILED" if verdict.problems else "ok"
    unconfirmed = f", {len(verdict.unconfirmed)} unconfirmed destruction(s)" if verdict.unconfirmed else ""
    out.print(f"audit verify {state}: {verdict.entries} entries in {verdict.files} file(s), "
              f"{len(verdict.problems)} problem(s){unconfirmed}; head {verdict.head}", markup=False)
    raise typer.Exit(EXIT_FAIL if verdict.problems else EXIT_OK)


@audit_app.command("rotate")
def audit_rotate(
    log: Annotated[Path | None, typer.Option("--log", help="Audit log [default: ./.piiwarden/audit.log].")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Log location and retention from a scan config.")] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help=KEY_FILE_HELP)] = None,
) -> None:
    """Archive the live log; delete archives only when every entry in them is past retention.

    Each deleted archive leaves a checkpoint in the chain, signed with the
    key when one is given.
    """
    audit = _log(log, config, key_file, signing=True)
    removed = audit.rotate()
    out.print(f"rotated {audit.path}; {len(removed)} expired archive(s) removed"
              + (f": {', '.join(removed)}" if removed else ""), markup=False)


class AuditKind(str, Enum):
    scan = "scan"
    anonymize = "anonymize"
    destruction = "destruction"
    subject = "subject"


@audit_app.command("export")
def audit_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="records.csv or records.json (by suffix).")],
    kind: Annotated[AuditKind | None, typer.Option("--kind", help="Only records of this kind [default: all].")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only records written on or after this date "
                                              "(YYYY-MM-DD, UTC).")] = None,
    log: Annotated[Path | None, typer.Option("--log", help="Audit log [default: ./.piiwarden/audit.log].")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Find the log through a scan config.")] = None,
) -> None:
    """Write audit records (e.g. every destruction since a date) as CSV or JSON for a regulator."""
    from scanner import api
    from scanner.lifecycle.auditexport import AuditExportError, hashes_path

    if output.suffix.lower() not in (".csv", ".json"):
        raise usage_error(f"the export is written as .csv or .json, not {output.suffix or 'a file without suffix'}")
    start = parse_day(since, "--since") if since is not None else None
    audit = _log(log, config)
    if not audit.files():
        raise usage_error(f"no audit log at {audit.path}")
    try:
        records = api.audit_export(output, kind=kind.value if kind else None, since=start, log=audit)
    except AuditExportError as exc:
        raise usage_error(str(exc)) from None
    out.print(f"audit export: {len(records)} record(s) to {output}", markup=False)
    hashes = hashes_path(output)
    if output.suffix.lower() == ".csv" and hashes.exists():  # written by this export (a stale one is removed)
        out.print(f"audit export: subject hashes too many for a cell in {hashes}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``history`` and ``audit`` to the main ``piiwarden`` app."""
    app.command("history")(history)
    app.add_typer(audit_app, name="audit")
