"""subject find / export and scan --index over a mixed estate (CSV, Parquet, XLSX, SQLite, PostgreSQL).

The truth is what ``subject_estate`` planted (row positions, per column),
not what the code finds; every output (console, audit log, index, manifest)
is grepped for the planted identifier values.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scanner.anonymize.keys import parse_key
from scanner.cli import app
from scanner.lifecycle.identifiers import IdentifierProblem
from scanner.lifecycle.subject_export import BundleProblem, open_bundle
from scanner.lifecycle.subject_find import SubjectRequest
from scanner.sources import resolve_sources
from tests.lifecycle.subject_estate import (
    KEY_HEX,
    PERSON_EMAIL,
    PERSON_ID,
    PLANTED,
    build_files,
    pg_accounts,  # noqa: F401 - the fixture
    with_pg,
)

runner = CliRunner()
REQUEST = ["--id", PERSON_ID, "--mobile", "+86 138-1234-5678", "--email", "Zhang.San@example.com"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit" / "audit.log"), "PIIWARDEN_KEY": KEY_HEX}


def _clean(blob: bytes | str, where: str) -> None:
    text = blob if isinstance(blob, str) else blob.decode("utf-8", "replace")
    for value in PLANTED:
        assert value not in text, f"{where} echoes a planted identifier"


def _by_dataset(doc: dict) -> dict[str, dict[str, int]]:
    return {d["dataset"]: {c["column"]: c["rows"] for c in d["columns"]} for d in doc["datasets"]}


def _source_rows(estate, dataset: str) -> list[dict]:
    """The dataset's rows as the connectors read them, in order."""
    datasets, errors = resolve_sources(estate.sources)
    assert not errors
    ds = next(d for d in datasets if d.id == dataset)
    return [row for batch in ds.batches() for row in batch.to_pylist()]


def _cell(value) -> str:
    return "" if value is None else str(value)


def test_find_index_and_export_over_a_mixed_estate(tmp_path, pg_accounts):  # noqa: F811
    estate = with_pg(build_files(tmp_path / "estate"), pg_accounts)
    env = _env(tmp_path)

    found = runner.invoke(app, ["subject", "find", *estate.sources, *REQUEST, "--json"], env=env)
    assert found.exit_code == 0, found.output
    doc = json.loads(found.stdout)
    assert _by_dataset(doc) == estate.columns  # every dataset, every column, exact row counts
    assert {d["dataset"]: d["rows"] for d in doc["datasets"]} == {k: len(v) for k, v in estate.expected.items()}
    _clean(found.output, "subject find")

    scanned = runner.invoke(app, ["scan", *estate.sources, "-o", str(tmp_path / "out"), "--index", "--no-history",
                                  "--as-of", "2026-03-31"], env=env)
    assert scanned.exit_code == 0, scanned.output
    index_dir = tmp_path / "out" / "index"
    _clean((index_dir / "subjects.sqlite").read_bytes(), "the subject index")
    looked = runner.invoke(app, ["subject", "find", *estate.sources, *REQUEST, "--index", str(index_dir), "--json"],
                           env=env)
    assert looked.exit_code == 0, looked.output
    via_index = json.loads(looked.stdout)
    assert via_index["via_index"] is True
    assert _by_dataset(via_index) == _by_dataset(doc)

    plain = runner.invoke(app, ["subject", "export", *estate.sources, *REQUEST, "-o", str(tmp_path / "copy")], env=env)
    assert plain.exit_code == 0, plain.output
    _clean(plain.output, "subject export")
    manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text(encoding="utf-8"))
    _clean(json.dumps(manifest, ensure_ascii=False), "the manifest")
    assert manifest["encrypted"] is False
    exported: dict[str, bytes] = {}
    for item in manifest["datasets"]:
        content = (tmp_path / "copy" / item["file"]).read_bytes()
        exported[item["file"]] = content
        source_rows = _source_rows(estate, item["dataset"])
        want = [[_cell(source_rows[i][c]) for c in item["columns"]] for i in sorted(estate.expected[item["dataset"]])]
        got = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert got[0] == item["columns"] == list(source_rows[0])  # every column
        assert got[1:] == want, item["dataset"]  # exactly the person's rows, in source order
        assert item["rows"] == len(want)
    assert {i["dataset"] for i in manifest["datasets"]} == set(estate.expected)

    key_file = tmp_path / "k.hex"
    key_file.write_text(KEY_HEX)
    sealed = runner.invoke(app, ["subject", "export", *estate.sources, *REQUEST, "-o", str(tmp_path / "sealed"),
                                 "--key-file", str(key_file)], env=env)
    assert sealed.exit_code == 0, sealed.output
    assert sorted(p.name for p in (tmp_path / "sealed").iterdir()) == ["manifest.json", "subject-export.pwbundle"]
    bundle = tmp_path / "sealed" / "subject-export.pwbundle"
    _clean(bundle.read_bytes(), "the sealed bundle")
    inside = open_bundle(bundle, parse_key(KEY_HEX.encode(), "test"))
    assert {k: v for k, v in inside.items() if k != "manifest.json"} == exported
    with pytest.raises(BundleProblem):
        open_bundle(bundle, parse_key(b"ff" * 32, "other"))

    audit = (tmp_path / "audit" / "audit.log").read_text(encoding="utf-8")
    assert '"command":"subject find"' in audit and '"command":"subject export"' in audit
    _clean(audit, "the audit log")


