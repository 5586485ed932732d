"""The piiwarden library: scan, anonymize and verify from Python (a notebook, a pipeline, the CLI).

Why a module of its own: the command line used to be the application, so a
data engineer could only shell out to it. Everything a scan does (resolve
sources, select datasets, reuse unchanged ones, profile, count, read grants,
apply the policy, compare with history) happens here and returns typed
results (``scanner.model``); the CLI parses flags, calls these functions and
renders. Nothing here prints: progress goes to an optional callback, and a
returned ``ScanResult.to_json()`` is exactly the findings.json a scan writes.

    >>> from scanner import api
    >>> result = api.scan(["sample_data/"], policy="sample_data/policy.yaml")
    >>> [c.name for d in result.datasets for c in d.sensitive_columns()]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pyarrow as pa

from scanner import __version__
from scanner.audit import AuditLog
from scanner.connectors.base import BATCH_ROWS, Dataset
from scanner.connectors.common import DEFAULT_READ_OPTIONS, ReadOptions
from scanner.connectors.scope import shared_engines
from scanner.connectors.urls import mask_source
from scanner.defaults import DEFAULT_SAMPLE_ROWS
from scanner.findings import finish_scan, now_iso
from scanner.history import History, history_section, scope_of
from scanner.incremental import Plan, options_key
from scanner.incremental import plan as incremental_plan
from scanner.model import (
    AnonymizationResult,
    AnonymizedDataset,
    DatasetResult,
    IncrementalSummary,
    ScanParameters,
    ScanResult,
    Skipped,
    SourceError,
)
from scanner.parallel import Outcome, scan_many
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.policy.counts import attach_policy_checks
from scanner.policy.model import Policy, load_policy
from scanner.policy.rules import evaluate
from scanner.sources import resolve_sources, select_datasets

if TYPE_CHECKING:
    import pandas as pd

    from scanner.anonymize.keys import Key
    from scanner.anonymize.rules import Rules
    from scanner.anonymize.verify import VerifyResult
    from scanner.lifecycle.identifiers import SubjectIndex
    from scanner.lifecycle.inventory import Inventory
    from scanner.lifecycle.purge import PurgePlan, PurgeResult
    from scanner.lifecycle.subject_erase import EraseResult
    from scanner.lifecycle.subject_export import ExportResult
    from scanner.lifecycle.subject_find import FindResult
    from scanner.maskviews.run import MaskViewsResult
    from scanner.spark_engine import SparkScanner

__all__ = [
    "ScanEvent", "ScanOptions", "anonymize", "anonymize_dataframe", "audit_export", "audit_scan", "decrypt",
    "inventory", "mask_views", "scan", "scan_dataframe", "subject_erase", "subject_export", "subject_find", "verify",
]

Frame = TypeVar("Frame")  # a pandas DataFrame or an Arrow table: what comes in goes out
EventKind = Literal["note", "error", "start", "dataset_started", "dataset_done", "scanned"]
MEMORY_SOURCE = "<memory>"


@dataclass(frozen=True)
class ScanEvent:
    """Something a caller may want to show while a scan runs (never a data value).

    ``note``: a path not opened (``source``, ``message``); ``error``: a
    source that failed; ``start``: ``total`` datasets to go through;
    ``dataset_started`` / ``dataset_done`` (``rows`` scanned, ``reused_from``
    when an unchanged result was reused); ``scanned``: profiling is over
    (full-pass counts and grants follow).
    """

    kind: EventKind
    dataset: str | None = None
    source: str | None = None
    message: str | None = None
    rows: int = 0
    total: int = 0
    reused_from: str | None = None


Progress = Callable[[ScanEvent], None]


def _ignore(_event: ScanEvent) -> None:
    """The default progress callback: a library call is silent."""


# ------------------------------------------------------------------------ scan ----


def scan(sources: Sequence[str] | str, *, policy: Policy | str | Path | None = None,
         options: ScanOptions | None = None, read: ReadOptions | None = None,
         include: Sequence[str] = (), exclude: Sequence[str] = (), views: bool = False,
         as_of: dt.date | None = None, history: History | None = None, incremental: bool = False,
         engine: SparkScanner | None = None, progress: Progress | None = None,
         parameters: ScanParameters | None = None, index: SubjectIndex | None = None) -> ScanResult:
    """Scan files, folders, globs or database URLs for personal data and judge them against a policy.

    ``policy`` is a loaded ``Policy`` or a YAML path (``PolicyError`` if
    invalid); without one only the rules that need none run. ``history``
    (an open ``scanner.history.History``) adds the comparison with the
    previous scan of the same sources and records this one; ``incremental``
    reuses the results of datasets unchanged since then. ``engine`` is a
    ``SparkScanner`` to profile on Spark. ``parameters`` is what findings.json
    records under ``scan.parameters`` (derived from the arguments if not given).
    """
    say = progress or _ignore
    started = now_iso()
    source_list = [sources] if isinstance(sources, str) else list(sources)
    options = options or ScanOptions()
    read = read or DEFAULT_READ_OPTIONS
    loaded, policy_path = _policy(policy)
    as_of = as_of or dt.date.today()
    masked = [mask_source(s) for s in source_list]
    scope, opts = scope_of(masked), options_key(options.full, options.sample_rows, read)
    if incremental and history is None:
        raise ValueError("an incremental scan needs the history to compare with")
    if index is not None and engine is not None:
        raise ValueError("the subject index is built by the local engine, not on Spark")

    # one engine and connection per database URL and process for the whole scan (parallel workers: their own)
    with shared_engines():
        datasets, errors, skipped = _resolve(source_list, read, views, engine, say)
        datasets = select_datasets(datasets, list(include), list(exclude))
        previous = history.latest(scope) if history is not None else None
        before = history.datasets(previous.id) if history is not None and previous is not None else None
        plan = incremental_plan(datasets, before, opts, incremental)
        results = _profile(datasets, plan, options, engine, errors, say)
        if index is not None:
            _index_subjects(index, datasets, results, errors, say)

        # Exact counts for retention/minor_data: a full pass over only the columns they need.
        results, count_errors = attach_policy_checks(loaded, list(zip(datasets, results)), as_of)
        results, grant_errors = _grants(datasets, results, list(loaded.roles) if loaded else [])
        for item in count_errors + grant_errors:
            errors.append(item)
            say(ScanEvent("error", source=item.source, message=item.error))
        violations = evaluate(loaded, results)
        reused = tuple(d.id for d in results if d.reused_from)
        result = finish_scan(
            started_at=started, as_of=as_of, sources=masked, mode="full" if options.full else "sample",
            datasets=results, violations=violations, errors=errors,
            parameters=parameters or _parameters(policy_path, options, read, incremental),
            skipped=[Skipped(p, why) for p, why in skipped],
            incremental=IncrementalSummary(enabled=incremental, reused_datasets=reused,
                                           rescanned=len(results) - len(reused)),
        )
        if history is not None:
            result = replace(result, history=history_section(history, scope, result))
            history.record(result, scope, plan.fingerprints, opts)
        return result


def _index_subjects(index: SubjectIndex, datasets: list[Dataset], results: list[DatasetResult],
                    errors: list[SourceError], say: Progress) -> None:
    """Keyed hashes of every identifier column into the subject index (``scan --index``): one more pass,
    over those columns only, and only when asked for, so a scan without --index pays nothing."""
    from scanner.connectors.base import SourceError as ReadError
    from scanner.lifecycle.kinds import identifier_entities
    from scanner.lifecycle.subject_find import index_dataset

    entities = identifier_entities()
    for ds, result in zip(datasets, results):
        if result.errors and not result.columns:
            continue  # unreadable: already in errors
        try:
            index_dataset(index, ds, result.columns, entities)
        except ReadError as exc:
            item = SourceError(ds.where, f"subject index: {exc}")
            errors.append(item)
            say(ScanEvent("error", source=item.source, message=item.error))


def _policy(policy: Policy | str | Path | None) -> tuple[Policy | None, Path | None]:
    """The policy to apply, and the file it came from (recorded in findings.json)."""
    if policy is None or isinstance(policy, Policy):
        return policy, None
    return load_policy(Path(policy)), Path(policy)


def _parameters(policy_path: Path | None, options: ScanOptions, read: ReadOptions,
                incremental: bool) -> ScanParameters:
    return ScanParameters(policy=str(policy_path) if policy_path else None,
                          sample_rows=None if options.full else options.sample_rows, workers=options.workers,
                          incremental=incremental, on_bad_rows=read.on_bad_rows, max_cell_bytes=read.max_cell_bytes,
                          follow_symlinks=read.follow_symlinks)


def _resolve(sources: list[str], read: ReadOptions, views: bool, engine: SparkScanner | None,
             say: Progress) -> tuple[list[Dataset], list[SourceError], list[tuple[str, str]]]:
    """The datasets of the sources, the sources that failed, and the paths the crawl did not open."""
    skipped: list[tuple[str, str]] = []
    if engine is not None:
        datasets, failed = engine.resolve(sources, views=views)
    else:
        datasets, failed = resolve_sources(sources, views=views, options=read, notes=skipped)
    for path, why in skipped:
        say(ScanEvent("note", source=path, message=f"note: {path}: {why}"))
    errors = [SourceError(mask_source(s), e) for s, e in failed]
    for item in errors:
        say(ScanEvent("error", source=item.source, message=item.error))
    return datasets, errors, skipped


def _grants(datasets: list[Dataset], results: list[DatasetResult],
            roles: list[str]) -> tuple[list[DatasetResult], list[SourceError]]:
    """Who can read each database table (the policy's roles by any path); files only never load SQLAlchemy."""
    if all(d.sql is None for d in datasets):
        return results, []
    from scanner.policy.database import attach_grants

    return attach_grants(list(zip(datasets, results)), roles)


def _profile(datasets: list[Dataset], plan: Plan, options: ScanOptions, engine: SparkScanner | None,
             errors: list[SourceError], say: Progress) -> list[DatasetResult]:
    """Every dataset's result: reused when the plan says it is unchanged, else profiled (in order)."""
    results: list[DatasetResult | None] = [None] * len(datasets)
    say(ScanEvent("start", total=len(datasets)))
    to_scan = []
    for i, ds in enumerate(datasets):
        reused = plan.reuse(ds)
        if reused is None:
            to_scan.append(i)
            continue
        results[i] = reused
        say(ScanEvent("dataset_done", dataset=ds.id, rows=reused.rows_scanned, reused_from=reused.reused_from))

    def started(i: int) -> None:
        say(ScanEvent("dataset_started", dataset=datasets[i].id))

    outcomes: Iterator[Outcome] = engine.scan_many(datasets, to_scan, options, started=started) \
        if engine is not None else scan_many(datasets, to_scan, options, options.workers, started=started)
    for outcome in outcomes:
        ds = datasets[outcome.index]
        for message in outcome.result.errors:
            errors.append(SourceError(ds.where, message))
            say(ScanEvent("error", source=ds.where, message=message))
        results[outcome.index] = outcome.result
        say(ScanEvent("dataset_done", dataset=ds.id, rows=outcome.result.rows_scanned))
    say(ScanEvent("scanned"))
    return [r for r in results if r is not None]


def audit_scan(log: AuditLog, result: ScanResult, sources: Sequence[str], outputs: Sequence[Path | str],
               exit_code: int) -> None:
    """One audit line for a finished scan (counts only); ``OSError`` when the log cannot be written."""
    inc = result.scan.incremental or IncrementalSummary()
    log.record("scan", sources=list(sources), outputs=[str(p) for p in outputs],
               counts={"datasets": len(result.datasets), "rescanned": inc.rescanned, "reused": inc.reused,
                       "sensitive_columns": result.sensitive_columns, "violations": len(result.violations),
                       "errors": len(result.errors)},
               exit_code=exit_code, scan_id=result.scan.id)


# ------------------------------------------------------------------ in memory ----


def _arrow(frame: Any) -> pa.Table:
    """An Arrow table as is; a DataFrame without its index (``to_parquet`` keeps a RangeIndex as metadata only)."""
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


def memory_dataset(frame: Any, name: str) -> Dataset:
    """A dataset over in-memory data, streamed in the same batch size a file connector uses."""
    table = _arrow(frame)

    def batches() -> Iterator[pa.RecordBatch]:
        produced = table.to_batches(max_chunksize=BATCH_ROWS)
        yield from produced or [pa.RecordBatch.from_pylist([], schema=table.schema)]

    return Dataset(id=name, source=MEMORY_SOURCE, format="table", open_batches=batches, rows=table.num_rows,
                   location=name)


def scan_dataframe(frame: pd.DataFrame | pa.Table, *, name: str = "dataframe",
                   options: ScanOptions | None = None) -> DatasetResult:
    """Scan a pandas DataFrame or Arrow table in memory; the findings a file of the same data would get.

    ``name`` is the dataset id: the sample is seeded by it, so data scanned
    under the name of the file it was read from yields that file's findings.
    """
    return scan_dataset(memory_dataset(frame, name), options or ScanOptions())


def anonymize_dataframe(frame: Frame, *, rules: Rules | str | Path | None = None, key: Key | bytes | None = None,
                        policy: Policy | str | Path | None = None, name: str = "dataframe",
                        sample_rows: int = DEFAULT_SAMPLE_ROWS) -> tuple[Frame, AnonymizationResult]:
    """A desensitized copy of a DataFrame (or Arrow table), and the record of what was done to it.

    The columns are detected and transformed exactly as ``anonymize`` does
    for a file; the copy has the input's type. Keyed operators (hash,
    encrypt, fpe, pseudonym) need ``key``.
    """
    from scanner.anonymize.engine import anonymize_job
    from scanner.anonymize.operators import OpContext

    loaded_rules, loaded_key = _rules(rules), _key(key)
    _require_key(loaded_rules, loaded_key)
    loaded_policy, _ = _policy(policy)
    started = now_iso()
    ds = memory_dataset(frame, name)
    job = anonymize_job(ds, loaded_rules, loaded_policy, OpContext(loaded_key), sample_rows)
    out = [job.transform(batch).output() for batch in ds.batches()]
    table = pa.Table.from_batches(out)
    entry = {"id": name, "source": MEMORY_SOURCE, "format": ds.format, "output_id": name, "output": MEMORY_SOURCE,
             **job.record()}
    run = {"kind": "anonymize", "started_at": started, "finished_at": now_iso(), "sources": [MEMORY_SOURCE],
           "key_fingerprint": loaded_key.fingerprint if loaded_key else None}
    record = AnonymizationResult(run=run, datasets=(AnonymizedDataset.from_json(entry),), tool_version=__version__)
    copy: Any = table if isinstance(frame, pa.Table) else table.to_pandas()
    return copy, record


# --------------------------------------------------------------- anonymize ----


def anonymize(sources: Sequence[str] | str, outdir: str | Path, *, rules: Rules | str | Path | None = None,
              key: Key | bytes | None = None, policy: Policy | str | Path | None = None, target: str | None = None,
              read: ReadOptions | None = None, sample_rows: int = DEFAULT_SAMPLE_ROWS,
              progress: Callable[[str], None] | None = None, spark_master: str | None = None,
              if_exists: str = "fail") -> AnonymizationResult:
    """Write desensitized copies of the sources into ``outdir`` (mirroring paths and formats).

    Writes ``outdir/anonymization.json`` (signed when a key is given) and
    returns it as an ``AnonymizationResult`` whose ``to_json()`` is that file.
    Rules and policy given as paths are recorded in it. ``spark_master``
    runs the column transforms on Spark (Parquet/CSV/JSON(L)); ``progress``
    receives one line per dataset. Tables of database URLs go to ``target``
    under their schema and table names; ``if_exists`` (fail, replace,
    truncate) is what a table already there gets.
    """
    from scanner.writers.sql import IF_EXISTS

    if if_exists not in IF_EXISTS:
        raise ValueError(f"if_exists must be one of {', '.join(IF_EXISTS)}")
    source_list = [sources] if isinstance(sources, str) else list(sources)
    loaded_rules, loaded_key = _rules(rules), _key(key)
    _require_key(loaded_rules, loaded_key)
    loaded_policy, policy_path = _policy(policy)
    rules_path = Path(rules) if isinstance(rules, (str, Path)) else None
    log = progress or (lambda _m: None)
    if spark_master is not None:
        from scanner.spark_anonymize import run_anonymize_spark

        done = run_anonymize_spark(source_list, Path(outdir), loaded_rules, loaded_policy, loaded_key, target, log,
                                   rules_path=rules_path, policy_path=policy_path, sample_rows=sample_rows,
                                   master=spark_master, if_exists=if_exists)
    else:
        from scanner.anonymize.run import run_anonymize

        done = run_anonymize(source_list, Path(outdir), loaded_rules, loaded_policy, loaded_key, target, log,
                             rules_path=rules_path, policy_path=policy_path, sample_rows=sample_rows,
                             read_options=read, if_exists=if_exists)
    return AnonymizationResult.from_json(done.record, path=str(done.path))


def decrypt(sources: Sequence[str] | str, outdir: str | Path, *, key: Key | bytes,
            progress: Callable[[str], None] | None = None) -> AnonymizationResult:
    """Restore the values ``anonymize`` encrypted (op: encrypt) into a new mirror; the decryption.json record."""
    from scanner.anonymize.run import run_decrypt

    loaded = _key(key)
    if loaded is None:
        raise ValueError("decrypt needs the key")
    source_list = [sources] if isinstance(sources, str) else list(sources)
    done = run_decrypt(source_list, Path(outdir), loaded, progress or (lambda _m: None))
    return AnonymizationResult.from_json(done.record, path=str(done.path))


def verify(outdir: str | Path, *, policy: Policy | str | Path | None = None, min_level: int | None = None,
           key: Key | bytes | None = None) -> VerifyResult:
    """Rescan an anonymized copy: which columns still hold clear identifiers (``failures``), and k-anonymity.

    ``min_level`` defaults to 3, or to the policy's ``plaintext_forbidden_level``
    when lower; ``key`` (the run's) authenticates anonymization.json so that
    pseudonymized columns are accepted.
    """
    from scanner.anonymize.verify import verify as verify_outdir

    loaded_policy, _ = _policy(policy)
    if min_level is None:
        min_level = min(3, loaded_policy.defaults.plaintext_forbidden_level) if loaded_policy else 3
    return verify_outdir(Path(outdir), loaded_policy, min_level, _key(key))


def _rules(rules: Rules | str | Path | None) -> Rules:
    from scanner.anonymize.rules import Rules, load_rules

    if rules is None:
        return Rules()
    return load_rules(Path(rules)) if isinstance(rules, (str, Path)) else rules


def _key(key: Key | bytes | None) -> Key | None:
    from scanner.anonymize.keys import parse_key

    return parse_key(key, "key argument") if isinstance(key, bytes) else key


def _require_key(rules: Rules, key: Key | None) -> None:
    if rules.keyed_ops and key is None:
        raise ValueError(f"rules use {', '.join(sorted(rules.keyed_ops))}, which need a key")


# ---- lifecycle: the PI inventory and the audit export (issue 19) ------------------------------------------------

def inventory(findings: Sequence[str | Path] | str | Path, output: str | Path, *,
              policy: str | Path | None = None) -> Inventory:
    """Write the PI inventory (``.xlsx``: inventory, PIA, a sheet per dataset; ``.csv``: the rows) of scans.

    Reads findings.json files (checked as ``report`` checks them) and the
    policy for purpose and retention; returns what was written. Raises
    ``InventoryError`` / ``FindingsError`` / ``PolicyError`` (ValueErrors,
    one line, never a value) for inputs it cannot use.
    """
    from scanner.lifecycle.inventory import load_inventory, write_inventory

    paths = [Path(findings)] if isinstance(findings, (str, Path)) else [Path(p) for p in findings]
    built = load_inventory(paths, Path(policy) if policy is not None else None)
    write_inventory(built, Path(output))
    return built


def audit_export(output: str | Path, *, kind: str | None = None, since: dt.date | None = None,
                 log: AuditLog | str | Path | None = None) -> list[dict[str, Any]]:
    """Write the audit log's records of one kind since a date as ``.csv`` or ``.json`` (by suffix) for a regulator.

    ``kind`` is ``scan``, ``anonymize``, ``destruction`` or ``subject``
    (None: every record); the log is the default one unless given. Returns
    the exported records; ``AuditExportError`` for an unknown kind or suffix.
    A CSV whose records hold more subject hashes than a spreadsheet cell
    takes gets ``<name>.subject_hashes.csv`` beside it (``auditexport``).
    """
    from scanner.config import default_audit_path
    from scanner.lifecycle.auditexport import export_records, read_records

    audit = log if isinstance(log, AuditLog) else AuditLog(Path(log) if log is not None else default_audit_path())
    records = read_records(audit, kind=kind, since=since)
    export_records(records, Path(output))
    return records


# ---- masking views per role (issue 18) --------------------------------------------------------------------------

def mask_views(url: str, policy: Policy | str | Path, *, apply: bool = False, schema_prefix: str = "pw_",
               options: ScanOptions | None = None, progress: Callable[[str], None] | None = None,
               key: Key | bytes | None = None) -> MaskViewsResult:
    """Per-role masking views of a database, from the policy's ``roles:`` (dry run unless ``apply``).

    Scans the database (sample mode unless ``options`` say otherwise), plans
    one schema ``<prefix><role>`` per role with a view per table holding
    personal data, and returns the SQL (``result.script()``): views that mask
    in SQL exactly as ``anonymize`` masks, REVOKE SELECT on the base tables and
    GRANT SELECT on the views. ``apply`` executes it. ``MaskViewsError`` (a
    ValueError, one line) when it cannot run as asked; database failures are in
    ``result.errors``. ``key`` is needed when a role has ``hashed`` entities.
    """
    from scanner.maskviews.run import mask_views as build

    loaded, _ = _policy(policy)
    if loaded is None:
        raise ValueError("mask-views needs a policy with roles")
    return build(url, loaded, apply=apply, schema_prefix=schema_prefix, options=options, progress=progress,
                 key=_key(key))

# ---- data-subject requests (issue 19 item 3) ---------------------------------------------------------------------

Identifiers = Sequence[tuple[str, str]]  # (kind, value) as given: ("mobile", "+86 138-1234-5678")


def subject_find(sources: Sequence[str] | str, identifiers: Identifiers, *, index: str | Path | None = None,
                 key: Key | bytes | None = None, read: ReadOptions | None = None,
                 progress: Callable[[str], None] | None = None) -> FindResult:
    """Every dataset, column and row count holding one person (PIPL Arts. 44-47), never a value.

    Without ``index`` the sources are read: scan detection picks each
    dataset's identifier columns, and only those are streamed and compared
    (normalized like the ``hash`` operator). With ``index`` (a directory
    ``scan --index`` wrote; needs its ``key``) it is a keyed-hash lookup over
    the datasets of the sources. ``IdentifierProblem`` / ``IndexProblem``
    (one line, never a value) for a request or an index that cannot be used.
    """
    from scanner.lifecycle.subject_find import SubjectRequest, find, find_in_index, open_index

    request = SubjectRequest.build(identifiers)
    source_list = [sources] if isinstance(sources, str) else list(sources)
    datasets, failed = resolve_sources(source_list, options=read or DEFAULT_READ_OPTIONS)
    failures = [(mask_source(s), e) for s, e in failed]
    if index is None:
        return find(datasets, request, failed=failures, say=progress)
    loaded = _key(key)
    if loaded is None:
        raise ValueError("a subject index lookup needs the key the index was built with")
    with open_index(Path(index), loaded) as opened:
        return find_in_index(opened, request, datasets, failures)


def _subject_search(sources: Sequence[str] | str, identifiers: Identifiers, read: ReadOptions | None,
                    progress: Callable[[str], None] | None) -> tuple[Any, list[Any], list[tuple[str, str]]]:
    """(request, located datasets, (where, error) failures) for export and erase."""
    from scanner.lifecycle.subject_find import SubjectRequest, search

    request = SubjectRequest.build(identifiers)
    source_list = [sources] if isinstance(sources, str) else list(sources)
    datasets, failed = resolve_sources(source_list, options=read or DEFAULT_READ_OPTIONS)
    located, _searched, errors = search(datasets, request, say=progress)
    return request, located, [(mask_source(s), e) for s, e in failed] + errors


def subject_export(sources: Sequence[str] | str, identifiers: Identifiers, outdir: str | Path, *,
                   key: Key | bytes | None = None, read: ReadOptions | None = None,
                   progress: Callable[[str], None] | None = None) -> ExportResult:
    """Write one person's rows (all columns) and a value-free manifest into ``outdir`` (PIPL Art. 45).

    With ``key`` the rows and the manifest are sealed in one AES-256-GCM
    bundle (``scanner.lifecycle.subject_export.open_bundle`` opens it);
    without, they are one CSV per dataset. The rows are exactly those
    ``subject_find`` counts.
    """
    from scanner.lifecycle.subject_export import export

    request, located, errors = _subject_search(sources, identifiers, read, progress)
    return export(located, Path(outdir), request, _key(key), errors)


def subject_erase(sources: Sequence[str] | str, identifiers: Identifiers, *, mode: str = "delete",
                  apply: bool = False, key: Key | bytes | None = None, operator: str | None = None,
                  log: AuditLog | str | Path | None = None, read: ReadOptions | None = None,
                  progress: Callable[[str], None] | None = None) -> EraseResult:
    """Delete (``mode="delete"``) or anonymize in place (``"anonymize"``) one person's rows (PIPL Art. 47).

    A dry run unless ``apply``: the result says per dataset what would be
    done and nothing is changed. Applied, every dataset changed gets a
    destruction record in the audit log (``log``, else the default one) with
    the request id, the operator (OS user and ``operator``) and the keyed
    hashes (``key``, required to apply) of the identifiers the rows held.
    Deletion goes through ``scanner.lifecycle.removal``; a dataset that
    cannot be changed is left as it was and listed in ``errors``.
    """
    from scanner.config import default_audit_path
    from scanner.lifecycle.subject_erase import Eraser, erase

    loaded = _key(key)
    if apply and loaded is None:
        raise ValueError("erasing needs the key: destruction records keep keyed hashes of the identifiers")
    request, located, errors = _subject_search(sources, identifiers, read, progress)
    audit = log if isinstance(log, AuditLog) else AuditLog(Path(log) if log is not None else default_audit_path())
    eraser = Eraser(request, mode, key=loaded, operator=operator)
    return erase(located, eraser, apply=apply, audit=audit if apply else None, errors=errors)


# ---- lifecycle: retention purge with destruction records (issue 19 item 1) -------------------------------------

def purge(sources: Sequence[str] | str, *, policy: Policy | str | Path, as_of: dt.date | None = None,
          apply: bool = False, archive: str | Path | None = None, key: Key | bytes | None = None,
          operator: str | None = None, audit: AuditLog | None = None, read: ReadOptions | None = None) -> PurgeResult:
    """Delete the rows the ``retention`` rule counts (dry run unless ``apply``), one destruction record each.

    The sources are scanned with the policy; per dataset, exactly the
    retention violation's rows go (a table in one transaction, rolled back
    when the count changed; a file rewritten and verified before it replaces
    the original). ``key`` (needed to apply) keys the subject hashes of the
    destruction records appended to ``audit`` and seals the ``archive``
    (``scanner/lifecycle/purge.py``, ``removal.py``).
    """
    from scanner.lifecycle.purge import run_purge

    return run_purge(purge_plan(sources, policy=policy, as_of=as_of, read=read), apply=apply, key=_key(key), archive=Path(archive) if archive is not None else None,
                     operator=operator, audit=audit)


def purge_plan(sources: Sequence[str] | str, *, policy: Policy | str | Path, as_of: dt.date | None = None,
               read: ReadOptions | None = None) -> PurgePlan:
    """What ``purge`` would delete: the sources scanned with the policy, per dataset the rows past retention.

    ``scanner.lifecycle.purge.run_purge(plan, apply=True, ...)`` carries it
    out; rows that changed in between make that dataset roll back.
    """
    from scanner.lifecycle.purge import plan_purge

    loaded, _path = _policy(policy)
    if loaded is None:
        raise ValueError("purge needs a policy")
    source_list = [sources] if isinstance(sources, str) else list(sources)
    result = scan(source_list, policy=loaded, as_of=as_of or dt.date.today(), read=read)
    return plan_purge(result, source_list, policy=loaded, read=read)


__all__ += ["purge", "purge_plan"]
