"""Nothing raw anywhere: every command over the whole corpus, every output grepped.

One sandbox per module: the corpus (every format), then scan (policy,
history, audit log), a second incremental scan, report, history (list and
diff), anonymize (encrypt + hash + default masks), verify, decrypt and audit
verify, all in-process. Each test then checks one promise over what those
runs printed and wrote.
"""

from __future__ import annotations

import csv
import json

import pytest

from tests.hostile.corpus import (
    build_corpus,
    file_hashes,
    readable_bytes,
    write_key,
    write_policy,
)
from tests.hostile.harness import (
    Run,
    assert_no_raw,
    assert_no_traceback,
    assert_only_inside,
    encodings_of,
    invoke,
    snapshot,
    written_files,
)

RULES = "version: 1\nentities:\n  CN_RESIDENT_ID: {op: encrypt}\n  BANK_CARD: {op: hash}\n"
ALLOWED = ("out", "anon", "dec", "state")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Run every command once over the corpus; keep the runs and the before/after state."""
    box = tmp_path_factory.mktemp("noraw")
    corpus = build_corpus(box / "data")
    policy, key, rules = write_policy(box / "policy.yaml"), write_key(box / "key.hex"), box / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    state = box / "state"
    env = {"PIIWARDEN_AUDIT_LOG": str(state / "audit.log"), "PIIWARDEN_KEY": None}
    hashes, before = file_hashes(box / "data"), snapshot(box)
    scan = ["scan", box / "data", "-o", box / "out", "--policy", policy, "--as-of", "2026-03-31",
            "--history", state / "history.db", "--audit-log", state / "audit.log", "--fail-on", "high"]
    runs: dict[str, Run] = {
        "scan": invoke(scan, env=env),
        "scan2": invoke([*scan, "--incremental"], env=env),
        "report": invoke(["report", box / "out" / "findings.json", "-o", box / "out" / "again.html", "--lang", "en"],
                         env=env),
        "history": invoke(["history", "--db", state / "history.db"], env=env),
        "diff": invoke(["history", "--db", state / "history.db", "--diff"], env=env),
        "anonymize": invoke(["anonymize", box / "data", "-o", box / "anon", "--rules", rules, "--key-file", key,
                             "--policy", policy], env=env),
        "verify": invoke(["verify", box / "anon"], env=env),
        "decrypt": invoke(["decrypt", box / "anon", "-o", box / "dec", "--key-file", key], env=env),
        "audit": invoke(["audit", "verify", "--log", state / "audit.log"], env=env),
    }
    return {"box": box, "corpus": corpus, "runs": runs, "before": before, "after": snapshot(box),
            "hashes": hashes, "hashes_after": file_hashes(box / "data")}


EXPECTED_CODES = {"scan": 1, "scan2": 1, "report": 0, "history": 0, "diff": 0, "anonymize": 0, "verify": 0,
                  "decrypt": 0, "audit": 0}


@pytest.mark.parametrize("name", sorted(EXPECTED_CODES))
def test_every_command_exits_as_documented_without_traceback(world, name):
    run = world["runs"][name]
    assert_no_traceback(run)
    assert run.code == EXPECTED_CODES[name], f"{name}: exit {run.code}\n{run.console[-2000:]}"


@pytest.mark.parametrize("name", sorted(EXPECTED_CODES))
def test_console_holds_no_raw_value(world, name):
    assert_no_raw(world["corpus"].planted(), run=world["runs"][name])


def test_corpus_is_found(world):
    """The promise below is only worth something if the scanner saw the data (every format, every entity)."""
    findings = json.loads((world["box"] / "out" / "findings.json").read_text(encoding="utf-8"))
    assert not findings["errors"]
    assert len(findings["datasets"]) == len(world["corpus"].files)
    found = {c["primary_entity"] for d in findings["datasets"] for c in d["columns"]}
    assert {"CN_RESIDENT_ID", "CN_MOBILE_PHONE", "BANK_CARD", "EMAIL_ADDRESS", "PERSON_NAME"} <= found
    assert findings["violations"]


def test_findings_valid_against_schema(world, validate_findings):
    validate_findings(json.loads((world["box"] / "out" / "findings.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("root", ["out", "state", "anon"])
def test_no_raw_value_in_any_written_file(world, root):
    """findings.json, report.html, history.db, audit log, diff, anonymization.json and anonymized copies.

    Containers are unpacked first (a value in a zipped sheet or a compressed
    Parquet page is still a leak).
    """
    files = written_files(world["box"] / root)
    assert files
    values = [v for v in world["corpus"].planted() if len(v) >= 6]
    for path in files:
        data = readable_bytes(path)
        for v in values:
            assert not any(form in data for form in encodings_of(v)), f"a raw value is in {path}"


def test_masked_name_cells_differ_from_the_names(world):
    """Names are too short for the byte grep; compare the anonymized CSV cell by cell instead."""
    corpus = world["corpus"]
    names = {p.name for p in corpus.people}
    with open(world["box"] / "anon" / "crm" / "customers.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and len(rows) == 24
    assert not names & {r["姓名"] for r in rows}


def test_decrypt_restores_only_the_encrypted_column(world):
    """decrypt writes resident IDs back (its purpose) and nothing that was masked or hashed."""
    corpus = world["corpus"]
    dec = world["box"] / "dec"
    assert_no_raw([], run=world["runs"]["decrypt"], files=[dec / "decryption.json"])
    ids = [p.resident_id for p in corpus.people]
    others = [v for p in corpus.people for v in (p.mobile, p.card, p.email)]
    restored = b"".join(readable_bytes(p) for p in written_files(dec))
    assert sum(i.encode() in restored for i in ids) >= 24 * (len(corpus.files) - 1)
    assert_no_raw(others, roots=[dec])
    assert_no_raw(ids, files=[dec / "decryption.json"])


def test_nothing_written_outside_outdirs_and_sources_untouched(world):
    assert world["hashes"] == world["hashes_after"]
    assert_only_inside(world["before"], world["after"], ALLOWED)


def test_audit_log_recorded_every_command(world):
    lines = (world["box"] / "state" / "audit.log").read_text(encoding="utf-8").splitlines()
    commands = [json.loads(line)["command"] for line in lines]
    assert commands == ["scan", "scan", "anonymize", "verify", "decrypt"]


def test_key_never_printed_or_stored(world):
    key = (world["box"] / "key.hex").read_text(encoding="utf-8").strip()
    for run in world["runs"].values():
        assert key not in run.console
    for root in ALLOWED:
        for path in written_files(world["box"] / root):
            assert key.encode() not in path.read_bytes(), f"the key is in {path}"

