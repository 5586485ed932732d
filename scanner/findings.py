"""Assembling, writing and reading findings.json (the contract's machine-readable output).

The one place findings.json is built and read: a scan's typed ``ScanResult``
is finished here (id, times, version) and written through ``to_json()``;
``read_findings`` checks a file for what the report renders and
``load_scan_result`` turns it back into the model.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.model import (
    DatasetResult,
    IncrementalSummary,
    ScanInfo,
    ScanParameters,
    ScanResult,
    Skipped,
    SourceError,
    Violation,
)


def now_iso() -> str:
    """Current time, ISO-8601 with the UTC offset."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def finish_scan(*, started_at: str, as_of: dt.date, sources: Sequence[str], mode: str,
                datasets: Sequence[DatasetResult], violations: Sequence[Violation], errors: Sequence[SourceError],
                parameters: ScanParameters | None = None, skipped: Sequence[Skipped] | None = None,
                incremental: IncrementalSummary | None = None) -> ScanResult:
    """The finished scan: a fresh id, the finishing time and this version stamped on what was found."""
    info = ScanInfo(id=uuid.uuid4().hex, started_at=started_at, finished_at=now_iso(), as_of=as_of.isoformat(),
                    sources=tuple(sources), mode=mode, parameters=parameters,
                    skipped=None if skipped is None else tuple(skipped), incremental=incremental)
    return ScanResult(scan=info, datasets=tuple(datasets), violations=tuple(violations), errors=tuple(errors),
                      tool_version=__version__)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # mkstemp creates 0600; a report is meant to be read, so honour the umask like open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_findings(path: Path, result: ScanResult) -> None:
    """findings.json, UTF-8 with Chinese kept readable."""
    write_atomic(path, json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")


class FindingsError(ValueError):
    """A findings.json that cannot be a scan's output (one readable line, never a data value)."""


def read_findings(path: Path) -> dict[str, Any]:
    """Load a findings.json written by a scan, refusing what the report could not render.

    ``report`` re-renders any file a user points it at, so the file is
    checked here, once, for every field the renderer indexes: a hand-edited
    or truncated file is one error line, not a traceback from deep inside a
    template. Extra fields are allowed (newer writers, ``history``).
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise FindingsError("nested too deeply to be a findings.json") from None
    except UnicodeDecodeError:
        raise FindingsError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FindingsError(f"not JSON (line {exc.lineno}, column {exc.colno})") from None
    check_findings(doc)
    checked: dict[str, Any] = doc  # check_findings made sure it is an object
    return checked


def load_scan_result(path: Path) -> ScanResult:
    """A findings.json as the typed model (checked first, like ``read_findings``)."""
    return ScanResult.from_json(read_findings(path))


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON; a scan never writes them."""
    raise FindingsError(f"not JSON ({name})")


# Field specs: a tuple of allowed types, a frozenset of allowed values, a one-item list
# (a list of that spec), a dict (an object; a key ending in "?" is optional) or a
# _Map (an object whose every value follows one spec). They name what report.html reads.
class _Map:
    def __init__(self, spec: Any) -> None:
        self.spec = spec


_STR, _INT, _NUM = (str,), (int,), (int, float)
_OPT_STR, _OPT_INT, _OPT_NUM = (str, type(None)), (int, type(None)), (int, float, type(None))
_SEVERITY = frozenset({"low", "medium", "high", "critical"})
_ENTITY = {"entity": _STR, "hit_ratio?": _NUM, "matches": _INT, "confidence?": _OPT_NUM,
           "validator_pass_rate?": _OPT_NUM, "header_hint?": _OPT_NUM}
_EVIDENCE = {"values?": _OPT_INT, "header_hints?": _Map(_OPT_NUM), "texty_ratio?": _OPT_NUM,
             "cells?": _Map({"format_matches": _INT, "validated?": _INT})}
_COLUMN = {"name": _STR, "primary_entity?": _OPT_STR, "level": _INT, "category?": _OPT_STR,
           "confidence?": _OPT_NUM, "entities?": [_ENTITY], "samples_masked?": [_STR], "evidence?": _EVIDENCE}
_CHECK = {"rule": _STR, "column": _STR, "status?": _STR, "rows?": _INT, "minors?": _INT, "minor_age?": _INT,
          "born_after?": _STR, "over_limit?": _INT, "max_age_days?": _INT, "cutoff?": _STR, "missing?": _INT,
          "unparseable?": _INT}
_DATASET = {"id": _STR, "source?": _STR, "format?": _STR, "rows": _OPT_INT, "rows_scanned": _INT,
            "columns": [_COLUMN], "errors?": (list,), "reused_from?": _OPT_STR, "policy_checks?": [_CHECK]}
_VIOLATION = {"rule": _STR, "severity": _SEVERITY, "dataset": _STR, "column?": _OPT_STR, "count": _OPT_INT,
              "message?": _STR, "remediation?": _STR, "message_zh?": _STR, "remediation_zh?": _STR,
              "reference?": _STR}
_SCAN = {"id": _STR, "started_at": _STR, "finished_at": _STR, "as_of": _STR, "mode": _STR, "sources": [_STR],
         "parameters?": (dict,), "incremental?": (dict,)}
_SCAN_REF = {"id": _STR, "finished_at": _STR, "seq?": _OPT_INT, "as_of?": _STR}
_COLUMN_CHANGE = {"dataset": _STR, "column": _STR, "entity?": _OPT_STR, "level?": _INT,
                  "entity_before?": _OPT_STR, "level_before?": _INT}
_VIOLATION_CHANGE = {"rule": _STR, "severity": _SEVERITY, "dataset": _STR, "column?": _OPT_STR,
                     "count": _OPT_INT, "severity_before?": _SEVERITY, "count_before?": _OPT_INT}
_DIFF = {"datasets_added?": [_STR], "datasets_removed?": [_STR], "datasets_failed?": [_STR],
         "new_sensitive_columns?": [_COLUMN_CHANGE], "removed_sensitive_columns?": [_COLUMN_CHANGE],
         "level_changes?": [_COLUMN_CHANGE], "new_violations?": [_VIOLATION_CHANGE],
         "resolved_violations?": [_VIOLATION_CHANGE], "changed_violations?": [_VIOLATION_CHANGE]}
_HISTORY = {"previous_scan?": (_SCAN_REF, None), "since_last?": (_DIFF, None),
            "trend?": [{"finished_at?": _OPT_STR, "sensitive?": _NUM, "violations?": _NUM}]}
_FINDINGS = {"schema_version": frozenset({1}), "tool": {"version": _STR}, "scan": _SCAN, "datasets": [_DATASET],
             "violations": [_VIOLATION], "errors": [{"source": _STR, "error": _STR}], "history?": _HISTORY}


def check_findings(doc: Any) -> None:
    """Raise FindingsError naming the first field that is missing or of the wrong type."""
    _check(doc, _FINDINGS, "findings")


def _check(value: Any, spec: Any, where: str) -> None:
    if isinstance(spec, tuple) and spec and isinstance(spec[0], dict):  # (object spec, None): optional object
        if value is not None:
            _check(value, spec[0], where)
    elif isinstance(spec, _Map):
        if not isinstance(value, dict):
            raise FindingsError(f"{where} is not an object")
        for item in value.values():
            _check(item, spec.spec, f"{where}.*")
    elif isinstance(spec, dict):
        if not isinstance(value, dict):
            raise FindingsError(f"{where} is not an object")
        for key, sub in spec.items():
            name = key.rstrip("?")
            if name in value:
                _check(value[name], sub, f"{where}.{name}")
            elif not key.endswith("?"):
                raise FindingsError(f"{where}.{name} is missing")
    elif isinstance(spec, list):
        if not isinstance(value, list):
            raise FindingsError(f"{where} is not a list")
        for i, item in enumerate(value):
            _check(item, spec[0], f"{where}[{i}]")
    elif isinstance(spec, frozenset):
        if not isinstance(value, (str, int)) or isinstance(value, bool) or value not in spec:
            raise FindingsError(f"{where} has an unknown value")
    elif not isinstance(value, spec) or (isinstance(value, bool) and bool not in spec):
        raise FindingsError(f"{where} is not of type {'/'.join(t.__name__ for t in spec)}")
