"""anonymization.json is signed: verify/decrypt trust only a record the run's key vouches for.

verify accepts the columns a record calls pseudonymized or FPE'd (their
surrogates validate on purpose), so an unsigned or edited record would be a
way to whitelist clear identifiers. anonymize writes an HMAC-SHA256 of the
record's canonical content under a sub-key of the run's key; verify accepts
surrogate columns only when that MAC verifies under the key it is given.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scanner.anonymize.keys import load_key
from scanner.anonymize.run import (
    AUTH_CHANGED,
    AUTH_OK,
    AUTH_OTHER_KEY,
    MAC_PREFIX,
    _well_formed,
    authenticate,
)
from tests.hostile.corpus import build_corpus, write_key
from tests.hostile.harness import assert_error_line, assert_no_traceback, invoke

RULES = "version: 1\nentities:\n  CN_RESIDENT_ID: {op: pseudonym}\n  BANK_CARD: {op: keep}\n"
NOT_AUTHENTICATED = "anonymization.json is not authenticated: pass the run's --key-file to accept pseudonymized columns"
CHANGED = "its MAC does not match: the record was changed"


def _env(box: Path) -> dict[str, str | None]:
    return {"PIIWARDEN_AUDIT_LOG": str(box / "audit.log"), "PIIWARDEN_KEY": None}


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> Path:
    """A pseudonym run (resident IDs pseudonymized, bank cards kept in clear) with its key file."""
    box = tmp_path_factory.mktemp("signed")
    build_corpus(box / "data", rows=8, formats=("csv",))
    write_key(box / "key.hex")
    (box / "rules.yaml").write_text(RULES, encoding="utf-8")
    run = invoke(["anonymize", box / "data", "-o", box / "anon", "--rules", box / "rules.yaml",
                  "--key-file", box / "key.hex"], env=_env(box))
    assert run.code == 0, run.console
    return box


def _record(outdir: Path) -> dict[str, Any]:
    return json.loads((outdir / "anonymization.json").read_text(encoding="utf-8"))


def _copy(signed: Path, tmp_path: Path) -> Path:
    shutil.copytree(signed / "anon", tmp_path / "anon")
    return tmp_path / "anon"


def test_a_keyed_run_signs_its_record_and_the_mac_verifies(signed):
    record = _record(signed / "anon")
    key = load_key(signed / "key.hex")
    assert record["mac"].startswith(MAC_PREFIX) and len(record["mac"]) == len(MAC_PREFIX) + 64
    assert record["run"]["key_fingerprint"] == key.fingerprint
    assert authenticate(record, key) == AUTH_OK
    other = load_key(None, {"PIIWARDEN_KEY": "ab" * 32})
    assert authenticate(record, other) == AUTH_OTHER_KEY


def test_the_mac_covers_content_not_layout(signed, tmp_path):
    """Re-saving the record compactly with other key order keeps it valid: only content counts."""
    outdir = _copy(signed, tmp_path)
    record = _record(outdir)
    reordered = dict(reversed(list(record.items())))
    (outdir / "anonymization.json").write_text(json.dumps(reordered, separators=(",", ":")), encoding="utf-8")
    run = invoke(["verify", outdir, "--key-file", signed / "key.hex"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert CHANGED not in run.console
    assert any("身份证号" in line and "pseudonymized" in line for line in run.stdout.splitlines()), run.console


def test_verify_with_the_key_accepts_pseudonyms_and_still_fails_clear_cards(signed, tmp_path):
    run = invoke(["verify", signed / "anon", "--key-file", signed / "key.hex"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 1, run.console  # bank cards were kept: the key whitelists nothing the record did not say
    assert any(line.startswith("ok") and "身份证号" in line for line in run.stdout.splitlines()), run.console
    assert any(line.startswith("FAIL") and "银行卡号" in line for line in run.stdout.splitlines()), run.console
    assert not any("身份证号" in line and line.startswith("FAIL") for line in run.stdout.splitlines())
    assert "not authenticated" not in run.console


def test_verify_takes_the_key_from_the_environment_too(signed, tmp_path):
    env = {**_env(tmp_path), "PIIWARDEN_KEY": (signed / "key.hex").read_text(encoding="utf-8").strip()}
    run = invoke(["verify", signed / "anon"], env=env)
    assert any(line.startswith("ok") and "身份证号" in line for line in run.stdout.splitlines()), run.console


def test_verify_without_the_key_judges_pseudonym_columns_like_any_other(signed, tmp_path):
    run = invoke(["verify", signed / "anon"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 1, run.console
    assert_error_line(run, NOT_AUTHENTICATED)
    assert any(line.startswith("FAIL") and "身份证号" in line for line in run.stdout.splitlines()), run.console
    assert not any(line.startswith("ok") for line in run.stdout.splitlines())


def test_verify_with_another_key_accepts_nothing(signed, tmp_path):
    (tmp_path / "other.key").write_text("ab" * 32, encoding="ascii")
    run = invoke(["verify", signed / "anon", "--key-file", tmp_path / "other.key"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 1, run.console
    assert_error_line(run, "anonymization.json is not authenticated", "another key")
    assert any(line.startswith("FAIL") and "身份证号" in line for line in run.stdout.splitlines()), run.console


def test_verify_with_an_unreadable_key_file_is_a_usage_error(signed, tmp_path):
    run = invoke(["verify", signed / "anon", "--key-file", tmp_path / "missing.key"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 2
    assert_error_line(run, "missing.key")


def test_forging_a_kept_column_as_pseudonym_breaks_the_mac(signed, tmp_path):
    """The attacker has the copy but not the key: calling the clear card column a pseudonym is detected."""
    outdir = _copy(signed, tmp_path)
    record = _record(outdir)
    for ds in record["datasets"]:
        for col in ds["columns"]:
            if col["name"] == "银行卡号":
                col["ops_by_entity"] = {"BANK_CARD": "pseudonym"}
                col["rule"]["op"] = "pseudonym"
    (outdir / "anonymization.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    run = invoke(["verify", outdir, "--key-file", signed / "key.hex"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 1, run.console
    assert_error_line(run, str(outdir / "anonymization.json"), CHANGED)
    assert any(line.startswith("FAIL") and "银行卡号" in line for line in run.stdout.splitlines()), run.console
    assert any(line.startswith("FAIL") and "身份证号" in line for line in run.stdout.splitlines()), run.console


def test_a_changed_record_is_an_error_even_when_the_copy_is_clean(tmp_path):
    """A MAC that does not match is reported (exit 3) although nothing validates in the copy."""
    build_corpus(tmp_path / "data", rows=8, formats=("csv",))
    key = write_key(tmp_path / "key.hex")
    outdir = tmp_path / "anon"
    assert invoke(["anonymize", tmp_path / "data", "-o", outdir, "--key-file", key], env=_env(tmp_path)).code == 0
    assert invoke(["verify", outdir, "--key-file", key], env=_env(tmp_path)).code == 0
    record = _record(outdir)
    record["run"]["started_at"] = "2000-01-01T00:00:00Z"
    (outdir / "anonymization.json").write_text(json.dumps(record), encoding="utf-8")
    run = invoke(["verify", outdir, "--key-file", key], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 3, run.console
    assert_error_line(run, "anonymization.json", CHANGED)


def test_an_absent_record_is_allowed_for_verify(signed, tmp_path):
    outdir = _copy(signed, tmp_path)
    (outdir / "anonymization.json").unlink()
    run = invoke(["verify", outdir, "--key-file", signed / "key.hex"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 1, run.console  # judged on the data alone: pseudonyms and kept cards validate
    assert "anonymization.json" not in run.stderr


def test_decrypt_refuses_a_changed_record_and_writes_nothing(signed, tmp_path):
    outdir = _copy(signed, tmp_path)
    record = _record(outdir)
    record["datasets"][0]["columns"][0]["values_changed"] = 0
    (outdir / "anonymization.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    run = invoke(["decrypt", outdir, "-o", tmp_path / "dec", "--key-file", signed / "key.hex"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 2, run.console
    assert_error_line(run, str(outdir / "anonymization.json"), CHANGED)
    assert not (tmp_path / "dec").exists()


def test_decrypt_accepts_its_own_signed_and_an_unsigned_record(signed, tmp_path):
    """An intact record decrypts; one from before records were signed is checked by fingerprint only."""
    outdir = _copy(signed, tmp_path)
    run = invoke(["decrypt", outdir, "-o", tmp_path / "dec", "--key-file", signed / "key.hex"], env=_env(tmp_path))
    assert run.code == 0, run.console
    assert authenticate(json.loads((tmp_path / "dec" / "decryption.json").read_text(encoding="utf-8")),
                        load_key(signed / "key.hex")) == AUTH_OK
    record = _record(outdir)
    del record["mac"]
    (outdir / "anonymization.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    run = invoke(["decrypt", outdir, "-o", tmp_path / "dec2", "--key-file", signed / "key.hex"], env=_env(tmp_path))
    assert run.code == 0, run.console


# --- any single edit breaks the MAC -------------------------------------------------------------------

def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every JSON path of the record (objects by key, arrays by index), the MAC itself excluded."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            if prefix or k != "mac":
                out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                        st.text(max_size=12), st.lists(st.integers(0, 3), max_size=2),
                        st.dictionaries(st.text(max_size=3), st.integers(0, 3), max_size=2))


@pytest.fixture(scope="module")
def signed_record(signed) -> tuple[dict[str, Any], Any]:
    return _record(signed / "anon"), load_key(signed / "key.hex")


def _edited(record: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    edited = copy.deepcopy(record)
    parent = edited
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return edited


def test_every_field_is_covered_by_the_mac(signed_record):
    """Each path of the record, replaced by a value of another type, breaks the MAC (no field left out)."""
    record, key = signed_record
    paths = _paths(record)
    assert len(paths) > 50
    for path in paths:
        edited = _edited(record, path, {"edited": 1})
        if path == ("run", "key_fingerprint") or not _well_formed(edited):
            edited = _edited(record, path, "edited") if path != ("run", "key_fingerprint") else \
                _edited(record, path, None)
        if _well_formed(edited):
            assert authenticate(edited, key) == AUTH_CHANGED, path


@settings(deadline=None)
@given(data=st.data())
def test_any_single_field_edit_breaks_the_mac(signed_record, data):
    record, key = signed_record
    assert authenticate(record, key) == AUTH_OK
    edited = copy.deepcopy(record)
    path = data.draw(st.sampled_from(_paths(record)), label="path")
    parent = edited
    for step in path[:-1]:
        parent = parent[step]
    old = parent[path[-1]]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(old, dict):
        old[data.draw(st.text(min_size=1, max_size=5).filter(lambda k: k not in old), label="new key")] = \
            data.draw(JSON_VALUES, label="new value")
    else:
        new = data.draw(JSON_VALUES.filter(lambda v: json.dumps(v) != json.dumps(old)), label="value")
        parent[path[-1]] = new
    if not _well_formed(edited):
        return  # refused before any MAC check (read_record raises RecordProblem)
    verdict = authenticate(edited, key)
    if path == ("run", "key_fingerprint"):
        assert verdict in (AUTH_CHANGED, AUTH_OTHER_KEY), (path, action)
    else:
        assert verdict == AUTH_CHANGED, (path, action)


@given(mac=st.one_of(st.text(max_size=80), st.text("0123456789abcdef", min_size=64, max_size=64).map(
    lambda h: MAC_PREFIX + h)))
def test_a_replaced_mac_never_verifies(signed_record, mac):
    record, key = signed_record
    assume(mac != record["mac"])
    assert authenticate({**record, "mac": mac}, key) == AUTH_CHANGED


def test_an_unsigned_record_relabelled_cannot_weaken_the_shape_check(tmp_path):
    """A keyless run's record is unsigned: relabelling an ID column's entity must not hide clear IDs.

    The copy is replaced by spaced clear IDs (a shape anonymize accepts) and the
    record's entity for that column is edited to EMAIL_ADDRESS; verify still
    checks what the rescan classifies and fails.
    """
    import csv

    from detectors.validators import resident_id_check_char

    data = tmp_path / "data"
    data.mkdir()
    ids = []
    for i in range(40):
        body = f"110105{1960 + i % 40}0{1 + i % 9}1{i % 10}{i:03d}"
        ids.append(body + resident_id_check_char(body))
    with open(data / "people.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "备注"])
        writer.writerows([[v, "ok"] for v in ids])
    run = invoke(["anonymize", data, "-o", tmp_path / "anon"], env=_env(tmp_path))
    assert run.code == 0, run.console
    record = _record(tmp_path / "anon")
    assert "mac" not in record
    for ds in record["datasets"]:
        for col in ds["columns"]:
            if col.get("entity") == "CN_RESIDENT_ID":
                col["entity"] = "EMAIL_ADDRESS"
                col["ops_by_entity"] = {"EMAIL_ADDRESS": "mask"}
    (tmp_path / "anon" / "anonymization.json").write_text(json.dumps(record), encoding="utf-8")
    with open(tmp_path / "anon" / "people.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["身份证号", "备注"])
        writer.writerows([[f"{v[:6]} {v[6:14]} {v[14:]}", "ok"] for v in ids])
    run = invoke(["verify", tmp_path / "anon"], env=_env(tmp_path))
    assert_no_traceback(run)
    assert run.code == 1, run.console
    # verify's FAIL lines are its report (stdout, like the ``ok`` lines), not errors on stderr
    assert any("people.csv" in line and "身份证号" in line and "CN_RESIDENT_ID" in line
               for line in run.stdout.splitlines() if line.startswith("FAIL")), run.console
