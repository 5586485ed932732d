"""``piiwarden verify OUTDIR``: rescan an anonymized copy with the scan pipeline.

Every row is profiled (no sampling: a copy is only safe if all of it is).
A column fails when the detectors still grade it as holding an entity of
level >= 3 whose values validate as real identifiers. Columns that
anonymization.json records as pseudonymized (or FPE'd) are reported but accepted: their
surrogates are well-formed by design (a valid-checksum ID, a Luhn-valid
card). That whitelist is only taken from a record whose MAC verifies under
the run's key (given to verify): anyone can edit a JSON file, and an edited
op must not let clear IDs pass. A present record that is not ours is an
error; an absent one is allowed. With a policy, the k-anonymity of the copy on each dataset's
quasi-identifiers is recomputed and printed.

The detectors only see an identifier in the shapes they were written for,
so each structured column anonymize recorded as an entity (or that the
rescan classifies) is also checked cell by cell in every shape anonymize
itself accepts (``shapes.clear_in_cell``: NFKC, labels, separators, +86):
a spaced or full-width ID left in clear fails here even if the detectors
miss it. Entities below ``min_level`` (names, e-mails: level 2) are
reported as warnings with counts, failures only with ``--min-level 2``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors.classify import shared_recognizers
from detectors.entities import registry as entity_registry
from detectors.entities.custom import EntitiesFileError, specs_from_definitions
from detectors.freetext import NAME, find_spans, name_candidates
from detectors.shapes import INVISIBLE_RE2
from detectors.taxonomy import level_of
from scanner.anonymize import run as records
from scanner.anonymize.kanon import KAnonymity
from scanner.anonymize.keys import Key
from scanner.anonymize.operators.registry import find as find_operator
from scanner.anonymize.run import RECORD_NAME, RECORD_NAMES, RecordProblem, read_record
from scanner.anonymize.shapes import WHOLE_CELL, clear_in_cell, holds_entity_cells
from scanner.errors import error_message
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.policy.model import Policy
from scanner.sources import resolve_sources

MIN_LEVEL = 3
WARN_LEVEL = 2  # below min_level but still personal: reported as a warning with counts
# Digits a value of the entity holds at least (full-width ones count): fewer cannot validate, no Python needed.
# Distinct texts per column read for name residue (names need the analyzer, one text at a time).
NAME_TEXT_CAP = 2000
MIN_DIGITS = {spec.name: spec.min_digits for spec in entity_registry.all_specs() if spec.min_digits}
# Entities whose digits stand together (separators aside): a candidate needs such a run, which
# keeps hex hashes and masked values away from the per-value check.
DIGIT_RUNS = entity_registry.RoleSet(lambda spec: spec.digit_run)


@dataclass
class VerifyResult:
    """Failures (dataset, column, entity, values), accepted pseudonym columns, errors, k-anonymity."""

    failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was not checked or not accepted, and why
    # Custom entities rebuilt from anonymization.json (the run's, not given to verify) and checked with.
    recorded_entities: list[str] = field(default_factory=list)
    k_anonymity: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasets: int = 0


def _pseudonymized(record: dict[str, Any] | None) -> set[tuple[str, str, str]]:
    """(output dataset, column, entity) whose values anonymize replaced with pseudonyms."""
    if not record:
        return set()
    return {(ds.get("output_id"), col["name"], entity) for ds in record.get("datasets", [])
            for col in ds.get("columns", []) for entity, op in col.get("ops_by_entity", {}).items()
            if _makes_surrogates(op)}


def _makes_surrogates(op: object) -> bool:
    """Whether a recorded op name is an operator whose output is a well-formed value of the entity by design.

    (fpe keeps length and character classes, so an FPE'd mobile is as
    valid-looking as a pseudonym.) A name no operator is registered under
    makes nothing acceptable.
    """
    operator = find_operator(op)
    return operator is not None and operator.surrogate


def _drops_column(op: object) -> bool:
    """Whether a recorded op name is an operator that leaves its column out of the output."""
    operator = find_operator(op)
    return operator is not None and operator.drops_column


def _recorded_entities(record: dict[str, Any] | None) -> dict[tuple[str, str], str]:
    """(output dataset, column) -> entity of the structured columns anonymize transformed."""
    if not record:
        return {}
    return {(ds.get("output_id"), col["name"]): col["entity"] for ds in record.get("datasets", [])
            for col in ds.get("columns", []) if col.get("entity") and not col.get("free_text")
            and not _drops_column(col.get("rule", {}).get("op"))}


def _candidates(entity: str, values: pa.Array) -> pa.Array:
    """Distinct non-empty cells that could hold the entity (a masked ID has too few digits to)."""
    values = pc.drop_null(values)
    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    need = MIN_DIGITS.get(entity)
    if need and entity in DIGIT_RUNS:
        between = r"\s\-.()（）/·" + INVISIBLE_RE2[1:-1]  # invisible characters hide no digit (detectors/shapes.py)
        run = rf"(?:\p{{Nd}}[{between}]*){{{need - 1}}}\p{{Nd}}"
        values = values.filter(pc.fill_null(pc.match_substring_regex(values, run), False))
    elif need:
        digits = pc.utf8_length(pc.replace_substring_regex(values, r"[^\p{Nd}]+", ""))
        values = values.filter(pc.greater_equal(digits, need))
    return pc.unique(values)


def clear_cells(entity: str, column: pa.Array | pa.ChunkedArray) -> int:
    """How many cells of an anonymized column still hold the entity in clear, in any accepted shape."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        column = pc.list_flatten(column)
    try:
        distinct = _candidates(entity, column)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return 0
    canonical = _canonical_clear(entity, distinct)
    rest = distinct.filter(pc.invert(pa.array(canonical))) if canonical is not None else distinct
    clear = [v for v in rest.to_pylist() if v and clear_in_cell(entity, v)]
    if canonical is not None:
        clear += distinct.filter(pa.array(canonical)).to_pylist()
    if not clear:
        return 0
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    return int(np.asarray(pc.fill_null(pc.is_in(text, value_set=pa.array(clear, pa.string())), False)).sum())


