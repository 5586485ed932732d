"""The typed results of a scan and of an anonymization run.

Why a model: findings used to travel as dicts already shaped like
findings.json, so every consumer indexed strings and a typo was a KeyError
at run time. These frozen dataclasses are what the library API returns and
what the pipeline, the policy counts and the CLI pass around; JSON exists
only at the edges, through ``to_json()`` / ``from_json()``.

``to_json()`` reproduces findings.json and anonymization.json byte for byte
(same keys, same order, optional keys omitted exactly when they were), so
``ScanResult.to_json()`` *is* the findings document. A column's finding is
detection's own output, so its types live in ``detectors/finding.py`` (the
detection wing imports nothing from ``scanner``) and are re-exported here;
otherwise this module imports nothing from the project, so connectors,
policy and reports can all depend on it without a cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from detectors.finding import CellCounts, ColumnEvidence, ColumnFinding, EntityEvidence

__all__ = [
    "AnonymizationResult", "AnonymizedColumn", "AnonymizedDataset", "CellCounts", "ColumnEvidence", "ColumnFinding",
    "DatasetInfo", "DatasetResult", "EntityEvidence", "Grant", "IncrementalSummary", "PolicyCheck", "ScanInfo",
    "ScanParameters", "ScanResult", "Skipped", "SourceError", "Violation",
]

JsonObject = dict[str, Any]

SCHEMA_VERSION = 1
TOOL_NAME = "piiwarden"


# ------------------------------------------------------------------- policy ----


@dataclass(frozen=True)
class PolicyCheck:
    """An exact full-pass count for ``retention`` or ``minor_data`` (counts only, never values).

    ``params`` are what the rule was judged against (``max_age_days`` and
    ``cutoff``, or ``minor_age`` and ``born_after``); ``hits`` is written
    under ``hits_key``, the name the rule class gives it (``over_limit``,
    ``minors``): this module imports no rule, so the key travels with the check.
    """

    rule: str
    column: str
    params: Mapping[str, Any] = field(default_factory=dict)
    status: str = "ok"
    rows: int = 0
    hits: int = 0
    missing: int = 0
    unparseable: int = 0
    entity: str | None = None
    hits_key: str = "hits"

    def to_json(self) -> JsonObject:
        return {
            "rule": self.rule,
            "column": self.column,
            **({"entity": self.entity} if self.entity else {}),
            **self.params,
            "status": self.status,
            "rows": self.rows,
            self.hits_key: self.hits,
            "missing": self.missing,
            "unparseable": self.unparseable,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicyCheck:
        """Read a check back; its hits key is found where ``to_json`` writes it, right after ``rows``."""
        fixed = {"rule", "column", "entity", "status", "rows", "missing", "unparseable"}
        hits_key = _key_after(data, "rows", exclude=fixed) or "hits"
        return cls(rule=data["rule"], column=data["column"],
                   params={k: v for k, v in data.items() if k not in fixed and k != hits_key},
                   status=data.get("status", "ok"), rows=data.get("rows", 0), hits=data.get(hits_key, 0),
                   missing=data.get("missing", 0), unparseable=data.get("unparseable", 0),
                   entity=data.get("entity"), hits_key=hits_key)


def _key_after(data: Mapping[str, Any], key: str, exclude: set[str]) -> str | None:
    """The key that follows ``key`` in ``data``'s order, unless it is one of ``exclude`` (or there is none)."""
    keys = list(data)
    if key not in keys:
        return None
    at = keys.index(key) + 1
    return keys[at] if at < len(keys) and keys[at] not in exclude else None


@dataclass(frozen=True)
class Grant:
    """A role or account that may SELECT a database table (``PUBLIC`` for everyone)."""

    grantee: str

    def to_json(self) -> str:
        return self.grantee

    @classmethod
    def from_json(cls, data: str) -> Grant:
        return cls(str(data))


@dataclass(frozen=True)
class Violation:
    """A policy rule broken by a dataset (or one of its columns), in English and Chinese."""

    rule: str
    severity: str
    dataset: str
    column: str | None = None
    count: int | None = None
    message: str | None = None
    message_zh: str | None = None
    remediation: str | None = None
    remediation_zh: str | None = None
    reference: str | None = None
    unparseable: int | None = None  # retention / minor_data: values that could not be judged
    grantees: list[str] | None = None  # access_grant: who may read the table but should not
    # Further facts a rule adds (kept in its order, after the fields above): a new rule needs no edit here.
    details: Mapping[str, Any] = field(default_factory=dict)

    _OPTIONAL = ("message", "message_zh", "remediation", "remediation_zh", "reference", "unparseable", "grantees")

    def to_json(self) -> JsonObject:
        out: JsonObject = {"rule": self.rule, "severity": self.severity, "dataset": self.dataset,
                           "column": self.column, "count": self.count}
        for name in self._OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out.update(self.details)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Violation:
        known = {"rule", "severity", "dataset", "column", "count", *cls._OPTIONAL}
        return cls(rule=data["rule"], severity=data["severity"], dataset=data["dataset"],
                   column=data.get("column"), count=data.get("count"),
                   details={k: v for k, v in data.items() if k not in known},
                   **{name: data.get(name) for name in cls._OPTIONAL})


