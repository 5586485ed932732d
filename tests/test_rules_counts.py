"""retention and minor_data: vectorized date parsing, exact full-pass counts, the rules and exit codes."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detectors.validators import resident_id_check_char
from scanner.cli import app
from scanner.connectors.base import Dataset
from scanner.model import DatasetResult
from scanner.policy.checks import years_before
from scanner.policy.counts import attach_policy_checks
from scanner.policy.dates import birth_dates_from_ids, parse_dates, ymd_to_dates
from scanner.policy.model import Policy, load_policy
from scanner.policy.rules import evaluate

AS_OF = dt.date(2026, 3, 31)
runner = CliRunner()



def _evaluate_json(policy: Policy | None, datasets: list[dict]) -> list[dict]:
    """The rules over findings.json-shaped dataset entries, violations as findings.json writes them."""
    return [v.to_json() for v in evaluate(policy, [DatasetResult.from_json(d) for d in datasets])]

def _resident_id(birth: dt.date, rng: random.Random, region: str = "440304") -> str:
    body = f"{region}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + resident_id_check_char(body)


def _dataset(ds_id: str, batches: list[pa.RecordBatch]) -> Dataset:
    def open_batches() -> Iterator[pa.RecordBatch]:
        yield from batches

    return Dataset(id=ds_id, source="mem", format="csv", open_batches=open_batches)


def _ds_json(ds_id: str, *cols: tuple[str, str | None, int]) -> dict:
    return {"id": ds_id, "errors": [], "columns": [
        {"name": n, "primary_entity": e, "level": lvl, "free_text": False,
         "entities": [{"entity": e, "matches": 1}] if e else []}
        for n, e, lvl in cols
    ]}


def _checked(policy: Policy | None, items: list[tuple[str, list[pa.RecordBatch], dict]],
             expect_errors: list | None = None) -> list[dict]:
    """attach_policy_checks over dataset entries: the entries as findings.json then has them."""
    results, errors = attach_policy_checks(
        policy, [(_dataset(name, batches), DatasetResult.from_json(ds)) for name, batches, ds in items], AS_OF)
    if expect_errors is not None:
        assert errors == expect_errors
    return [r.to_json() for r in results]


# --- parsing ---------------------------------------------------------------------------------------------


def test_parse_dates_reads_every_supported_string_shape():
    values = ["2024-03-05", "2021/4/14", "2024年3月5日", "2024.3.5", "20240305", " 2024-03-05T10:00:00+08:00 ",
              "2024-03-05 10:00:00", "1709596800", "1709596800000"]
    parsed = parse_dates(pa.array(values))
    got = parsed.dates.to_pylist()
    assert got[:7] == [dt.date(2024, 3, 5), dt.date(2021, 4, 14)] + [dt.date(2024, 3, 5)] * 5
    assert got[7:] == [dt.date(2024, 3, 5)] * 2  # epoch seconds and milliseconds as text
    assert parsed.missing == 0 and parsed.unparseable == 0


def test_parse_dates_counts_missing_and_unparseable_without_raising():
    values = [None, "", "   ", "2024-02-30", "2023-13-01", "not a date", "05/03/2024", "0000-00-00", "2024-02-29"]
    parsed = parse_dates(pa.array(values))
    assert parsed.missing == 3
    assert parsed.unparseable == 5
    assert parsed.dates.to_pylist()[-1] == dt.date(2024, 2, 29)
    assert parsed.parsed == 1


def test_parse_dates_reads_native_and_numeric_types():
    day = dt.date(2024, 3, 5)
    assert parse_dates(pa.array([day, None], pa.date32())).dates.to_pylist() == [day, None]
    stamps = pa.array([dt.datetime(2024, 3, 5, 13, 30)], pa.timestamp("ms"))
    assert parse_dates(stamps).dates.to_pylist() == [day]
    numbers = parse_dates(pa.array([1709596800, 1709596800000, 20240305, None], pa.int64()))
    assert numbers.dates.to_pylist() == [day, day, day, None] and numbers.missing == 1
    assert parse_dates(pa.array([1709596800.5])).dates.to_pylist() == [day]
    lists = parse_dates(pa.array([["2024-03-05"], None]))
    assert lists.unparseable == 1 and lists.missing == 1


def test_birth_dates_from_18_and_15_digit_ids():
    ids = ["44030419900307123X", "44030419900307123x", "310115200108150641", "130503670401001",
           "110105********002X", "440304199002301232", None, "abc"]
    parsed = birth_dates_from_ids(pa.array(ids))
    assert parsed.dates.to_pylist()[:4] == [dt.date(1990, 3, 7), dt.date(1990, 3, 7), dt.date(2001, 8, 15),
                                            dt.date(1967, 4, 1)]
    assert parsed.missing == 1
    assert parsed.unparseable == 3  # masked, Feb 30, not an ID
    as_ints = birth_dates_from_ids(pa.array([130503670401001], pa.int64()))
    assert as_ints.dates.to_pylist() == [dt.date(1967, 4, 1)]
    in_text = birth_dates_from_ids(pa.array(["客户证件 310115201508150641 已核验", "无"]), free_text=True)
    assert in_text.dates.to_pylist() == [dt.date(2015, 8, 15), None]
    assert in_text.missing == 1 and in_text.unparseable == 0  # text without an ID is not a bad ID


def test_years_before_handles_leap_day():
    assert years_before(dt.date(2028, 2, 29), 14) == dt.date(2014, 2, 28)
    assert years_before(AS_OF, 14) == dt.date(2012, 3, 31)


# --- exact counts over the whole stream ----------------------------------------------------------------------


def _expected_minors(births: list[dt.date | None]) -> int:
    cutoff = years_before(AS_OF, 14)
    return sum(1 for b in births if b is not None and cutoff < b <= AS_OF)


def test_counts_are_exact_over_every_batch_and_boundaries_hold():
    rng = random.Random(5)
    cutoff = AS_OF - dt.timedelta(days=365)
    born_limit = years_before(AS_OF, 14)
    batches, births, dates = [], [], []
    for b in range(4):
        day_list = [AS_OF - dt.timedelta(days=rng.randint(0, 800)) for _ in range(2500)]
        birth_list = [dt.date(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 13000)) for _ in range(2500)]
        if b == 0:  # the exact boundaries: not over / over, not minor / minor
            day_list[:2] = [cutoff, cutoff - dt.timedelta(days=1)]
            birth_list[:2] = [born_limit, born_limit + dt.timedelta(days=1)]
        fmt = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d"][b]
        cols = {"created": [d.strftime(fmt) for d in day_list], "sfzh": [_resident_id(x, rng) for x in birth_list]}
        if b == 3:  # a later batch without the retention column (e.g. sparse JSON)
            cols.pop("created")
        else:
            dates += day_list
        births += birth_list
        batches.append(pa.RecordBatch.from_pydict(cols))
    policy = Policy.model_validate({"datasets": [{"match": "t.csv", "allowed_entities": ["CN_RESIDENT_ID"],
                                                  "retention": {"column": "created", "max_age_days": 365}}]})
    ds = _ds_json("t.csv", ("created", None, 0), ("sfzh", "CN_RESIDENT_ID", 4))
    ds = _checked(policy, [("t.csv", batches, ds)], expect_errors=[])[0]
    checks = {c["rule"]: c for c in ds["policy_checks"]}
    assert checks["retention"]["over_limit"] == sum(1 for d in dates if d < cutoff)
    assert checks["retention"]["rows"] == 10_000 and checks["retention"]["missing"] == 2500
    assert checks["minor_data"]["minors"] == _expected_minors(births)
    assert checks["minor_data"]["born_after"] == born_limit.isoformat()


def test_minor_data_from_a_date_of_birth_column():
    births = [dt.date(2015, 6, 1), dt.date(1980, 1, 2), dt.date(2013, 1, 1), None, dt.date(2030, 1, 1)]
    text = [b.isoformat() if b else None for b in births] + ["unknown"]
    batch = pa.RecordBatch.from_pydict({"csrq": text})
    ds = _ds_json("kids.csv", ("csrq", "DATE_OF_BIRTH", 3))
    ds = _checked(None, [("kids.csv", [batch], ds)])[0]
    (check,) = ds["policy_checks"]
    assert check["minors"] == 2 and check["missing"] == 1
    assert check["unparseable"] == 2  # "unknown" and a birth date after as_of
    (v,) = _evaluate_json(None, [ds])
    assert v["rule"] == "minor_data" and v["count"] == 2 and v["column"] == "csrq"
    assert v["severity"] == "high"  # level 3, raised to at least high anyway
    assert v["unparseable"] == 2 and "2" in v["message"]


def test_retention_uses_default_age_and_reports_missing_column():
    policy = Policy.model_validate({
        "defaults": {"retention": {"max_age_days": 30}},
        "datasets": [{"match": "a.csv", "retention": {"column": "Updated"}},
                     {"match": "b.csv", "retention": {"column": "gone", "max_age_days": 10}}],
    })
    old = (AS_OF - dt.timedelta(days=31)).isoformat()
    a = _ds_json("a.csv", ("updated", None, 0))
    b = _ds_json("b.csv", ("x", None, 0))
    batch = pa.RecordBatch.from_pydict({"updated": [old, AS_OF.isoformat(), "??"]})
    a, b = _checked(policy, [("a.csv", [batch], a), ("b.csv", [batch], b)])
    (ca,), (cb,) = a["policy_checks"], b["policy_checks"]
    assert (ca["column"], ca["max_age_days"], ca["over_limit"], ca["unparseable"]) == ("updated", 30, 1, 1)
    assert cb["status"] == "column_missing"
    (v,) = _evaluate_json(policy, [a, b])
    assert v["rule"] == "retention" and v["count"] == 1 and v["severity"] == "high"
    assert v["unparseable"] == 1 and "1 non-empty values could not be read" in v["message"]


def test_retention_and_minor_violations_carry_both_languages_and_pipl():
    policy = Policy.model_validate({"datasets": [{"match": "*", "allowed_entities": ["CN_RESIDENT_ID"]}]})
    ds = _ds_json("s.csv", ("id", "CN_RESIDENT_ID", 4), ("d", None, 0))
    ds["policy_checks"] = [
        {"rule": "retention", "column": "d", "status": "ok", "max_age_days": 5, "cutoff": "2026-03-26", "rows": 9,
         "over_limit": 4, "missing": 0, "unparseable": 0},
        {"rule": "minor_data", "column": "id", "entity": "CN_RESIDENT_ID", "status": "ok", "minor_age": 14,
         "born_after": "2012-03-31", "rows": 9, "minors": 3, "missing": 0, "unparseable": 0},
    ]
    got = {v["rule"]: v for v in _evaluate_json(policy, [ds]) if v["rule"] in ("retention", "minor_data")}
    assert got["retention"]["severity"] == "critical"  # the dataset holds level-4 data
    assert got["minor_data"]["severity"] == "critical" and got["minor_data"]["count"] == 3
    for v in got.values():
        assert v["message"] and v["message_zh"] and v["remediation"] and v["remediation_zh"]
        assert "PIPL" in v["reference"] and "个人信息保护法" in v["reference"]
    assert "未满 14 周岁" in got["minor_data"]["message_zh"]


# --- end to end: sample mode still counts every row ----------------------------------------------------


@pytest.fixture
def big_csv(tmp_path: Path) -> tuple[Path, Path, int, int]:
    """30,000 rows (far more than the sample) with ID numbers and dates; returns dir, policy and the truth."""
    rng = random.Random(9)
    lines = ["学号,身份证号,入学日期"]
    minors = expired = 0
    cutoff = AS_OF - dt.timedelta(days=1825)
    for i in range(30_000):
        birth = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randint(0, 11000))
        day = AS_OF - dt.timedelta(days=rng.randint(0, 4000))
        minors += _expected_minors([birth])
        expired += day < cutoff
        shown = day.strftime(rng.choice(["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]))
        lines.append(f"S{i:06d},{_resident_id(birth, rng)},{shown}")
    d = tmp_path / "data"
    d.mkdir()
    (d / "students.csv").write_text("\n".join(lines), encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: students.csv\n    purpose: school\n"
                      "    allowed_entities: [CN_RESIDENT_ID]\n    retention: {column: 入学日期}\n", encoding="utf-8")
    return d, policy, minors, expired


def test_sample_mode_counts_come_from_the_full_stream(big_csv, tmp_path, validate_findings):
    d, policy, minors, expired = big_csv
    out = tmp_path / "out"
    result = runner.invoke(app, ["scan", str(d), "--policy", str(policy), "--as-of", AS_OF.isoformat(),
                                 "--sample-rows", "500", "-o", str(out)])
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    validate_findings(findings)
    assert findings["datasets"][0]["rows_scanned"] == 500
    got = {v["rule"]: v for v in findings["violations"]}
    assert got["minor_data"]["count"] == minors and got["minor_data"]["column"] == "身份证号"
    assert got["retention"]["count"] == expired and got["retention"]["column"] == "入学日期"


def test_fail_on_treats_retention_as_at_least_high(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "sku.csv").write_text("sku,updated\n" + "\n".join(f"A{i},2001-01-0{i % 9 + 1}" for i in range(40)),
                               encoding="utf-8")
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\ndatasets:\n  - match: sku.csv\n    retention: {column: updated}\n", encoding="utf-8")
    base = ["scan", str(d), "--policy", str(policy), "--as-of", "2026-03-31"]
    high = runner.invoke(app, [*base, "-o", str(tmp_path / "a"), "--fail-on", "high"])
    assert high.exit_code == 1, high.output
    assert runner.invoke(app, [*base, "-o", str(tmp_path / "b"), "--fail-on", "critical"]).exit_code == 0
    findings = json.loads((tmp_path / "a" / "findings.json").read_text(encoding="utf-8"))
    assert [(v["rule"], v["severity"], v["count"]) for v in findings["violations"]] == [("retention", "high", 40)]


def test_policy_example_with_retention_loads(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\ndefaults:\n  retention: {max_age_days: 90}\n  minor_age: 16\n"
                    "datasets:\n  - match: '*.csv'\n    retention: {column: at}\n", encoding="utf-8")
    policy = load_policy(path)
    assert policy.defaults.minor_age == 16 and policy.datasets[0].retention is not None


_PART = st.one_of(st.none(), st.integers(0, 10000).map(str), st.integers(0, 40).map(lambda n: f"{n:02d}"),
                  st.sampled_from(["", "1a", "00", "0229", "x"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PART, _PART, _PART), min_size=1, max_size=40))
def test_ymd_to_dates_agrees_with_the_calendar(parts):
    """Digit strings become the date Python's calendar gives, anything impossible becomes null."""
    years, months, days = (pa.array(list(col), type=pa.string()) for col in zip(*parts))

    def expected(y, m, d):
        try:
            ok = all(p is not None and p.isascii() and p.isdigit() and len(p) <= 4 for p in (y, m, d))
            return dt.date(int(y), int(m), int(d)) if ok else None
        except ValueError:
            return None

    assert ymd_to_dates(years, months, days).to_pylist() == [expected(*p) for p in parts]


