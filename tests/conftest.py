"""Shared test helpers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def schema_path() -> Path:
    """The contract's schema from ../shared when present, else the vendored copy."""
    shared = SHARED / "spec" / "findings.schema.json"
    return shared if shared.is_file() else ROOT / "tests" / "fixtures" / "findings.schema.json"


@pytest.fixture(scope="session")
def findings_schema() -> dict:
    return json.loads(schema_path().read_text(encoding="utf-8"))


@pytest.fixture
def validate_findings(findings_schema):
    """Validate a findings document against the contract's JSON Schema."""
    import jsonschema

    def check(doc: dict) -> None:
        jsonschema.validate(doc, findings_schema, cls=jsonschema.Draft202012Validator)

    return check


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
