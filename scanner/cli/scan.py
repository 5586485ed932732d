"""``piiwarden scan``: parse the flags, call ``scanner.api.scan``, write findings.json and report.html, render.

Exit codes: 0 clean (no violation at or above --fail-on), 1 a violation at or
above --fail-on, 2 usage or configuration error (nothing written), 3 the scan
finished but some sources failed. When both 1 and 3 apply, 1 wins: a release
gate must stop on a definite violation even if another source was unreadable.

What the scan does lives in the library; this module only turns flags and
the config file into arguments, and the result into files and lines. Heavy
modules are imported inside the command, so ``piiwarden --help`` does not
load detection.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scanner.cli import common
from scanner.cli.common import (
    ENTITIES_HELP,
    EXIT_OK,
    EXIT_SOURCE_ERRORS,
    EXIT_VIOLATION,
    FOLLOW_HELP,
    Lang,
    Level,
    LogFormat,
    OnBadRows,
    check_credentials,
    custom_entities,
    err,
    load_config,
    load_policy,
    missing_sources,
    out,
    parse_day,
    read_options,
    usage_error,
)
from scanner.defaults import DEFAULT_MASTER, DEFAULT_MAX_CELL_BYTES, DEFAULT_SAMPLE_ROWS, Engine

if TYPE_CHECKING:
    from scanner.anonymize.keys import Key
    from scanner.api import ScanEvent
    from scanner.config import Settings
    from scanner.history import History
    from scanner.lifecycle.identifiers import SubjectIndex
    from scanner.model import SourceError, Violation
    from scanner.policy.model import Policy
    from scanner.progress import Reporter
    from scanner.spark_engine import SparkScanner

ON_BAD_ROWS_HELP = ("A row a file reader cannot read (ragged CSV record, invalid JSON line, undecodable bytes, "
                    "a cell over --max-cell-bytes): skip it and count it in the file's errors (exit 3), or fail "
                    "the file [default: skip].")
MAX_CELL_HELP = (f"Longest cell or line read, in bytes; a longer one is a bad row [default: {DEFAULT_MAX_CELL_BYTES}].")




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
        "--workers", min=1, help="Processes: datasets in parallel (database tables: one connection per process); "
        "in a --full scan of fewer datasets than workers, each dataset's 65,536-row units in parallel.")] = None,
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
    entities: Annotated[Path | None, typer.Option("--entities", help=ENTITIES_HELP)] = None,
    index: Annotated[bool, typer.Option("--index", help="Also build OUTDIR/index: keyed hashes (HMAC with the key) "
                                        "of every identifier column's values, for `subject find --index`.")] = False,
    key_file: Annotated[Path | None, typer.Option("--key-file", help="Key for --index [default: PIIWARDEN_KEY].")]
    = None,
    ocr: Annotated[bool, typer.Option("--ocr", help="Documents: read images and image-only PDF pages with "
                                      "Tesseract (chi_sim+eng); without it they are listed as not read.")] = False,
    max_pdf_pages: Annotated[int, typer.Option("--max-pdf-pages", min=1, help="Documents: a PDF with more pages "
                                               "is refused (one error line).")] = 2_000,
) -> None:
    """Scan sources for personal data and write findings.json and report.html."""
    from scanner.config import ScanFlags, merge_settings

    cli_sources = list(sources or [])
    check_credentials(cli_sources)
    flags = ScanFlags(
        sources=cli_sources, outdir=outdir, policy=policy, sample_rows=sample_rows, full=full, workers=workers,
        include=include, exclude=exclude, views=views, incremental=incremental, history=history_db,
        no_history=no_history, audit_log=audit_log, lang=lang.value if lang else None,
        fail_on=fail_on.value if fail_on else None, as_of=as_of, lock_timeout=lock_timeout,
        on_bad_rows=on_bad_rows.value if on_bad_rows else None, max_cell_bytes=max_cell_bytes,
        follow_symlinks=follow_symlinks, entities=entities,
    )
    st = merge_settings(load_config(config), flags, default_sample_rows=DEFAULT_SAMPLE_ROWS)
    if not st.sources:
        raise usage_error("no SOURCE given (on the command line or as `sources:` in --config)")
    check_credentials(st.sources, typed=False)  # from --config a password may be typed, but every ${VAR} must be set
    if st.incremental and st.history is None:
        raise usage_error("--incremental needs the scan history to compare with; drop --no-history")
    if st.sample_rows < 1:
        raise usage_error("--sample-rows must be at least 1")
    if engine is Engine.spark and (problem := common.spark_problem()):
        raise usage_error(f"--engine spark: {problem}")
    as_of_date = parse_day(st.as_of)
    missing_sources(st.sources)
    with custom_entities(st.entities):  # the policy may name a custom entity (allowed_entities, roles)
        _scan_with_entities(st, engine, spark_master, as_of_date, index, key_file, ocr, max_pdf_pages, log_format,
                            quiet)


def _scan_with_entities(st: Settings, engine: Engine, spark_master: str, as_of_date: dt.date, index: bool,
                        key_file: Path | None, ocr: bool, max_pdf_pages: int, log_format: LogFormat,
                        quiet: bool) -> None:
    """The scan command once its custom entities are registered."""
    from scanner.history import HistoryError, LockTimeout
    from scanner.progress import Reporter, choose_mode, install_json_logging

    loaded = load_policy(st.policy)
    index_key = _index_key(index, key_file, engine)
    if ocr:
        from scanner.documents import tesseract_available

        if not tesseract_available():
            raise usage_error("--ocr needs Tesseract and its Chinese model (apt: tesseract-ocr tesseract-ocr-chi-sim)")
    reporter = Reporter(choose_mode(log_format.value, quiet), err.real)
    if reporter.mode == "json":
        install_json_logging()
    try:
        with _history_session(st) as history:
            spark = _spark(spark_master, reporter) if engine is Engine.spark else None
            with _subject_index(st.outdir, index_key) as subject_index:
                code = _run_scan(st, loaded, as_of_date, history, reporter, spark, subject_index,
                                 (ocr, max_pdf_pages))
    except (LockTimeout, HistoryError) as exc:
        raise usage_error(str(exc)) from None
    finally:
        reporter.close()
    raise typer.Exit(code)


def _index_key(index: bool, key_file: Path | None, engine: Engine) -> Key | None:
    """The key ``--index`` hashes with; a usage error without one (an unkeyed index would hold guessable hashes)."""
    if not index:
        return None
    if engine is Engine.spark:
        raise usage_error("--index is built by the local engine; drop --engine spark or --index")
    key = common.load_key(key_file)
    if key is None:
        raise usage_error("--index needs a key (--key-file or PIIWARDEN_KEY): the index holds keyed hashes only")
    return key


@contextlib.contextmanager
def _subject_index(outdir: Path, key: Key | None) -> Iterator[SubjectIndex | None]:
    """OUTDIR/index, rebuilt by this scan and swapped in when it finishes (None without --index)."""
    if key is None:
        yield None
        return
    from scanner.lifecycle.subject_find import building_index

    with building_index(outdir / "index", key) as index:
        yield index


def _spark(master: str, reporter: Reporter) -> SparkScanner:
    from scanner.spark_engine import SparkScanner

    return SparkScanner(master, note=lambda m: reporter.info("engine", m))


@contextlib.contextmanager
def _history_session(st: Settings) -> Iterator[History | None]:
    """The history database, locked for the whole run (None with --no-history)."""
    from scanner.history import history_lock, opened

    if st.history is None:
        yield None
        return
    with history_lock(st.history, st.lock_timeout), opened(st.history) as history:
        yield history


def _run_scan(st: Settings, loaded: Policy | None, as_of_date: dt.date, history: History | None,
              reporter: Reporter, spark: SparkScanner | None = None, index: SubjectIndex | None = None,
              documents: tuple[bool, int] = (False, 2_000)) -> int:
    """Scan through the library, write findings.json and report.html, audit and print; returns the exit code."""
    from reports.html import write_html
    from scanner import api
    from scanner.audit import AuditLog
    from scanner.findings import write_findings
    from scanner.model import ScanParameters
    from scanner.pipeline import ScanOptions

    options = ScanOptions(sample_rows=st.sample_rows, full=st.full)
    if st.workers is not None:
        options.workers = st.workers
    parameters = ScanParameters(
        policy=str(st.policy) if st.policy else None, sample_rows=None if st.full else st.sample_rows,
        fail_on=st.fail_on, lang=st.lang, workers=st.workers, incremental=st.incremental,
        on_bad_rows=st.on_bad_rows, max_cell_bytes=st.max_cell_bytes, follow_symlinks=st.follow_symlinks)
    read = dataclasses.replace(read_options(st), ocr=documents[0], max_pdf_pages=documents[1])
    result = api.scan(st.sources, policy=loaded, options=options, read=read, include=st.include,
                      exclude=st.exclude, views=st.views, as_of=as_of_date, history=history,
                      incremental=st.incremental, engine=spark, progress=_to_reporter(reporter),
                      parameters=parameters, index=index)
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
        + (f", {len(skipped)} skipped (not regular files or symlinks)" if skipped else "")
        + (f", {unread} images or pages not read (see the report; --ocr reads them)"
           if (unread := sum(len(d.not_read or ()) for d in result.datasets)) else ""),
        markup=False,
    )
    out.print(f"findings: {findings_path}", markup=False)
    out.print(f"report:   {report_path}", markup=False)
    if index is not None:
        out.print(f"index:    {st.outdir / 'index'}", markup=False)
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
    """1 for a violation at or above --fail-on (it wins), else 3 if a source failed, else 0."""
    from detectors.taxonomy import SEVERITY_ORDER

    if fail_on is not None:
        bar = SEVERITY_ORDER[fail_on.value]
        if any(SEVERITY_ORDER[v.severity] >= bar for v in violations):
            return EXIT_VIOLATION
    return EXIT_SOURCE_ERRORS if errors else EXIT_OK
