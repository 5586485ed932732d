"""The `piiwarden` command line (CONTRACT.md "Commands" and exit codes).

Exit codes: 0 clean (no violation at or above --fail-on), 1 a violation at or
above --fail-on, 2 usage or configuration error (nothing written), 3 the scan
finished but some sources failed. When both 1 and 3 apply, 1 wins: a release
gate must stop on a definite violation even if another source was unreadable.
An interrupted run exits 130 (SIGINT, "piiwarden: interrupted") or 143
(SIGTERM, "piiwarden: terminated") after releasing the history lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import click
import typer
from typer.core import TyperGroup

try:  # Typer >= 0.20 vendors its own Click: its exceptions are not click's
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - older Typer on plain Click
    import click.exceptions as _cx

from detectors.taxonomy import SEVERITY_ORDER
from reports.html import write_html
from scanner.audit import AuditLog
from scanner.config import ConfigError, ScanConfig, Settings, load_config, merge_settings
from scanner.connectors.common import DEFAULT_MAX_CELL_BYTES, ReadOptions
from scanner.connectors.sqldb import credential_problem
from scanner.console import make_console
from scanner.findings import read_findings, write_findings
from scanner.history import (
    History,
    HistoryError,
    LockTimeout,
    history_lock,
    opened,
)
from scanner.model import ScanParameters, SourceError, Violation
from scanner.pipeline import ScanOptions
from scanner.policy.model import Policy, PolicyError, load_policy
from scanner.progress import Reporter, choose_mode, install_json_logging
from scanner.sampling import DEFAULT_SAMPLE_ROWS
from scanner.sources import missing_sources
from scanner.spark_engine import DEFAULT_MASTER, Engine, SparkScanner, spark_problem

if TYPE_CHECKING:
    from scanner.api import ScanEvent

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE, EXIT_SOURCE_ERRORS = 0, 1, 2, 3

err = make_console(stderr=True)
out = make_console()
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
_ABORTS = tuple({typer.Abort, getattr(_cx, "Abort", typer.Abort), click.exceptions.Abort})


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every ``with`` block unwinds (history lock, temp files).

    A BaseException, like KeyboardInterrupt: no ``except Exception`` on the way may swallow it.
    """


class OneLineErrors(TyperGroup):
    """The root command: a usage error is one ``piiwarden: error: ...`` line (exit 2), like every other error.

    Click and Typer would print a five-line box (usage, hint, framed message)
    that a scheduler's log cannot grep. Interrupts end with one line too:
    SIGINT exits 130, SIGTERM 143, after the run has unwound (the history
    lock is released; outputs are written atomically, so none is half-written).
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]  # noqa: ANN001, ANN201
        previous = _on_sigterm()
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _cx.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else "")
            code = EXIT_USAGE
        except _cx.ClickException as exc:
            err.print(f"piiwarden: error: {_one_line(exc)}", markup=False)
            code = EXIT_USAGE
        except (*_ABORTS, KeyboardInterrupt):
            code = EXIT_INTERRUPTED
        except _Terminated:
            err.print("piiwarden: terminated", markup=False)
            code = EXIT_TERMINATED
        finally:
            _restore_sigterm(previous)
        code = code if isinstance(code, int) else EXIT_OK
        if code == EXIT_INTERRUPTED:  # Typer turns KeyboardInterrupt into a silent Exit(130)
            err.print("piiwarden: interrupted", markup=False)
        if standalone_mode:
            sys.exit(code)
        return code


def _one_line(exc: Exception) -> str:
    """Click's message on one line, with the command it concerns (``scan: No such option: --x``)."""
    message = " ".join(exc.format_message().replace("Value error, ", "").split())  # type: ignore[attr-defined]
    names, ctx = [], getattr(exc, "ctx", None)
    while ctx is not None and ctx.parent is not None:  # the root's name is the program's, not a command
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    command = " ".join(reversed(names))
    return f"{command}: {message}" if command else message


def _on_sigterm():  # noqa: ANN202 - a signal handler or its placeholder
    """Turn SIGTERM into an exception in this (main) process; forked workers keep the default."""
    if threading.current_thread() is not threading.main_thread():
        return None
    main_pid = os.getpid()

    def terminate(signum, frame):  # noqa: ANN001, ANN202, ARG001
        if os.getpid() != main_pid:  # a forked worker: die as SIGTERM asks, without unwinding twice
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise _Terminated

    return signal.signal(signal.SIGTERM, terminate)


