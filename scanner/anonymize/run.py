"""Whole runs: ``anonymize`` and ``decrypt`` over SOURCE arguments, with their audit records.

``OUTDIR/anonymization.json`` says which rule was applied to which column,
with counts, the k-anonymity of each output that the policy names
quasi-identifiers for, and the key's fingerprint (never the key), so an
auditor can check a shared copy without the data.

``verify`` accepts the columns the record says were pseudonymized, so the
record is a credential: a run with a key signs it (``mac``: HMAC-SHA256 of
its canonical JSON under a sub-key of the run's key), and only a record whose
MAC verifies under the key given back may whitelist anything.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from scanner import __version__
from scanner.anonymize.engine import DatasetJob, LinkedRule, Log, Outcome, anonymize_job, mirror
from scanner.anonymize.keys import Key
from scanner.anonymize.links import LinkedJobs
from scanner.anonymize.operators.base import RevealError, ReversibleOperator
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import operators
from scanner.anonymize.rules import Rules
from scanner.connectors.base import Dataset, SourceError
from scanner.connectors.common import ReadOptions
from scanner.connectors.urls import mask_source
from scanner.errors import ValueFreeError, error_message
from scanner.findings import now_iso, write_atomic
from scanner.policy.model import Policy
from scanner.sampling import DEFAULT_SAMPLE_ROWS
from scanner.sources import resolve_sources
from scanner.writers.base import BatchOut, remove_stale_temps

RECORD_NAME = "anonymization.json"
DECRYPT_RECORD_NAME = "decryption.json"
RECORD_NAMES = (RECORD_NAME, DECRYPT_RECORD_NAME)
MAC_PURPOSE = "record"  # the HKDF label of the sub-key that signs run records
MAC_PREFIX = "hmac-sha256:"
# Verdicts of ``authenticate``: verified; no key to check with; no MAC; written under another key; changed.
AUTH_OK, AUTH_NO_KEY, AUTH_UNSIGNED, AUTH_OTHER_KEY, AUTH_CHANGED = "ok", "no_key", "unsigned", "other_key", "changed"


class RecordProblem(ValueFreeError):
    """A present run record that is not one piiwarden wrote; one line, never quoting the file's content."""


@dataclass
class RunResult:
    """A finished run: its record and where it was written."""

    record: dict[str, Any]
    path: Path

    @property
    def errors(self) -> list[dict[str, str]]:
        return self.record["errors"]


def record_header(kind: str, sources: list[str], started: str, key: Key | None, **params: Any) -> dict[str, Any]:
    """The start of a run record (anonymize, decrypt), shared with the Spark path so both records read alike."""
    return {
        "schema_version": 1,
        "tool": {"name": "piiwarden", "version": __version__},
        "run": {"kind": kind, "started_at": started, "finished_at": None,
                "sources": [mask_source(s) for s in sources],
                "key_fingerprint": key.fingerprint if key else None, **params},
    }


def custom_entities_record() -> dict[str, Any]:
    """The entities beyond piiwarden's own this run knew, for ``run.custom_entities`` (empty: none).

    Name -> the entities-file block of a YAML entity (None for one defined
    in code or installed as a package). ``verify`` rebuilds the blocks, so a
    copy is rechecked with the custom entities it was anonymized with even
    when the entities file is not at hand; an entity without a block is one
    verify can only name as unchecked when it does not know it.
    """
    from detectors.entities import registry
    from detectors.entities.custom import definitions

    return definitions(registry.added_specs())


def with_custom_entities(record: dict[str, Any]) -> dict[str, Any]:
    """The record with ``run.custom_entities`` when the run had any (plain runs' records stay as they were)."""
    if custom := custom_entities_record():
        record["run"]["custom_entities"] = custom
    return record


def source_datasets(sources: list[str], options: ReadOptions | None = None,
                    log: Log | None = None) -> tuple[list[Dataset], list[dict[str, str]]]:
    """Datasets of the SOURCE arguments, minus our own records if a source is an output dir."""
    skipped: list[tuple[str, str]] = []
    datasets, failed = resolve_sources(sources, options=options, notes=skipped)
    for path, why in skipped:
        if log is not None:
            log(f"note: {path}: {why}")
    errors = [{"source": s, "error": e} for s, e in failed]
    return [d for d in datasets if d.id not in RECORD_NAMES], errors


