"""``piiwarden verify OUTDIR``: rescan an anonymized copy with the scan pipeline.

Every row is profiled (no sampling: a copy is only safe if all of it is).
A column fails when the detectors still grade it as holding an entity of
level >= 3 whose values validate as real identifiers. Columns that
anonymization.json records as pseudonymized are reported but accepted: their
surrogates are well-formed by design (a valid-checksum ID, a Luhn-valid
card). With a policy, the k-anonymity of the copy on each dataset's
quasi-identifiers is recomputed and printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detectors.taxonomy import level_of
from scanner.anonymize.kanon import KAnonymity
from scanner.anonymize.run import RECORD_NAMES, read_record
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.policy.model import Policy
from scanner.sources import resolve_sources

MIN_LEVEL = 3


@dataclass
class VerifyResult:
    """Failures (dataset, column, entity, values), accepted pseudonym columns, errors, k-anonymity."""

    failures: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    k_anonymity: dict[str, dict[str, Any]] = field(default_factory=dict)
    datasets: int = 0


def _pseudonymized(record: dict[str, Any] | None) -> set[tuple[str, str, str]]:
    """(output dataset, column, entity) whose values anonymize replaced with pseudonyms."""
    if not record:
        return set()
    return {(ds.get("output_id"), col["name"], entity) for ds in record.get("datasets", [])
            for col in ds.get("columns", []) for entity, op in col.get("ops_by_entity", {}).items()
            if op == "pseudonym"}


def verify(outdir: Path, policy: Policy | None) -> VerifyResult:
    """Rescan every dataset under OUTDIR and judge its columns."""
    result = VerifyResult()
    accepted = _pseudonymized(read_record(outdir))
    datasets, failed = resolve_sources([str(outdir)])
    result.errors.extend({"source": s, "error": e} for s, e in failed)
    for ds in datasets:
        if ds.id in RECORD_NAMES:
            continue
        result.datasets += 1
        scanned = scan_dataset(ds, ScanOptions(full=True))
        for message in scanned.errors:
            result.errors.append({"source": ds.id, "error": message})
        for col in scanned.columns:
            clear = [e for e in col["entities"] if level_of(e["entity"]) >= MIN_LEVEL and e["matches"] > 0]
            if not clear:
                continue
            for found in clear:
                item = {"dataset": ds.id, "column": col["name"], "entity": found["entity"],
                        "values": found["matches"]}
                ok = (ds.id, col["name"], found["entity"]) in accepted
                (result.accepted if ok else result.failures).append(item)
        entry = policy.entry_for(ds.id) if policy else None
        if entry and entry.quasi_identifiers:
            kanon = KAnonymity(entry.quasi_identifiers, entry.k_threshold)
            for batch in ds.batches():
                kanon.update(batch)
            result.k_anonymity[ds.id] = kanon.result()
    return result
