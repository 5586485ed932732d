"""``piiwarden anonymize``, ``verify`` and ``decrypt`` (CONTRACT.md "Commands").

Registered into the main typer app by ``register(app)``. Exit codes follow
``scan``: 0 done, 1 verify found clear identifiers, 2 usage or configuration
error (one line, nothing written), 3 finished but some sources failed.
Console output names datasets, columns, rules and counts, never a value or a
key (the key appears only as its fingerprint).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scanner.cli import common
from scanner.cli.common import (
    ENTITIES_HELP,
    EXIT_FAIL,
    EXIT_OK,
    EXIT_SOURCE_ERRORS,
    OnBadRows,
    check_credentials,
    custom_entities,
    err,
    load_key,
    load_policy,
    load_rules,
    missing_sources,
    out,
    usage_error,
)
from scanner.defaults import DEFAULT_MASTER, DEFAULT_MAX_CELL_BYTES, Engine

if TYPE_CHECKING:
    from scanner.anonymize.keys import Key
    from scanner.model import AnonymizationResult

ON_BAD_ROWS_HELP = ("A row a file reader cannot read (ragged CSV record, invalid JSON line, undecodable bytes, "
                    "a cell over --max-cell-bytes): leave it out of the copy and report it (exit 3), or fail "
                    "the file.")
MAX_CELL_HELP = "Longest cell or line read, in bytes; a longer one is a bad row."
OCR_ANONYMIZE_HELP = ("Documents: redact images and scanned pages by black boxes over the words OCR finds "
                      "(Tesseract); without it images are refused, never copied.")
FOLLOW_HELP = "Follow symlinks (to files and folders) while crawling; without it they are skipped with a note."
IF_EXISTS_HELP = ("A --target table that already exists: fail (an error naming it, the other tables go on), "
                  "replace (drop and recreate it), or truncate (keep it, replace its rows).")


class IfExists(str, Enum):
    """What ``--target`` does with a table already there."""

    FAIL = "fail"
    REPLACE = "replace"  # upper case: ``str.replace`` is taken
    TRUNCATE = "truncate"


def _log(message: str) -> None:
    err.print(message, style="dim", markup=False)


def _check_outdir(sources: list[str], outdir: Path) -> None:
    """Refuse an OUTDIR that would mix outputs with the sources (exit 2, before anything is written).

    Inside (or equal to) a source directory, the copies would be crawled as
    input next time; equal to a source file's folder, the record and the
    copies land among the originals (and a copy may replace its own source);
    above a source directory, a mirrored path may be a source file itself.
    """
    from scanner.sources import is_url

    target = outdir.resolve()
    paths = [p for s in sources if not is_url(s) for p in (glob.glob(s, recursive=True) or [s])]
    for source in paths:
        path = Path(source).resolve()
        if path.is_dir() and (target == path or path in target.parents):
            raise usage_error(f"OUTDIR {outdir} is inside the source directory {source}; choose another OUTDIR")
        if path.is_file() and target == path.parent:
            raise usage_error(f"OUTDIR {outdir} is the folder of the source file {source}; choose another OUTDIR")
        if path.is_dir() and target in path.parents and _mirror_overwrites(path, target):
            raise usage_error(f"OUTDIR {outdir} holds the source directory {source} and its copies would overwrite "
                         "source files; choose another OUTDIR")


def _mirror_overwrites(source_dir: Path, outdir: Path) -> bool:
    """Whether mirroring ``source_dir``'s relative paths under ``outdir`` lands on one of its own files."""
    for current, _dirs, files in os.walk(source_dir):
        for name in files:
            rel = Path(current, name).relative_to(source_dir)
            if (outdir / rel).is_file() and source_dir in (outdir / rel).resolve().parents:
                return True
    return False