_ID_LIKE = st.one_of(
    st.text(alphabet="0123456789", min_size=18, max_size=18),
    st.text(alphabet="0123456789", min_size=17, max_size=17).map(lambda s: s + "X"),
    st.text(alphabet="0123456789", min_size=15, max_size=15),
    st.builds(lambda y, m, d: f"440304{y:04d}{m:02d}{d:02d}123X", st.integers(0, 9999), st.integers(0, 13),
              st.integers(0, 32)),
    st.text(alphabet="0123456789X *", max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), _ID_LIKE), min_size=1, max_size=30))
def test_birth_dates_from_ids_agree_with_the_calendar(ids):
    """The byte-matrix reading gives what slicing the ID and asking Python's calendar gives."""

    def expected(value):
        if value is None:
            return None
        value = value.strip().upper()
        if len(value) == 18 and value[:17].isdigit() and value[17] in "0123456789X":
            y, m, d = value[6:10], value[10:12], value[12:14]
        elif len(value) == 15 and value.isdigit():
            y, m, d = "19" + value[6:8], value[8:10], value[10:12]
        else:
            return None
        try:
            return dt.date(int(y), int(m), int(d))
        except ValueError:
            return None

    assert birth_dates_from_ids(pa.array(ids, type=pa.string())).dates.to_pylist() == [expected(v) for v in ids]


def test_small_batches_are_gathered_before_counting():
    """The CSV reader's small batches are counted in bigger steps; totals stay exact, schemas are respected."""
    from scanner.policy.counts import _rebatched

    small = [pa.record_batch({"a": [str(i) for i in range(j * 7, j * 7 + 7)]}) for j in range(10)]
    other = pa.record_batch({"b": ["x"] * 3})
    out = list(_rebatched(iter([*small, other, *small[:2]]), rows=20))
    assert [b.num_rows for b in out] == [21, 21, 21, 7, 3, 14]
    assert [b.schema.names for b in out][-2:] == [["b"], ["a"]]
    assert sum((b.column(0).to_pylist() for b in out[:4]), []) == [str(i) for i in range(70)]