def _restore_sigterm(previous) -> None:  # noqa: ANN001
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


app = typer.Typer(add_completion=False, no_args_is_help=True, help="Find, grade and report personal data.",
                  cls=OneLineErrors, rich_markup_mode=None, pretty_exceptions_enable=False)


class Level(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


def usage_error(message: str) -> typer.Exit:
    """Print one clear line and return the exit for a usage/configuration error."""
    err.print(f"piiwarden: error: {message}", markup=False)
    return typer.Exit(EXIT_USAGE)


def _parse_as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise usage_error(f"--as-of must be a date YYYY-MM-DD, got {value!r}") from None


class LogFormat(str, Enum):
    text = "text"
    json = "json"


class OnBadRows(str, Enum):
    skip = "skip"
    fail = "fail"


ON_BAD_ROWS_HELP = ("A row a file reader cannot read (ragged CSV record, invalid JSON line, undecodable bytes, "
                    "a cell over --max-cell-bytes): skip it and count it in the file's errors (exit 3), or fail "
                    "the file [default: skip].")
MAX_CELL_HELP = (f"Longest cell or line read, in bytes; a longer one is a bad row [default: {DEFAULT_MAX_CELL_BYTES}].")
FOLLOW_HELP = ("Follow symlinks (to files and folders) while crawling, each folder once; without it they are "
               "skipped with a note.")


def read_options(st: Settings) -> ReadOptions:
    """The file readers' options from the effective settings."""
    return ReadOptions(on_bad_rows=st.on_bad_rows, max_cell_bytes=st.max_cell_bytes,
                       follow_symlinks=st.follow_symlinks)


def _load_config(path: Path | None) -> ScanConfig | None:
    if path is None:
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        raise usage_error(str(exc)) from None


@app.command()
def scan(
    sources: Annotated[list[str] | None, typer.Argument(help="Files, directories, globs or database URLs.")] = None,
    outdir: Annotated[Path | None, typer.Option("-o", "--outdir", help="Where findings.json and report.html go "
                                                "[default: piiwarden-out].")] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (CONTRACT.md).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Config YAML; flags override its values.")] = None,
    sample_rows: Annotated[int | None, typer.Option("--sample-rows", help="Rows sampled per dataset "
                                                    f"[default: {DEFAULT_SAMPLE_ROWS}].")] = None,
    full: Annotated[bool, typer.Option("--full", help="Scan every row instead of a sample.")] = False,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Processes: datasets in parallel; in a --full scan of fewer datasets than workers, "
        "each dataset's 65,536-row units in parallel.")] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="local, or spark for big Parquet/CSV/JSON(L) "
                                           "(hdfs://, s3a:// paths too).")] = Engine.local,
    spark_master: Annotated[str, typer.Option("--spark-master", help="Spark master URL for --engine spark.")]
    = DEFAULT_MASTER,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Today's date for age rules, YYYY-MM-DD.")] = None,
    fail_on: Annotated[Level | None, typer.Option("--fail-on", help="Exit 1 on a violation at or above this.")] = None,
    lang: Annotated[Lang | None, typer.Option("--lang", help="Report language [default: zh].")] = None,
    include: Annotated[list[str] | None, typer.Option("--include", help="Only dataset ids matching this glob (repeatable), e.g. 'crm.*'.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Skip dataset ids matching this glob (repeatable), e.g. '*.tmp_*'.")] = None,
    views: Annotated[bool, typer.Option("--views", help="Also scan database views.")] = False,
    incremental: Annotated[bool, typer.Option("--incremental", help="Reuse results of datasets unchanged since the last scan.")] = False,
    no_history: Annotated[bool, typer.Option("--no-history", help="Do not record this scan in the history database.")] = False,
    history_db: Annotated[Path | None, typer.Option("--history", help="History database "
                                                    "[default: <outdir parent>/.piiwarden/history.db].")] = None,
    audit_log: Annotated[Path | None, typer.Option("--audit-log", help="Audit log [default: beside the history db].")] = None,
    lock_timeout: Annotated[float | None, typer.Option("--lock-timeout", help="Seconds to wait for another run "
                                                       "on the same history [default: 300].")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output; errors and the summary only.")] = False,
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="stderr as text or one JSON object per line.")] = LogFormat.text,
    on_bad_rows: Annotated[OnBadRows | None, typer.Option("--on-bad-rows", help=ON_BAD_ROWS_HELP)] = None,
    max_cell_bytes: Annotated[int | None, typer.Option("--max-cell-bytes", min=1, help=MAX_CELL_HELP)] = None,
    follow_symlinks: Annotated[bool, typer.Option("--follow-symlinks", help=FOLLOW_HELP)] = False,
) -> None:
    """Scan sources for personal data and write findings.json and report.html."""
    cli_sources = list(sources or [])
    for source in cli_sources:
        if problem := credential_problem(source):
            raise usage_error(problem)
    st = merge_settings(
        _load_config(config), sources=cli_sources, outdir=outdir, policy=policy, sample_rows=sample_rows, full=full,
        workers=workers, include=include, exclude=exclude, views=views, incremental=incremental,
        history=history_db, no_history=no_history, audit_log=audit_log, lang=lang.value if lang else None,
        fail_on=fail_on.value if fail_on else None, as_of=as_of, lock_timeout=lock_timeout,
        default_sample_rows=DEFAULT_SAMPLE_ROWS, on_bad_rows=on_bad_rows.value if on_bad_rows else None,
        max_cell_bytes=max_cell_bytes, follow_symlinks=follow_symlinks,
    )
    if not st.sources:
        raise usage_error("no SOURCE given (on the command line or as `sources:` in --config)")
    for source in st.sources:  # sources from --config may hold a password, but every ${VAR} must be set
        if problem := credential_problem(source, typed=False):
            raise usage_error(problem)
    if st.incremental and st.history is None:
        raise usage_error("--incremental needs the scan history to compare with; drop --no-history")
    if st.sample_rows < 1:
        raise usage_error("--sample-rows must be at least 1")
    if engine is Engine.spark and (problem := spark_problem()):
        raise usage_error(f"--engine spark: {problem}")
    as_of_date = _parse_as_of(st.as_of)
    missing = missing_sources(st.sources)
    if missing:
        raise usage_error(f"no such file, directory or matching glob: {', '.join(missing)}")
    loaded: Policy | None = None
    if st.policy is not None:
        if not st.policy.exists():
            raise usage_error(f"policy file not found: {st.policy}")
        try:
            loaded = load_policy(st.policy)
        except PolicyError as exc:
            raise usage_error(str(exc)) from None
    reporter = Reporter(choose_mode(log_format.value, quiet), err)
    if reporter.mode == "json":
        install_json_logging()
    try:
        with _history_session(st) as history:
            spark = SparkScanner(spark_master, note=lambda m: reporter.info("engine", m)) \
                if engine is Engine.spark else None
            code = _run_scan(st, loaded, as_of_date, history, reporter, spark)
    except (LockTimeout, HistoryError) as exc:
        raise usage_error(str(exc)) from None
    finally:
        reporter.close()
    raise typer.Exit(code)


