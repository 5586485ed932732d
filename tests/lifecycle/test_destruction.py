"""Destruction records: validation, the JSON round trip, the audit entry, and retention configurable upwards only."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.anonymize.keys import parse_key
from scanner.audit import DESTRUCTION_COMMANDS, AuditLog, verify_log
from scanner.lifecycle.destruction import (
    METHODS,
    DestructionRecord,
    Operator,
    RecordProblem,
    RetentionPeriods,
    RetentionTooShort,
    audit_fields,
    new_record,
    validate_retention,
)
from scanner.lifecycle.identifiers import SubjectHasher

KEY = parse_key(b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "test")
UTC = dt.timezone.utc
HEX = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


def _record(**overrides: object) -> DestructionRecord:
    fields: dict[str, object] = dict(time=dt.datetime(2026, 12, 3, 10, 0, tzinfo=UTC), operator=Operator("etl", "Li Lei"),
                                     method="delete", dataset="crm/customers.csv", rows=12, rule="retention",
                                     as_of=dt.date(2026, 12, 1))
    fields.update(overrides)
    return DestructionRecord(**fields)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(time=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                         timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=8))])),
       method=st.sampled_from(METHODS), dataset=st.text(min_size=1, max_size=40), rows=st.integers(0, 10**12),
       hashes=st.lists(HEX, max_size=8), by_rule=st.booleans(), name=st.one_of(st.none(), st.text(max_size=20)),
       request=st.text(min_size=1, max_size=20), source=st.one_of(st.none(), st.text(max_size=40)))
def test_json_round_trip_is_exact(time, method, dataset, rows, hashes, by_rule, name, request, source):
    record = DestructionRecord(
        time=time, operator=Operator("etl", name), method=method, dataset=dataset, rows=rows,
        subject_hashes=tuple(hashes), rule="retention" if by_rule else None,
        as_of=dt.date(2026, 1, 1) if by_rule else None, request_id=None if by_rule else request, source=source,
        key_fingerprint="hmac-sha256:0011223344556677" if hashes else None)
    text = json.dumps(record.to_json(), ensure_ascii=False)
    again = DestructionRecord.from_json(json.loads(text))
    assert again == record
    assert again.to_json() == record.to_json()
    assert list(again.subject_hashes) == sorted(set(hashes))


@pytest.mark.parametrize(("overrides", "field"), [
    ({"method": "shred"}, "method"),
    ({"rows": -1}, "rows"),
    ({"rows": True}, "rows"),
    ({"dataset": ""}, "dataset"),
    ({"rule": None}, "rule or the request"),
    ({"as_of": None}, "as_of"),
    ({"time": dt.datetime(2026, 12, 3, 10, 0)}, "UTC offset"),
    ({"subject_hashes": ("13812345678",), "key_fingerprint": "hmac-sha256:00"}, "subject_hashes"),
    ({"subject_hashes": ("0" * 32,)}, "key_fingerprint"),
    ({"operator": Operator("")}, "os_user"),
])
def test_incomplete_records_are_refused_naming_the_field(overrides, field):
    with pytest.raises(RecordProblem) as info:
        _record(**overrides)
    assert field in str(info.value)
    assert "13812345678" not in str(info.value)


@pytest.mark.parametrize("doc", [
    [], {"version": 2}, {**_record().to_json(), "extra": 1}, {**_record().to_json(), "rows": "12"},
    {**_record().to_json(), "time": "yesterday"}, {**_record().to_json(), "operator": "etl"},
    {**_record().to_json(), "as_of": 20261201}, {**_record().to_json(), "subject_hashes": "abc"},
    {**_record().to_json(), "method": None},
])
def test_from_json_refuses_what_to_json_cannot_have_written(doc):
    with pytest.raises(RecordProblem):
        DestructionRecord.from_json(doc)


def test_new_record_names_the_os_account_and_the_operator():
    record = new_record(method="archive+delete", dataset="t", rows=1, operator_name="  王芳 ", request_id="DSR-7")
    assert record.operator.os_user and record.operator.name == "王芳"
    assert record.time.tzinfo is not None
    assert new_record(method="delete", dataset="t", rows=0, operator_name=" ", request_id="r").operator.name is None


def test_audit_entry_chains_verifies_and_gives_the_record_back(tmp_path):
    hashes = SubjectHasher(KEY).hex_digests("CN_MOBILE_PHONE", pa.array(["138-1234-5678", "+86 13912345678"]))
    record = _record(subject_hashes=tuple(hashes), key_fingerprint=KEY.fingerprint, source="/data/crm")
    log = AuditLog(tmp_path / "audit.log")
    log.record("scan", sources=[str(tmp_path)], counts={"datasets": 1})
    fields = audit_fields(record)
    command = fields.pop("command")
    assert command in DESTRUCTION_COMMANDS  # the log keeps it for the destruction period
    entry = log.record(command, **fields)
    assert verify_log(log).ok
    line = (tmp_path / "audit.log").read_text(encoding="utf-8").splitlines()[-1]
    stored = json.loads(line)
    assert stored["kind"] == "destruction" and stored["counts"] == {"rows": 12, "subjects": 2}
    assert DestructionRecord.from_json(stored["destruction"]) == record == DestructionRecord.from_json(
        entry["destruction"])
    for raw in ("13812345678", "13912345678", "1381234", "+86"):
        assert raw not in line


def test_retention_is_configurable_upwards_only():
    assert validate_retention() == RetentionPeriods(180, 1095)
    assert validate_retention(365, 3650) == RetentionPeriods(365, 3650)
    for audit_days, destruction_days, name in ((179, None, "audit_days"), (None, 1094, "destruction_days"),
                                               (0, None, "audit_days"), (None, -5, "destruction_days")):
        with pytest.raises(RetentionTooShort) as info:
            validate_retention(audit_days, destruction_days)
        assert name in str(info.value) and "upwards" in str(info.value)
    with pytest.raises(RetentionTooShort):
        RetentionPeriods(180.5, 1095)  # type: ignore[arg-type]


def test_destruction_records_are_kept_three_calendar_years_and_others_six_months():
    periods = RetentionPeriods()
    written = dt.datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # 2028 is a leap year: 1095 days fall a day short
    assert periods.keep_until(written, destruction=True) == dt.datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
    assert not periods.may_prune(written, True, dt.datetime(2030, 2, 28, 12, 0, tzinfo=UTC))
    assert periods.may_prune(written, True, dt.datetime(2030, 3, 1, 12, 0, tzinfo=UTC))
    assert periods.keep_until(written, destruction=False) == written + dt.timedelta(days=180)
    assert not periods.may_prune(written, False, written + dt.timedelta(days=179))
    leap = dt.datetime(2028, 2, 29, tzinfo=UTC)
    assert periods.keep_until(leap, destruction=True) == dt.datetime(2031, 3, 1, tzinfo=UTC)
    assert RetentionPeriods(180, 4000).keep_until(written, True) == written + dt.timedelta(days=4000)