def _canonical_clear(entity: str, distinct: pa.Array) -> np.ndarray | None:
    """Cells already in the canonical shape that validate, vectorized (the common case of a clear column).

    ``clear_in_cell`` would say the same of them (its first form is the cell
    as written); only the other cells need it. None for entities without a
    recognizer or whose every cell is judged whole.
    """
    recognizer = _recognizer(entity)
    if recognizer is None or entity in WHOLE_CELL or not len(distinct):
        return None
    shaped = pc.fill_null(pc.match_substring_regex(distinct, recognizer.cell_regex(True)), False)
    unmasked = pc.invert(pc.fill_null(pc.match_substring_regex(distinct, r"[*＊•●]{3}"), False))
    plain = pc.and_(pc.and_(shaped, unmasked), pc.equal(distinct, pc.utf8_trim_whitespace(distinct)))
    out = np.zeros(len(distinct), dtype=bool)
    where = np.flatnonzero(np.asarray(plain))
    if len(where):
        out[where] = recognizer.validate_array(distinct.take(pa.array(where)))
    return out


def _recognizer(entity: str) -> Any:
    for recognizer in shared_recognizers():
        if getattr(recognizer, "ENTITY", None) == entity:
            return recognizer
    return None


def _shape_entities(ds_id: str, columns: list[dict[str, Any]], recorded: dict[tuple[str, str], str],
                    min_level: int) -> dict[str, list[str]]:
    """Column -> entities to check cell by cell: what anonymize recorded and what the rescan classifies.

    Both, not one or the other: a record written without a key is not
    authenticated, and an edit of a column's ``entity`` in it (an ID column
    relabelled as e-mail) must not weaken the check of what the rescan sees.
    """
    out: dict[str, list[str]] = {}
    for col in columns:
        entities = [recorded.get((ds_id, col["name"]))]
        if holds_entity_cells(col["name"], col.get("primary_entity"), bool(col.get("free_text"))):
            entities.append(col.get("primary_entity"))
        kept = [e for e in dict.fromkeys(entities) if e and level_of(e) >= min(min_level, WARN_LEVEL)]
        if kept:
            out[col["name"]] = kept
    return out


NOT_AUTHENTICATED = {
    records.AUTH_NO_KEY: "anonymization.json is not authenticated: pass the run's --key-file to accept "
                         "pseudonymized columns",
    records.AUTH_UNSIGNED: "anonymization.json is not authenticated: it carries no MAC, so its pseudonymized "
                           "columns are not accepted",
    records.AUTH_OTHER_KEY: "anonymization.json is not authenticated: it was written under another key than "
                            "the one given, so its pseudonymized columns are not accepted",
}
CHANGED = "is not authenticated: its MAC does not match: the record was changed"