def run_anonymize(sources: list[str], outdir: Path, rules: Rules, policy: Policy | None, key: Key | None,
                  target: str | None, log: Log, rules_path: Path | None = None,
                  policy_path: Path | None = None, sample_rows: int = DEFAULT_SAMPLE_ROWS,
                  read_options: ReadOptions | None = None, if_exists: str = "fail") -> RunResult:
    """Anonymize every dataset of the sources into OUTDIR (or ``--target``) and write the record.

    ``if_exists`` says what a ``--target`` table already there gets: fail (an error naming it),
    replace (dropped and recreated) or truncate (kept, its rows replaced).
    """
    started = now_iso()
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(outdir)
    datasets, errors = source_datasets(sources, read_options, log)
    ctx = OpContext(key)

    def make_job(ds: Dataset, linked: dict[str, LinkedRule]) -> DatasetJob:
        return anonymize_job(ds, rules, policy, ctx, sample_rows, linked)

    # Referenced tables are planned first: their keys' rules pass on through foreign keys, so joins survive.
    job_for = LinkedJobs(datasets, make_job)
    outcome: Outcome = mirror(datasets, outdir, target, job_for, log, if_exists=if_exists)
    record = record_header("anonymize", sources, started, key, rules=str(rules_path) if rules_path else None,
                           policy=str(policy_path) if policy_path else None,
                           target=mask_source(target) if target else None)
    with_custom_entities(record)
    return _finish(record, outcome, errors, outdir / RECORD_NAME, key)


def _finish(record: dict[str, Any], outcome: Outcome, errors: list[dict[str, str]], path: Path,
            key: Key | None) -> RunResult:
    """Complete a run record with what happened and write it atomically beside the outputs."""
    record["run"]["finished_at"] = now_iso()
    record["datasets"] = outcome.datasets
    record["errors"] = errors + outcome.errors
    write_record(path, record, key)
    return RunResult(record, path)


def _canonical(record: dict[str, Any]) -> bytes:
    """The bytes a MAC covers: every field but ``mac``, sorted keys, ASCII, no whitespace.

    Independent of how the file was indented or re-saved, so only a change of
    content breaks the MAC; ASCII escapes keep lone surrogates of odd column
    names encodable.
    """
    body = {k: v for k, v in record.items() if k != "mac"}
    return json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode("ascii")


def record_mac(record: dict[str, Any], key: Key) -> str:
    """HMAC-SHA256 of the record's canonical content under the key's record sub-key."""
    return MAC_PREFIX + hmac.new(key.derive(MAC_PURPOSE), _canonical(record), hashlib.sha256).hexdigest()


def write_record(path: Path, record: dict[str, Any], key: Key | None) -> None:
    """Write a run record atomically, signed when the run had a key (every keyed operator needs one)."""
    record.pop("mac", None)
    if key is not None:
        record["run"]["key_fingerprint"] = key.fingerprint  # the MAC vouches for the fingerprint it names
        record["mac"] = record_mac(record, key)
    write_atomic(path, json.dumps(record, ensure_ascii=False, indent=2) + "\n")


def authenticate(record: dict[str, Any], key: Key | None) -> str:
    """Whether the record is the one a run under ``key`` wrote: one of the ``AUTH_*`` verdicts.

    The fingerprint is compared first so that the wrong key is told apart from
    a changed record (a different key can never reproduce the MAC either).
    """
    mac = record.get("mac")
    if key is None:
        return AUTH_NO_KEY
    if mac is None:
        return AUTH_UNSIGNED
    used = record["run"].get("key_fingerprint")
    if used and used != key.fingerprint:
        return AUTH_OTHER_KEY
    try:
        expected = record_mac(record, key).encode("ascii")
    except (RecursionError, ValueError):  # nested past what canonical JSON can write: not ours
        return AUTH_CHANGED
    return AUTH_OK if hmac.compare_digest(mac.encode("utf-8", "surrogatepass"), expected) else AUTH_CHANGED