@contextlib.contextmanager
def _history_session(st: Settings) -> Iterator[History | None]:
    """The history database, locked for the whole run (None with --no-history)."""
    if st.history is None:
        yield None
        return
    with history_lock(st.history, st.lock_timeout), opened(st.history) as history:
        yield history


def _run_scan(st: Settings, loaded: Policy | None, as_of_date: dt.date, history: History | None,
              reporter: Reporter, spark: SparkScanner | None = None) -> int:
    """Scan through the library, write findings.json and report.html, audit and print; returns the exit code."""
    from scanner import api

    options = ScanOptions(sample_rows=st.sample_rows, full=st.full)
    if st.workers is not None:
        options.workers = st.workers
    parameters = ScanParameters(
        policy=str(st.policy) if st.policy else None, sample_rows=None if st.full else st.sample_rows,
        fail_on=st.fail_on, lang=st.lang, workers=st.workers, incremental=st.incremental,
        on_bad_rows=st.on_bad_rows, max_cell_bytes=st.max_cell_bytes, follow_symlinks=st.follow_symlinks)
    result = api.scan(st.sources, policy=loaded, options=options, read=read_options(st), include=st.include,
                      exclude=st.exclude, views=st.views, as_of=as_of_date, history=history,
                      incremental=st.incremental, engine=spark, progress=_to_reporter(reporter),
                      parameters=parameters)
    findings_path, report_path = st.outdir / "findings.json", st.outdir / "report.html"
    write_findings(findings_path, result)
    write_html(report_path, result.to_json(), st.lang)
    code = _exit_code(result.violations, result.errors, Level(st.fail_on) if st.fail_on else None)

    log = AuditLog(st.audit_log, st.audit_retention_days, st.destruction_retention_days)
    outputs = [findings_path, report_path] + ([st.history] if st.history else [])
    try:
        api.audit_scan(log, result, st.sources, outputs, code)
    except OSError as exc:  # an unwritable log is reported but does not undo the scan
        reporter.error(str(st.audit_log), f"cannot write the audit log ({type(exc).__name__})")
    inc, skipped = result.scan.incremental, result.scan.skipped or ()
    out.print(
        f"{len(result.datasets)} datasets, {result.sensitive_columns} sensitive columns, "
        f"{len(result.violations)} violations, {len(result.errors)} errors"
        + (f" ({inc.reused} reused unchanged)" if st.incremental and inc else "")
        + (f", {len(skipped)} skipped (not regular files or symlinks)" if skipped else ""),
        markup=False,
    )
    out.print(f"findings: {findings_path}", markup=False)
    out.print(f"report:   {report_path}", markup=False)
    return code


