"""Assembling and writing findings.json (the contract's machine-readable output)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from scanner import __version__


def now_iso() -> str:
    """Current time, ISO-8601 with the UTC offset."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def build_findings(*, started_at: str, as_of: dt.date, sources: list[str], mode: str,
                   datasets: list[dict[str, Any]], violations: list[dict[str, Any]],
                   errors: list[dict[str, str]], params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The findings document, in the schema's field order."""
    scan: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "started_at": started_at,
        "finished_at": now_iso(),
        "as_of": as_of.isoformat(),
        "sources": sources,
        "mode": mode,
    }
    if params:
        scan["parameters"] = params
    return {
        "schema_version": 1,
        "tool": {"name": "piiwarden", "version": __version__},
        "scan": scan,
        "datasets": datasets,
        "violations": violations,
        "errors": errors,
    }


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


def write_findings(path: Path, findings: dict[str, Any]) -> None:
    """findings.json, UTF-8 with Chinese kept readable."""
    write_atomic(path, json.dumps(findings, ensure_ascii=False, indent=2) + "\n")


def read_findings(path: Path) -> dict[str, Any]:
    """Load a findings.json written by a scan."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