def read_record(outdir: Path, name: str = RECORD_NAME) -> dict[str, Any] | None:
    """An earlier run's record; None when there is none; ``RecordProblem`` when one is there but unusable.

    An absent record is allowed (a copy made by other tools can still be
    verified), but a present one that cannot be read or is not shaped like
    ours must be reported, not silently treated as absent: callers index
    ``run`` and ``datasets[].columns[]`` and the record may grant trust.
    """
    path = outdir / name
    if not path.exists() and not path.is_symlink():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordProblem(f"cannot be read ({type(exc).__name__})") from None
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        raise RecordProblem("is not valid JSON; it is not a piiwarden run record") from None
    if not _well_formed(record):
        raise RecordProblem("is not a piiwarden run record (fields missing or of the wrong type)")
    return record


def _well_formed(record: Any) -> bool:
    """The shape ``anonymize``/``decrypt`` write: run object, datasets and their columns as objects."""
    if not isinstance(record, dict) or not isinstance(record.get("run"), dict):
        return False
    tool = record.get("tool")
    if not isinstance(tool, dict) or tool.get("name") != "piiwarden" or not isinstance(record.get("mac", ""), str):
        return False
    if not isinstance(record["run"].get("key_fingerprint"), (str, type(None))):
        return False
    datasets = record.get("datasets", [])
    if not isinstance(datasets, list) or not all(isinstance(d, dict) for d in datasets):
        return False
    for ds in datasets:
        columns = ds.get("columns", [])
        if not isinstance(columns, list):
            return False
        for col in columns:
            if not isinstance(col, dict) or not isinstance(col.get("name"), str) \
                    or not isinstance(col.get("ops_by_entity", {}), dict):
                return False
    return True


# ---------------------------------------------------------------- decrypt ----


def decrypt_job(ds: Dataset, key: Key, counts: dict[str, dict[str, int]]) -> DatasetJob:
    """Restore every token of every reversible operator (``pwe1:`` …) in the dataset's text columns."""
    ctx = OpContext(key)
    reversible = [op for op in operators() if isinstance(op, ReversibleOperator)]
    mine = counts.setdefault(ds.id, {})

    def transform(batch: pa.RecordBatch) -> BatchOut:
        out = BatchOut(batch)
        for name, column in zip(batch.schema.names, batch.columns):
            if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
                continue
            for operator in reversible:
                column = _reveal_column(operator, name, column, ctx, mine, out)
        return out

    return DatasetJob(transform, lambda: {"columns": [{"name": n, "values_restored": c} for n, c in mine.items()]})


def _reveal_column(operator: ReversibleOperator[Any], name: str, column: pa.Array, ctx: OpContext,
                   restored: dict[str, int], out: BatchOut) -> pa.Array:
    """One column with one operator's tokens turned back (recorded in ``out``); returned for the next one."""
    has = pc.fill_null(pc.match_substring(column, operator.token_marker), False)
    if not pc.any(has).as_py():
        return column
    count = 0
    values = []
    for value, flag in zip(column.to_pylist(), has.to_pylist()):
        if flag:
            try:
                value, n = operator.reveal_text(value, ctx)
            except RevealError as exc:
                raise SourceError(f"column {name}: {error_message(exc)}") from None
            count += n
        values.append(value)
    out.changed[name] = column = pa.array(values, type=column.type)
    restored[name] = restored.get(name, 0) + count
    return column


def run_decrypt(sources: list[str], outdir: Path, key: Key, log: Log) -> RunResult:
    """Decrypt every encrypted value of an anonymized copy into a new mirror (authorized users)."""
    started = now_iso()
    outdir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(outdir)
    datasets, errors = source_datasets(sources)
    counts: dict[str, dict[str, int]] = {}
    outcome = mirror(datasets, outdir, None, lambda ds: decrypt_job(ds, key, counts), log, verb="decrypting")
    record = record_header("decrypt", sources, started, key)
    return _finish(record, outcome, errors, outdir / DECRYPT_RECORD_NAME, key)