def _to_reporter(reporter: Reporter) -> Callable[[ScanEvent], None]:
    """The library's progress events, shown by the console reporter."""

    def show(event: ScanEvent) -> None:
        if event.kind == "note":
            reporter.info("skipped", event.message or "", source=event.source)
        elif event.kind == "error":
            reporter.error(event.source or "", event.message or "")
        elif event.kind == "start":
            reporter.start(event.total)
        elif event.kind == "dataset_started":
            reporter.dataset_started(event.dataset or "")
        elif event.kind == "dataset_done":
            reporter.dataset_done(event.dataset or "", event.rows, event.reused_from)
        elif event.kind == "scanned":
            reporter.close()

    return show


def _exit_code(violations: Sequence[Violation], errors: Sequence[SourceError], fail_on: Level | None) -> int:
    if fail_on is not None:
        bar = SEVERITY_ORDER[fail_on.value]
        if any(SEVERITY_ORDER[v.severity] >= bar for v in violations):
            return EXIT_VIOLATION
    return EXIT_SOURCE_ERRORS if errors else EXIT_OK


@app.command()
def report(
    findings_json: Annotated[Path, typer.Argument(help="A findings.json written by `piiwarden scan`.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
    lang: Annotated[Lang, typer.Option("--lang", help="Report language.")] = Lang.zh,
) -> None:
    """Re-render report.html from a findings.json."""
    if not findings_json.is_file():
        raise usage_error(f"no such file: {findings_json}")
    try:
        findings = read_findings(findings_json)
    except (ValueError, OSError) as exc:
        raise usage_error(f"{findings_json}: not a readable findings.json ({type(exc).__name__})") from None
    if not isinstance(findings, dict) or findings.get("schema_version") != 1 or "datasets" not in findings:
        raise usage_error(f"{findings_json}: not a piiwarden findings.json (schema_version 1)")
    write_html(output, findings, lang.value)
    out.print(f"report:   {output}", markup=False)


from scanner.cli_anonymize import register as _register_anonymize  # noqa: E402 - needs `app` above

_register_anonymize(app)

from scanner.cli_history import register as _register_history  # noqa: E402 - needs `app` above

_register_history(app)


def main() -> None:
    """Console-script entry point (errors, SIGINT and SIGTERM are handled by ``OneLineErrors``).

    An interrupted or terminated run has already unwound (history lock
    released, outputs atomic) when it gets here, but a native thread of a
    reader (Arrow's read-ahead, a driver's socket thread) may still be alive:
    a normal interpreter exit would run C++ static destructors under it and
    abort ("terminate called without an active exception", exit -6 instead
    of 143). So those two exits flush and leave with ``os._exit``.
    """
    try:
        app()
    except SystemExit as exc:
        if exc.code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            _hard_exit(int(exc.code))
        raise


def _hard_exit(code: int) -> NoReturn:
    """Flush what the run printed and logged, then exit without interpreter teardown."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