def _load_record(outdir: Path, result: VerifyResult) -> dict[str, Any] | None:
    """The record, or None (absent, or present but not ours, which is an error naming the file)."""
    try:
        return read_record(outdir)
    except RecordProblem as exc:
        result.errors.append({"source": str(outdir / RECORD_NAME), "error": error_message(exc)})
        return None


def _accepted(record: dict[str, Any] | None, key: Key | None, path: Path,
              result: VerifyResult) -> set[tuple[str, str, str]]:
    """The surrogate columns to accept: those of a record authenticated under ``key``, else none.

    A MAC that does not match is an error (the record was changed after the
    run); a record that cannot be checked only costs its whitelist, with a
    note when it claims one.
    """
    claimed = _pseudonymized(record)
    if record is None:
        return set()
    verdict = records.authenticate(record, key)
    if verdict == records.AUTH_OK:
        return claimed
    if verdict == records.AUTH_CHANGED:
        result.errors.append({"source": str(path), "error": CHANGED})
    elif claimed:
        result.notes.append(NOT_AUTHENTICATED[verdict])
    return set()


@contextlib.contextmanager
def _run_entities(record: dict[str, Any] | None, path: Path, result: VerifyResult) -> Iterator[list[str]]:
    """The custom entities anonymize recorded, registered for the check when verify does not know them.

    A copy is only as clean as the entities it is checked for: rescanned
    without the run's custom entities, a customer number left in clear would
    pass. Entities already known (``--entities``, installed packages) are
    used as they are, with a note when the run defined one otherwise; those
    the record names without a definition (entities from code) and verify
    does not know are yielded, to be named as not checked. A recorded
    definition only adds checks, so it is used from an unauthenticated record too.
    """
    recorded = record["run"].get("custom_entities") if record else None
    if not recorded:
        yield []
        return
    if not isinstance(recorded, dict):
        result.errors.append({"source": str(path), "error": "run.custom_entities is not a mapping of entities"})
        yield []
        return
    rebuild: dict[str, Any] = {}
    unknown: list[str] = []
    differ: list[str] = []
    for name, block in recorded.items():
        current = entity_registry.find(name)
        if current is not None:
            if isinstance(block, dict) and current.definition is not None and json.loads(current.definition) != block:
                differ.append(name)
        elif block is None:
            unknown.append(name)
        else:
            rebuild[name] = block
    try:
        specs = specs_from_definitions(rebuild, "run.custom_entities") if rebuild else []
    except EntitiesFileError as exc:
        result.errors.append({"source": str(path), "error": f"a recorded custom entity cannot be rebuilt: {exc}"})
        specs, unknown = [], unknown + list(rebuild)
    if differ:
        result.notes.append(f"--entities defines {', '.join(differ)} otherwise than the anonymize run did "
                            "(anonymization.json): checked with the --entities definition")
    result.recorded_entities = [spec.name for spec in specs]
    with entity_registry.scoped(specs):
        yield unknown


def verify(outdir: Path, policy: Policy | None, min_level: int = MIN_LEVEL, key: Key | None = None) -> VerifyResult:
    """Rescan every dataset under OUTDIR and judge its columns (``key``: the run's, to trust its record).

    The custom entities registered by the caller (``--entities``) and those
    the run recorded in anonymization.json are both checked for.
    """
    result = VerifyResult()
    record = _load_record(outdir, result)
    with _run_entities(record, outdir / RECORD_NAME, result) as unknown:
        _verify(outdir, record, policy, min_level, key, result, unknown)
    return result


