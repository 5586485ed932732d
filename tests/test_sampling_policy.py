"""Sampling spread over the whole dataset; policy loading and the simple rules."""

from __future__ import annotations

import textwrap

import pyarrow as pa
import pytest

from scanner.model import DatasetResult
from scanner.policy.model import Policy, PolicyError, load_policy
from scanner.policy.rules import evaluate
from scanner.sampling import sample_batches


def _evaluate_json(policy: Policy | None, datasets: list[dict]) -> list[dict]:
    """The rules over findings.json-shaped dataset entries, violations as findings.json writes them."""
    return [v.to_json() for v in evaluate(policy, [DatasetResult.from_json(d) for d in datasets])]

def _batches(total: int, size: int):
    for start in range(0, total, size):
        yield pa.record_batch({"i": pa.array(range(start, min(total, start + size)))})


def test_sample_is_spread_over_the_whole_stream():
    sample, seen = sample_batches(_batches(100_000, 7_000), 1_000, "ds")
    assert seen == 100_000 and sample.num_rows == 1_000
    values = sample.column("i").to_pylist()
    assert values == sorted(values)  # stream order kept
    quarters = [sum(1 for v in values if q * 25_000 <= v < (q + 1) * 25_000) for q in range(4)]
    assert all(200 <= q <= 300 for q in quarters), quarters


def test_sample_is_reproducible_and_small_streams_are_whole():
    a, _ = sample_batches(_batches(50_000, 4_096), 500, "same")
    b, _ = sample_batches(_batches(50_000, 4_096), 500, "same")
    assert a.column("i").to_pylist() == b.column("i").to_pylist()
    small, seen = sample_batches(_batches(300, 100), 1_000, "x")
    assert seen == 300 and small.column("i").to_pylist() == list(range(300))


def test_sample_merges_batches_with_new_columns():
    batches = [pa.record_batch({"a": pa.array(["1"])}), pa.record_batch({"a": pa.array(["2"]), "b": pa.array(["x"])})]
    sample, _ = sample_batches(batches, 10, "json")
    assert sample.column_names == ["a", "b"] and sample.column("b").to_pylist() == [None, "x"]


def _write(tmp_path, text):
    p = tmp_path / "policy.yaml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_policy_loads_contract_example(tmp_path):
    p = _write(tmp_path, """\
        version: 1
        defaults:
          retention: {max_age_days: 1825}
          plaintext_forbidden_level: 4
          minor_age: 14
        datasets:
          - match: "crm_*.csv"
            purpose: marketing
            allowed_entities: [PERSON_NAME, CN_MOBILE_PHONE, EMAIL_ADDRESS]
            retention: {column: last_login, max_age_days: 1825}
            quasi_identifiers: [性别, 出生日期, 城市]
            k_threshold: 5
            allowed_readers: [crm_app, auditor]
        """)
    policy = load_policy(p)
    assert policy.entry_for("crm_2024.csv").purpose == "marketing"
    assert policy.entry_for("sub/crm_2024.csv") is not None  # glob also tried on the file name
    assert policy.entry_for("orders.csv") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("version: 1\ndatasets:\n  - match: a\n    purpse: x\n", ":4: datasets.0.purpse: unknown key"),
        ("version: 1\ndatasets:\n  - match: a\n    allowed_entities: [PHONE]\n", ":4: datasets.0.allowed_entities: unknown entity PHONE"),
        ("version: 1\ndefaults:\n  minor_age: old\n", ":3: defaults.minor_age:"),
        ("version: 2\n", ":1: version: only version 1"),
        ("version: 1\ndatasets: [\n", "not valid YAML"),
        ("- just\n- a list\n", "must be a YAML mapping"),
    ],
)
def test_policy_errors_name_line_and_field(tmp_path, body, expected):
    p = _write(tmp_path, body)
    with pytest.raises(PolicyError) as exc:
        load_policy(p)
    assert expected in str(exc.value) and str(p) in str(exc.value)


def _ds(ds_id, *cols):
    return {"id": ds_id, "columns": [
        {"name": n, "primary_entity": e, "level": lvl, "entities": [{"entity": e, "matches": m}] if e else []}
        for n, e, lvl, m in cols
    ]}


def test_rules_minimization_undeclared_plaintext(tmp_path):
    policy = load_policy(_write(tmp_path, """\
        version: 1
        datasets:
          - match: "loans.csv"
            purpose: credit review
            allowed_entities: [CN_RESIDENT_ID, CN_MOBILE_PHONE]
        """))
    datasets = [
        _ds("loans.csv", ("id_no", "CN_RESIDENT_ID", 4, 90), ("mail", "EMAIL_ADDRESS", 2, 80), ("amount", None, 0, 0)),
        _ds("other.csv", ("tel", "CN_MOBILE_PHONE", 3, 10)),
        _ds("clean.csv", ("sku", None, 0, 0)),
    ]
    got = {(v["rule"], v["dataset"], v["column"]): v for v in _evaluate_json(policy, datasets)}
    assert set(got) == {
        ("minimization", "loans.csv", "mail"),
        ("undeclared_dataset", "other.csv", None),
        ("plaintext_sensitive", "loans.csv", "id_no"),
    }
    assert got[("plaintext_sensitive", "loans.csv", "id_no")]["severity"] == "critical"
    assert got[("plaintext_sensitive", "loans.csv", "id_no")]["count"] == 90
    assert got[("minimization", "loans.csv", "mail")]["severity"] == "medium"
    assert got[("undeclared_dataset", "other.csv", None)]["severity"] == "high"
    for v in got.values():
        assert v["message"] and v["message_zh"] and v["remediation"] and "PIPL" in v["reference"]


def test_without_policy_only_plaintext_rule_runs():
    datasets = [_ds("x.csv", ("id_no", "CN_RESIDENT_ID", 4, 5), ("mail", "EMAIL_ADDRESS", 2, 5))]
    assert [v["rule"] for v in _evaluate_json(None, datasets)] == ["plaintext_sensitive"]