# ----------------------------------------------------------------- datasets ----


@dataclass(frozen=True)
class SourceError:
    """A source (or a dataset of one) that could not be read: where, and one value-free line.

    ``dataset`` is named by anonymization records (one source, many outputs); findings.json leaves it out.
    """

    source: str
    error: str
    dataset: str | None = None

    def to_json(self) -> JsonObject:
        if self.dataset is None:
            return {"source": self.source, "error": self.error}
        return {"source": self.source, "dataset": self.dataset, "error": self.error}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SourceError:
        return cls(source=data["source"], error=data["error"], dataset=data.get("dataset"))


@dataclass(frozen=True)
class DatasetInfo:
    """Which dataset: its id, the (password-masked) source it came from, and its format."""

    id: str
    source: str
    format: str


@dataclass(frozen=True)
class DatasetResult:
    """One dataset's findings, or the error lines that stopped it.

    ``policy_checks`` and ``grants`` stay None until the policy stage sets
    them (``dataclasses.replace``); None means "not applicable" and is left
    out of findings.json, as before.
    """

    info: DatasetInfo
    rows: int | None = None
    rows_scanned: int = 0
    columns: list[ColumnFinding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reused_from: str | None = None
    policy_checks: list[PolicyCheck] | None = None
    grants: list[Grant] | None = None
    # distinct people in the identifier columns of the rows read (scanner/lifecycle/subjects.py); None: none
    subjects_estimate: int | None = None
    # documents: entity -> [{"kind": "page", "index": 3, "count": 2}] (counts, never values), and the
    # images / image-only pages / members that were not read (the auditor's blind spots)
    locations: dict[str, list[dict[str, Any]]] | None = None
    not_read: list[dict[str, Any]] | None = None

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    @property
    def max_level(self) -> int:
        return max((c.level for c in self.columns), default=0)

    def sensitive_columns(self) -> list[ColumnFinding]:
        return [c for c in self.columns if c.sensitive]

    def column(self, name: str) -> ColumnFinding | None:
        return next((c for c in self.columns if c.name == name), None)

    def to_json(self) -> JsonObject:
        """The dataset's entry in findings.json."""
        out: JsonObject = {
            "id": self.info.id,
            "source": self.info.source,
            "format": self.info.format,
            "rows": self.rows,
            "rows_scanned": self.rows_scanned,
            "columns": [c.to_json() for c in self.columns],
            "errors": list(self.errors),
        }
        if self.reused_from is not None:
            out["reused_from"] = self.reused_from
        if self.policy_checks is not None:
            out["policy_checks"] = [c.to_json() for c in self.policy_checks]
        if self.grants is not None:
            out["grants"] = [g.to_json() for g in self.grants]
        if self.subjects_estimate is not None:
            out["subjects_estimate"] = self.subjects_estimate
        if self.locations is not None:
            out["locations"] = self.locations
        if self.not_read is not None:
            out["not_read"] = self.not_read
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DatasetResult:
        checks, grants = data.get("policy_checks"), data.get("grants")
        return cls(
            info=DatasetInfo(id=data["id"], source=data.get("source", ""), format=data.get("format", "")),
            rows=data.get("rows"), rows_scanned=data.get("rows_scanned", 0),
            columns=[ColumnFinding.from_json(c) for c in data.get("columns") or ()],
            errors=list(data.get("errors") or ()), reused_from=data.get("reused_from"),
            policy_checks=None if checks is None else [PolicyCheck.from_json(c) for c in checks],
            grants=None if grants is None else [Grant.from_json(g) for g in grants],
            subjects_estimate=data.get("subjects_estimate"),
            locations=data.get("locations"), not_read=data.get("not_read"),
        )


# --------------------------------------------------------------------- scan ----


@dataclass(frozen=True)
class ScanParameters:
    """The options a scan ran with, as findings.json records them under ``scan.parameters``."""

    policy: str | None = None
    sample_rows: int | None = None
    fail_on: str | None = None
    lang: str | None = None
    workers: int | None = None
    incremental: bool = False
    on_bad_rows: str | None = None
    max_cell_bytes: int | None = None
    follow_symlinks: bool = False

    def to_json(self) -> JsonObject:
        return {"policy": self.policy, "sample_rows": self.sample_rows, "fail_on": self.fail_on, "lang": self.lang,
                "workers": self.workers, "incremental": self.incremental, "on_bad_rows": self.on_bad_rows,
                "max_cell_bytes": self.max_cell_bytes, "follow_symlinks": self.follow_symlinks}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScanParameters:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Skipped:
    """A path the crawl did not open (FIFO, device, symlink not followed), and why: a note, not an error."""

    path: str
    reason: str

    def to_json(self) -> JsonObject:
        return {"path": self.path, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Skipped:
        return cls(path=data["path"], reason=data["reason"])


@dataclass(frozen=True)
class IncrementalSummary:
    """What an incremental scan reused from the previous one."""

    enabled: bool = False
    reused_datasets: tuple[str, ...] = ()
    rescanned: int = 0

    @property
    def reused(self) -> int:
        return len(self.reused_datasets)

    def to_json(self) -> JsonObject:
        return {"enabled": self.enabled, "reused": self.reused, "rescanned": self.rescanned,
                "reused_datasets": list(self.reused_datasets)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IncrementalSummary:
        return cls(enabled=bool(data.get("enabled")), reused_datasets=tuple(data.get("reused_datasets") or ()),
                   rescanned=data.get("rescanned", 0))


@dataclass(frozen=True)
class ScanInfo:
    """The ``scan`` object of findings.json: when, over what, how."""

    id: str
    started_at: str
    finished_at: str
    as_of: str
    sources: tuple[str, ...]
    mode: str
    parameters: ScanParameters | None = None
    skipped: tuple[Skipped, ...] | None = None
    incremental: IncrementalSummary | None = None

    def to_json(self) -> JsonObject:
        out: JsonObject = {"id": self.id, "started_at": self.started_at, "finished_at": self.finished_at,
                           "as_of": self.as_of, "sources": list(self.sources), "mode": self.mode}
        if self.parameters is not None:
            out["parameters"] = self.parameters.to_json()
        if self.skipped is not None:
            out["skipped"] = [s.to_json() for s in self.skipped]
        if self.incremental is not None:
            out["incremental"] = self.incremental.to_json()
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScanInfo:
        params, skipped, inc = data.get("parameters"), data.get("skipped"), data.get("incremental")
        return cls(id=data["id"], started_at=data["started_at"], finished_at=data["finished_at"],
                   as_of=data["as_of"], sources=tuple(data["sources"]), mode=data["mode"],
                   parameters=None if params is None else ScanParameters.from_json(params),
                   skipped=None if skipped is None else tuple(Skipped.from_json(s) for s in skipped),
                   incremental=None if inc is None else IncrementalSummary.from_json(inc))


@dataclass(frozen=True)
class ScanResult:
    """A whole scan: what ``piiwarden scan`` writes as findings.json, and what ``api.scan`` returns.

    ``history`` is the comparison with the previous scan of the same sources
    (``scanner.history.history_section``), already in its JSON form because
    it is only ever written and rendered.
    """

    scan: ScanInfo
    datasets: tuple[DatasetResult, ...] = ()
    violations: tuple[Violation, ...] = ()
    errors: tuple[SourceError, ...] = ()
    history: Mapping[str, Any] | None = None
    tool_version: str = ""

    @property
    def sensitive_columns(self) -> int:
        return sum(1 for d in self.datasets for c in d.columns if c.sensitive)

    def dataset(self, dataset_id: str) -> DatasetResult | None:
        return next((d for d in self.datasets if d.id == dataset_id), None)

    def to_json(self) -> JsonObject:
        """The findings document, in the schema's field order."""
        out: JsonObject = {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": TOOL_NAME, "version": self.tool_version},
            "scan": self.scan.to_json(),
            "datasets": [d.to_json() for d in self.datasets],
            "violations": [v.to_json() for v in self.violations],
            "errors": [e.to_json() for e in self.errors],
        }
        if self.history is not None:
            out["history"] = dict(self.history)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScanResult:
        return cls(scan=ScanInfo.from_json(data["scan"]),
                   datasets=tuple(DatasetResult.from_json(d) for d in data["datasets"]),
                   violations=tuple(Violation.from_json(v) for v in data["violations"]),
                   errors=tuple(SourceError.from_json(e) for e in data["errors"]),
                   history=data.get("history"), tool_version=data.get("tool", {}).get("version", ""))


# ------------------------------------------------------------ anonymization ----


@dataclass(frozen=True)
class AnonymizedColumn:
    """One column of an anonymized dataset: the rule applied and what it changed (counts only).

    ``stats`` holds the operator's counters (``values_changed``, ``spans``,
    ``unchanged_reasons``, ...) in the order the record writes them; which of
    them appear depends on the operator and the data.
    """

    name: str
    entity: str | None = None
    level: int = 0
    free_text: bool = False
    rule: Mapping[str, Any] | None = None
    rule_source: str | None = None
    stats: Mapping[str, Any] = field(default_factory=dict)
    ops_by_entity: Mapping[str, str] | None = None

    _HEAD = ("name", "entity", "level", "free_text", "rule", "rule_source")

    @property
    def op(self) -> str | None:
        return None if self.rule is None else self.rule.get("op")

    def to_json(self) -> JsonObject:
        out: JsonObject = {"name": self.name}
        if self.rule is not None:  # an anonymize column; a decrypt column has only name and counts
            out.update({"entity": self.entity, "level": self.level, "free_text": self.free_text,
                        "rule": dict(self.rule), "rule_source": self.rule_source})
        out.update(self.stats)
        if self.ops_by_entity is not None:
            out["ops_by_entity"] = dict(self.ops_by_entity)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnonymizedColumn:
        stats = {k: v for k, v in data.items() if k not in cls._HEAD and k != "ops_by_entity"}
        return cls(name=data["name"], entity=data.get("entity"), level=data.get("level") or 0,
                   free_text=bool(data.get("free_text")), rule=data.get("rule"), rule_source=data.get("rule_source"),
                   stats=stats, ops_by_entity=data.get("ops_by_entity"))


@dataclass(frozen=True)
class AnonymizedDataset:
    """One dataset of an anonymization (or decrypt) run: where it went and its columns.

    ``fields`` keeps the dataset-level entries (input id, output id and path,
    rows, k-anonymity, ...) in the record's own order; ``columns`` is typed.
    """

    fields: Mapping[str, Any]
    columns: tuple[AnonymizedColumn, ...] = ()
    columns_at: int = -1  # position of "columns" among the record's keys (-1: absent)

    @property
    def id(self) -> str | None:
        return self.fields.get("id")

    @property
    def output_id(self) -> str | None:
        return self.fields.get("output_id")

    @property
    def k_anonymity(self) -> Mapping[str, Any] | None:
        """The k-anonymity of the output over the policy's quasi-identifiers, when the policy names them."""
        return self.fields.get("k_anonymity")

    def to_json(self) -> JsonObject:
        items = list(self.fields.items())
        if self.columns_at >= 0:
            items.insert(self.columns_at, ("columns", [c.to_json() for c in self.columns]))
        return dict(items)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AnonymizedDataset:
        keys = list(data)
        at = keys.index("columns") if "columns" in data else -1
        return cls(fields={k: v for k, v in data.items() if k != "columns"},
                   columns=tuple(AnonymizedColumn.from_json(c) for c in data.get("columns") or ()), columns_at=at)


@dataclass(frozen=True)
class AnonymizationResult:
    """An ``anonymize`` (or ``decrypt``) run as anonymization.json records it, and where it was written."""

    run: Mapping[str, Any]
    datasets: tuple[AnonymizedDataset, ...] = ()
    errors: tuple[SourceError, ...] = ()
    mac: str | None = None
    tool_version: str = ""
    path: str | None = None  # where the record was written (not part of the record)

    @property
    def kind(self) -> str:
        return str(self.run.get("kind", ""))

    def columns(self) -> list[AnonymizedColumn]:
        return [c for d in self.datasets for c in d.columns]

    def to_json(self) -> JsonObject:
        out: JsonObject = {"schema_version": SCHEMA_VERSION, "tool": {"name": TOOL_NAME, "version": self.tool_version},
                           "run": dict(self.run), "datasets": [d.to_json() for d in self.datasets],
                           "errors": [e.to_json() for e in self.errors]}
        if self.mac is not None:
            out["mac"] = self.mac
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: str | None = None) -> AnonymizationResult:
        return cls(run=dict(data["run"]), datasets=tuple(AnonymizedDataset.from_json(d) for d in data.get("datasets") or ()),
                   errors=tuple(SourceError.from_json(e) for e in data.get("errors") or ()), mac=data.get("mac"),
                   tool_version=data.get("tool", {}).get("version", ""), path=path)