def _verify(outdir: Path, record: dict[str, Any] | None, policy: Policy | None, min_level: int, key: Key | None,
            result: VerifyResult, unknown: list[str]) -> None:
    """``verify`` once the run's custom entities are registered (``unknown``: recorded ones that are not)."""
    accepted = _accepted(record, key, outdir / RECORD_NAME, result)
    recorded = _recorded_entities(record)
    # A record from before run.custom_entities (or edited) may name columns' entities verify does not know.
    unknown = list(dict.fromkeys([*unknown, *(e for e in recorded.values()
                                                    if isinstance(e, str) and entity_registry.find(e) is None)]))
    if unknown:
        result.notes.append(f"anonymize used entities verify does not know: {', '.join(unknown)}; their values "
                            "are not checked (pass the run's --entities FILE, or install the package that "
                            "defines them)")
    recorded = {k: e for k, e in recorded.items() if isinstance(e, str) and e not in unknown}
    datasets, failed = resolve_sources([str(outdir)])
    result.errors.extend({"source": s, "error": e} for s, e in failed)
    for ds in datasets:
        if ds.id in RECORD_NAMES:
            continue
        result.datasets += 1
        scanned = scan_dataset(ds, ScanOptions(full=True))
        for message in scanned.errors:
            result.errors.append({"source": ds.id, "error": message})
        found: dict[tuple[str, str], dict[str, Any]] = {}
        columns = [c.to_json() for c in scanned.columns]
        for col in columns:
            for hit in col["entities"]:
                if level_of(hit["entity"]) >= WARN_LEVEL and hit["matches"] > 0:
                    found[(col["name"], hit["entity"])] = {"dataset": ds.id, "column": col["name"],
                                                           "entity": hit["entity"], "values": hit["matches"]}
        shaped = _shape_entities(ds.id, columns, recorded, min_level)
        texts = [c["name"] for c in columns if c["name"] not in shaped and (c["name"], NAME) not in found]
        entry = policy.entry_for(ds.id) if policy else None
        kanon = KAnonymity(entry.quasi_identifiers, entry.k_threshold) if entry and entry.quasi_identifiers else None
        if shaped or texts or kanon is not None:
            try:
                _check_batches(ds, shaped, texts, kanon, found)
            except Exception as exc:  # noqa: BLE001 - one unreadable output must not stop the check
                result.errors.append({"source": ds.id, "error": f"cannot re-read for the shape check "
                                                                f"({type(exc).__name__})"})
        for (column, entity), item in found.items():
            item["level"] = level_of(entity)  # read now: a custom entity of the record is unregistered after
            if (ds.id, column, entity) in accepted:
                result.accepted.append(item)
            elif item["level"] >= min_level:
                result.failures.append(item)
            else:
                result.warnings.append(item)
        if kanon is not None:
            result.k_anonymity[ds.id] = kanon.result()


def _check_batches(ds: Any, shaped: dict[str, list[str]], texts: list[str], kanon: KAnonymity | None,
                   found: dict[tuple[str, str], dict[str, Any]]) -> None:
    """One pass over a dataset: clear cells per shaped column and entity (kept if above the rescan's
    count), name residue in the other text columns, k-anonymity."""
    counts = {(name, entity): 0 for name, entities in shaped.items() for entity in entities}
    names = {name: _NameResidue() for name in texts}
    for batch in ds.batches():
        for name, entity in counts:
            if name in batch.schema.names:
                counts[(name, entity)] += clear_cells(entity, batch.column(name))
        for name, residue in names.items():
            if name in batch.schema.names:
                residue.update(batch.column(name))
        if kanon is not None:
            kanon.update(batch)
    for (name, entity), n in counts.items():  # the cell check normalizes like anonymize: it has the last word
        if n:
            found[(name, entity)] = {"dataset": ds.id, "column": name, "entity": entity, "values": n}
        else:
            found.pop((name, entity), None)
    for name, residue in names.items():
        if residue.cells:
            found[(name, NAME)] = {"dataset": ds.id, "column": name, "entity": NAME, "values": residue.cells}


class _NameResidue:
    """Cells of a text column in which the free-text recognizers still find a person name.

    The column verdict of a scan wants names in a good share of the texts;
    an anonymized copy must not hold a single one, so here every span
    counts. Names need the analyzer text by text, hence ``NAME_TEXT_CAP``
    distinct texts per column (the count is then a lower bound).
    """

    def __init__(self) -> None:
        self.cells = 0
        self.seen = 0
        self.recognizers: list[Any] | None = None

    def update(self, column: pa.Array | pa.ChunkedArray) -> None:
        if self.seen >= NAME_TEXT_CAP:
            return
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return
        values = pc.drop_null(column.cast(pa.string()))
        candidates = values.filter(pa.array(name_candidates(values)))
        if not len(candidates):
            return
        encoded = pc.dictionary_encode(candidates)
        distinct = encoded.dictionary.slice(0, NAME_TEXT_CAP - self.seen)
        self.seen += len(distinct)
        if self.recognizers is None:
            self.recognizers = shared_recognizers()
        spans = find_spans(self.recognizers, distinct)
        has = np.array([any(e == NAME for e, *_ in found) for found in spans] + [False], dtype=bool)
        index = encoded.indices.to_numpy(zero_copy_only=False)
        self.cells += int(has[np.minimum(index, len(distinct))].sum())