def test_request_normalizes_and_never_repeats_values():
    request = SubjectRequest.build([("mobile", "+86 138-1234-5678"), ("mobile", "13812345678"),
                                    ("email", PERSON_EMAIL.upper())])
    assert request.forms["CN_MOBILE_PHONE"] == {"13812345678": "mobile#2"}  # both spellings are one number
    assert request.forms["EMAIL_ADDRESS"] == {PERSON_EMAIL: "email#1"}
    _clean(repr(request), "repr")
    with pytest.raises(IdentifierProblem) as problem:
        SubjectRequest.build([("mobile", "无")])
    assert "无" not in str(problem.value)


def test_a_value_no_format_accepts_is_searched_but_warned_about(tmp_path):
    """A typo in an ID (a wrong check digit, a digit missing) would answer "we hold nothing about you"."""
    typo = PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1")  # the check digit no longer matches
    request = SubjectRequest.build([("id", PERSON_ID), ("id", typo), ("mobile", "+86 138-1234-5678"),
                                    ("mobile", "23812345678"), ("email", "not-an-address")])
    assert request.unrecognized == ("id#2", "mobile#2", "email#1")
    assert "id#2" in request.labels  # still searched, as given
    estate = build_files(tmp_path / "estate")
    result = runner.invoke(app, ["subject", "find", str(estate.root), "--id", typo, "--mobile", "13812345678"],
                           env={"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log")})
    assert result.exit_code == 0, result.output
    assert "--id value number 1 matches no known id format or checksum" in result.output
    assert "--mobile value number 1" not in result.output and typo not in result.output


def test_find_cli_refuses_without_identifier_or_key(tmp_path):
    estate = build_files(tmp_path / "estate")
    env = {"PIIWARDEN_AUDIT_LOG": str(tmp_path / "audit.log")}
    none = runner.invoke(app, ["subject", "find", str(estate.root)], env=env)
    assert none.exit_code == 2
    no_key = runner.invoke(app, ["subject", "find", str(estate.root), "--mobile", "13812345678", "--index",
                                 str(tmp_path / "nowhere")], env={**env, "PIIWARDEN_KEY": ""})
    assert no_key.exit_code == 2 and "key" in no_key.output
    _clean(no_key.output, "the refusal")
    no_index = runner.invoke(app, ["subject", "find", str(estate.root), "--mobile", "13812345678", "--index",
                                   str(tmp_path / "nowhere")], env={**env, "PIIWARDEN_KEY": KEY_HEX})
    assert no_index.exit_code == 2 and "no subject index" in no_index.output
    scan_no_key = runner.invoke(app, ["scan", str(estate.root), "-o", str(tmp_path / "o"), "--index", "--no-history"],
                                env={**env, "PIIWARDEN_KEY": ""})
    assert scan_no_key.exit_code == 2 and not (tmp_path / "o" / "findings.json").exists()


def test_index_lookup_names_the_datasets_it_never_read(tmp_path):
    estate = build_files(tmp_path / "estate")
    env = _env(tmp_path)
    scanned = runner.invoke(app, ["scan", str(estate.root), "-o", str(tmp_path / "out"), "--index", "--no-history"],
                            env=env)
    assert scanned.exit_code == 0, scanned.output
    lookup = ["subject", "find", str(estate.root), *REQUEST, "--index", str(tmp_path / "out" / "index"), "--json"]
    first = json.loads(runner.invoke(app, lookup, env=env).stdout)
    assert first["unindexed"] == [] and len(first["datasets"]) == 4
    (estate.root / "later.csv").write_text("手机号\n13812345678\n13912345678\n", encoding="utf-8")
    later = runner.invoke(app, lookup, env=env)
    assert json.loads(later.stdout)["unindexed"] == ["later.csv"]
    assert "not in the index" in later.output and "later.csv" in later.output