def _check_target(target: str) -> None:
    """A parseable URL whose password, if any, comes from the environment (never typed)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(os.path.expandvars(target))
    except (ArgumentError, ValueError):
        raise usage_error("--target is not a database URL (e.g. sqlite:///out.db)") from None
    check_credentials([target], "--target")


def anonymize(
    sources: Annotated[list[str], typer.Argument(help="Files, directories, globs or database URLs.")],
    outdir: Annotated[Path, typer.Option("-o", "--outdir", help="Where the desensitized copies go.")],
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML (quasi-identifiers, k).")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Anonymization rules YAML (CONTRACT.md).")] = None,
    target: Annotated[str | None, typer.Option("--target", help="Database URL for tables of URL sources.")] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help="Key for hash/encrypt/fpe/pseudonym "
                                                  "(else env PIIWARDEN_KEY).")] = None,
    engine: Annotated[Engine, typer.Option("--engine", help="local, or spark: column transforms of "
                                           "Parquet/CSV/JSON(L) on a Spark cluster.")] = Engine.local,
    spark_master: Annotated[str, typer.Option("--spark-master", help="Spark master URL for --engine spark.")]
    = DEFAULT_MASTER,
    on_bad_rows: Annotated[OnBadRows, typer.Option("--on-bad-rows", help=ON_BAD_ROWS_HELP)] = OnBadRows.skip,
    max_cell_bytes: Annotated[int, typer.Option("--max-cell-bytes", min=1, help=MAX_CELL_HELP)]
    = DEFAULT_MAX_CELL_BYTES,
    follow_symlinks: Annotated[bool, typer.Option("--follow-symlinks", help=FOLLOW_HELP)] = False,
    entities: Annotated[Path | None, typer.Option("--entities", help=ENTITIES_HELP)] = None,
    if_exists: Annotated[IfExists, typer.Option("--if-exists", help=IF_EXISTS_HELP)] = IfExists.FAIL,
    ocr: Annotated[bool, typer.Option("--ocr", help=OCR_ANONYMIZE_HELP)] = False,
) -> None:
    """Write desensitized copies of the sources into OUTDIR, mirroring paths and formats."""
    with custom_entities(entities):  # before the rules: a rules file may name a custom entity
        _anonymize(sources, outdir, policy, rules, target, key_file, engine, spark_master,
                   ReadOptionsArgs(on_bad_rows.value, max_cell_bytes, follow_symlinks, ocr), if_exists.value)


@dataclass(frozen=True)
class ReadOptionsArgs:
    """The reader flags, as given."""

    on_bad_rows: str
    max_cell_bytes: int
    follow_symlinks: bool
    ocr: bool = False


def _anonymize(sources: list[str], outdir: Path, policy: Path | None, rules: Path | None, target: str | None,
               key_file: Path | None, engine: Engine, spark_master: str, read: ReadOptionsArgs,
               if_exists: str = "fail") -> None:
    """The anonymize command once its custom entities are registered."""
    from scanner import api
    from scanner.anonymize.operators import MissingKey
    from scanner.connectors.common import ReadOptions

    check_credentials(sources)
    missing_sources(sources)
    loaded_rules = load_rules(rules)
    load_policy(policy)  # a bad policy is a usage error before anything is written
    key = load_key(key_file)
    if loaded_rules.keyed_ops and key is None:
        ops = ", ".join(sorted(loaded_rules.keyed_ops))
        raise usage_error(f"rules use {ops}, which need a key: pass --key-file FILE or set PIIWARDEN_KEY")
    if target is not None:
        _check_target(target)
    _check_outdir(sources, outdir)
    if read.ocr:
        from scanner.documents import tesseract_available

        if not tesseract_available():
            raise usage_error("--ocr needs Tesseract and its Chinese model (apt: tesseract-ocr tesseract-ocr-chi-sim)")
    if engine is Engine.spark and (problem := common.spark_problem()):
        raise usage_error(f"--engine spark: {problem}")
    try:
        result = api.anonymize(sources, outdir, rules=rules, key=key, policy=policy, target=target,
                               read=ReadOptions(on_bad_rows=read.on_bad_rows, max_cell_bytes=read.max_cell_bytes,
                                                follow_symlinks=read.follow_symlinks, ocr=read.ocr),
                               progress=_log, spark_master=spark_master if engine is Engine.spark else None,
                               if_exists=if_exists)
    except MissingKey as exc:
        raise usage_error(str(exc)) from None
    _print_summary(result)
    out.print(f"anonymization record: {result.path}", markup=False)
    _audit_run("anonymize", result, sources, outdir, target)
    raise typer.Exit(EXIT_SOURCE_ERRORS if result.errors else EXIT_OK)


def _audit_run(command: str, result: AnonymizationResult, sources: list[str], outdir: Path,
               target: str | None = None) -> None:
    from scanner import audit

    audit.record_run(command, result.to_json(), sources=sources, outdir=outdir, target=target)


def _print_summary(result: AnonymizationResult) -> None:
    """Per dataset: the rule of each column, values left unchanged in an entity column, k-anonymity."""
    from scanner.anonymize.kanon import describe as describe_k

    for item in result.errors:
        err.print(f"error: {item.source}: {item.error}", markup=False)
    changed = 0
    for ds in result.datasets:
        changed += len(ds.columns)
        desc = ", ".join(f"{c.name} {c.op}" for c in ds.columns) or "nothing sensitive"
        out.print(f"{ds.id}: {desc}", markup=False)
        for col in ds.columns:
            reasons_by = col.stats.get("unchanged_reasons")
            if reasons_by and col.entity:
                reasons = ", ".join(f"{k} {v}" for k, v in reasons_by.items())
                err.print(f"WARNING {ds.id}: {col.name}: {col.stats['values_unchanged']} non-empty values left "
                          f"as they were in a {col.entity} column ({reasons})", markup=False)
        if ds.k_anonymity:
            line = describe_k(ds.id or "", dict(ds.k_anonymity))
            (err if line.startswith("WARNING") else out).print(line, markup=False)
    fingerprint = result.run.get("key_fingerprint")
    out.print(f"{len(result.datasets)} datasets, {changed} columns anonymized, {len(result.errors)} errors"
              + (f", key {fingerprint}" if fingerprint else ""), markup=False)


def verify(
    outdir: Annotated[Path, typer.Argument(help="An OUTDIR written by `piiwarden anonymize`.")],
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy YAML: recompute k-anonymity.")] = None,
    min_level: Annotated[int | None, typer.Option("--min-level", min=1, max=4,
                                                  help="Fail on clear values of this level and above (default 3, "
                                                       "or the policy's plaintext_forbidden_level when lower; "
                                                       "2 also fails on names and e-mails, else warnings).")]
    = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help="The key used by anonymize (else env "
                                                  "PIIWARDEN_KEY): authenticates anonymization.json, without "
                                                  "which pseudonymized/FPE'd columns are not accepted.")] = None,
    entities: Annotated[Path | None, typer.Option("--entities", help=ENTITIES_HELP + " Without it, those the "
                                                  "anonymize run recorded in anonymization.json.")] = None,
) -> None:
    """Rescan an anonymized copy; exit 1 if a level >= 3 column still holds real identifiers."""
    if not outdir.is_dir():
        raise usage_error(f"no such directory: {outdir}")
    with custom_entities(entities):  # before the policy: it may name a custom entity
        _verify(outdir, policy, min_level, key_file)


def _verify(outdir: Path, policy: Path | None, min_level: int | None, key_file: Path | None) -> None:
    """The verify command once its custom entities are registered."""
    from scanner import api, audit
    from scanner.anonymize.kanon import describe as describe_k

    result = api.verify(outdir, policy=load_policy(policy), min_level=min_level, key=load_key(key_file))
    for item in result.errors:
        err.print(f"error: {item['source']}: {item['error']}", markup=False)
    if result.recorded_entities:
        err.print(f"note: {outdir}: checked for the custom entities anonymize recorded in anonymization.json: "
                  f"{', '.join(result.recorded_entities)}", markup=False)
    for note in result.notes:
        err.print(f"WARNING {outdir}: {note}", markup=False)
    for f in result.failures:
        out.print(f"FAIL {f['dataset']}: {f['column']}: {f['values']} values validate as {f['entity']}", markup=False)
    for w in result.warnings:
        err.print(f"WARNING {w['dataset']}: {w['column']}: {w['values']} values still look like {w['entity']} "
                  f"(level {w['level']}; --min-level {w['level']} makes this a failure)",
                  markup=False)
    for a in result.accepted:
        out.print(f"ok   {a['dataset']}: {a['column']}: pseudonymized (well-formed {a['entity']} surrogates)",
                  markup=False)
    for ds_id, k in result.k_anonymity.items():
        line = describe_k(ds_id, k)
        (err if line.startswith("WARNING") else out).print(line, markup=False)
    verdict = "FAILED" if result.failures else "passed"
    out.print(f"verify {verdict}: {result.datasets} datasets, {len(result.failures)} columns with clear "
              f"identifiers, {len(result.warnings)} warnings, {len(result.errors)} errors", markup=False)
    audit.record_verify(outdir, result)
    if result.failures:
        raise typer.Exit(EXIT_FAIL)
    raise typer.Exit(EXIT_SOURCE_ERRORS if result.errors else EXIT_OK)


def decrypt(
    sources: Annotated[list[str], typer.Argument(help="An anonymized OUTDIR, or files inside it.")],
    outdir: Annotated[Path, typer.Option("-o", "--outdir", help="Where the restored copies go.")],
    key_file: Annotated[Path | None, typer.Option("--key-file", help="The key used by anonymize "
                                                  "(else env PIIWARDEN_KEY).")] = None,
) -> None:
    """Restore the values that `anonymize` encrypted (op: encrypt), for holders of the key."""
    from scanner import api

    missing_sources(sources)
    key = load_key(key_file)
    if key is None:
        raise usage_error("decrypt needs the key: pass --key-file FILE or set PIIWARDEN_KEY")
    for source in sources:
        _check_record(Path(source), key)
    _check_outdir(sources, outdir)
    result = api.decrypt(sources, outdir, key=key, progress=_log)
    for item in result.errors:
        err.print(f"error: {item.source}: {item.error}", markup=False)
    restored = sum(c.stats.get("values_restored", 0) for c in result.columns())
    out.print(f"{len(result.datasets)} datasets, {restored} values decrypted; record: {result.path}", markup=False)
    _audit_run("decrypt", result, sources, outdir)
    raise typer.Exit(EXIT_SOURCE_ERRORS if result.errors else EXIT_OK)


def _check_record(source: Path, key: Key) -> None:
    """Refuse (exit 2) a source folder whose anonymization.json is not ours, is for another key, or was changed.

    An absent record is fine (decrypting files of a copy moved elsewhere); an
    unsigned one (written before records were signed) is checked by fingerprint only.
    """
    from scanner.anonymize.run import AUTH_CHANGED, RECORD_NAME, RecordProblem, authenticate, read_record

    if not source.is_dir():
        return
    path = source / RECORD_NAME
    try:
        record = read_record(source)
    except RecordProblem as exc:
        raise usage_error(f"{path} {exc}") from None
    if record is None:
        return
    used = record["run"].get("key_fingerprint")
    if used and used != key.fingerprint:
        raise usage_error(f"this key ({key.fingerprint}) is not the one that wrote {source} ({used})")
    if authenticate(record, key) == AUTH_CHANGED:
        raise usage_error(f"{path} is not authenticated: its MAC does not match: the record was changed")


def register(app: typer.Typer) -> None:
    """Add the anonymization commands to the main ``piiwarden`` app."""
    app.command("anonymize")(anonymize)
    app.command("verify")(verify)
    app.command("decrypt")(decrypt)

