"""Custom entities: a YAML file or another package adds an entity that scan and anonymize treat as built-in.

The end-to-end tests go through the library entries the CLI calls
(``scanner.pipeline.scan_dataset``, ``scanner.anonymize.run.run_anonymize``)
with the entity registered for the duration of the test only.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors import validators as v
from detectors.entities import EntitySpec, HeaderWords, registry
from detectors.entities.custom import (
    EntitiesFileError,
    load_entities_file,
    luhn,
    mod11,
    mod97,
    register_custom,
)
from detectors.entities.registry import recognizer_classes
from detectors.headers import header_hints
from detectors.masking import mask_chars
from detectors.recognizers import PiiRecognizer
from detectors.taxonomy import ENTITY_NAMES, level_of
from scanner.anonymize.keys import Key
from scanner.anonymize.rules import Rules, RulesFile
from scanner.anonymize.run import RECORD_NAME, run_anonymize
from scanner.pipeline import ScanOptions, scan_dataset
from scanner.sources import resolve_sources

KEY = Key(bytes(range(32)), "test")
EMPLOYEE_YAML = """\
version: 1
entities:
  EMPLOYEE_ID:
    level: 2
    category: identity
    pattern: "E\\\\d{7}"
    validator: null
    headers: [工号, emp_no, employee_id]
    mask: {keep_first: 1, keep_last: 2}
"""


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _columns(path: Path) -> dict[str, dict]:
    """Column findings of one file, by column name, through the scan library entry."""
    datasets, failed = resolve_sources([str(path)])
    assert not failed and len(datasets) == 1
    result = scan_dataset(datasets[0], ScanOptions())
    return {col.name: col.to_json() for col in result.columns}


@pytest.fixture
def employee_file(tmp_path: Path) -> Path:
    path = tmp_path / "entities.yaml"
    path.write_text(EMPLOYEE_YAML, encoding="utf-8")
    return path


@pytest.fixture
def staff_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    rows = [[f"E{int(n):07d}", city] for n, city in zip(rng.integers(0, 10**7, 60), ["北京", "上海", "深圳"] * 20)]
    return _write_csv(tmp_path / "staff.csv", ["工号", "城市"], rows)


def test_yaml_employee_id_is_found_and_masked(employee_file: Path, staff_csv: Path, tmp_path: Path) -> None:
    specs = load_entities_file(employee_file)
    assert [s.name for s in specs] == ["EMPLOYEE_ID"]
    with registry.scoped(specs):
        assert header_hints("工号") == {"EMPLOYEE_ID": 1.0}
        assert header_hints("EmpNo") == {"EMPLOYEE_ID": 1.0}
        columns = _columns(staff_csv)
        assert columns["工号"]["primary_entity"] == "EMPLOYEE_ID"
        assert columns["工号"]["level"] == 2
        assert columns["城市"]["primary_entity"] is None

        out = tmp_path / "out"
        result = run_anonymize([str(staff_csv)], out, Rules(), None, None, None, lambda m: None)
        assert not result.record["errors"]
    before, after = _read_csv(staff_csv), _read_csv(out / "staff.csv")
    assert [r["工号"] for r in after] == [mask_chars(r["工号"], 1, 2) for r in before]
    assert all(a["工号"].startswith("E") and "*****" in a["工号"] for a in after)
    assert [r["城市"] for r in after] == [r["城市"] for r in before]
    record = json.loads((out / RECORD_NAME).read_text(encoding="utf-8"))
    column = next(c for c in record["datasets"][0]["columns"] if c["name"] == "工号")
    assert column["entity"] == "EMPLOYEE_ID"
    # out of scope, the entity is gone again: headers, names and recognizers
    assert registry.find("EMPLOYEE_ID") is None
    assert header_hints("工号") == {}
    assert "EMPLOYEE_ID" not in ENTITY_NAMES
    assert all(cls.ENTITY != "EMPLOYEE_ID" for cls in recognizer_classes())


def test_yaml_entity_hash_and_pseudonym_keep_shape(employee_file: Path, staff_csv: Path, tmp_path: Path) -> None:
    """Keyed operators work on a custom entity: a hash joins, a pseudonym keeps the value's shape."""
    with registry.scoped(load_entities_file(employee_file)):
        rules = Rules(RulesFile.model_validate({"entities": {"EMPLOYEE_ID": {"op": "pseudonym"}}}))
        run_anonymize([str(staff_csv)], tmp_path / "p", rules, None, KEY, None, lambda m: None)
        rules = Rules(RulesFile.model_validate({"entities": {"EMPLOYEE_ID": {"op": "hash"}}}))
        run_anonymize([str(staff_csv)], tmp_path / "h", rules, None, KEY, None, lambda m: None)
    before = [r["工号"] for r in _read_csv(staff_csv)]
    pseudo = [r["工号"] for r in _read_csv(tmp_path / "p" / "staff.csv")]
    hashed = [r["工号"] for r in _read_csv(tmp_path / "h" / "staff.csv")]
    assert all(len(p) == 8 and p[0].isalpha() and p[1:].isdigit() for p in pseudo)
    assert sum(p != b for p, b in zip(pseudo, before)) >= len(before) - 1
    assert len(set(hashed)) == len(set(before)) and not set(hashed) & set(before)


class AcmeCustomerRecognizer(PiiRecognizer):
    """ACME customer numbers: ACME- and eight digits passing Luhn."""

    ENTITY = "ACME_CUSTOMER"
    PATTERNS = [("acme", r"(?<![0-9A-Za-z])ACME-\d{8}(?![0-9A-Za-z])", 0.5)]
    CELL_REGEX = r"^ACME-\d{8}$"
    TEXT_PREFILTER = r"ACME-\d{8}"
    CHANCE = 0.1

    @staticmethod
    def validate_value(value: str) -> bool:
        return v.luhn_ok(value.removeprefix("ACME-"))


ACME = EntitySpec(
    name="ACME_CUSTOMER",
    level=3,
    category="identity",
    label_zh="客户编号",
    label_en="ACME customer number",
    recognizer=AcmeCustomerRecognizer,
    sensitive=True,
    headers=HeaderWords(zh=(("客户编号", 1.0),), phrases=((("customer", "no"), 1.0),)),
    mask=(5, 0),
)


def _acme_numbers(n: int) -> list[str]:
    return [f"ACME-{body}{v.luhn_check_digit(body)}" for body in (f"{1000003 + 7919 * i:07d}" for i in range(n))]


def test_entity_registered_through_public_api_end_to_end(tmp_path: Path) -> None:
    csv_path = _write_csv(tmp_path / "crm.csv", ["客户编号", "备注"],
                          [[n, "ok"] for n in _acme_numbers(40)])
    with registry.scoped([ACME]):
        assert registry.is_sensitive("ACME_CUSTOMER") and level_of("ACME_CUSTOMER") == 3
        assert AcmeCustomerRecognizer in recognizer_classes()
        found = _columns(csv_path)["客户编号"]
        assert found["primary_entity"] == "ACME_CUSTOMER" and found["level"] == 3
        samples = found["samples_masked"]
        assert samples and all(s.startswith("ACME-") and s.endswith("***") for s in samples)
        run_anonymize([str(csv_path)], tmp_path / "out", Rules(), None, None, None, lambda m: None)
    masked = [r["客户编号"] for r in _read_csv(tmp_path / "out" / "crm.csv")]
    assert masked == [mask_chars(n, 5, 0) for n in _acme_numbers(40)]
    assert registry.find("ACME_CUSTOMER") is None


def test_entity_from_an_installed_distribution_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A throwaway distribution on sys.path declares a ``piiwarden.entities`` entry point."""
    (tmp_path / "acme_entities.py").write_text(
        "from detectors.entities import EntitySpec, HeaderWords\n"
        "from detectors.entities.custom import make_recognizer\n"
        "SPEC = EntitySpec(name='ACME_BADGE', level=2, category='identity', label_zh='工牌', label_en='Badge',\n"
        "                  recognizer=make_recognizer('ACME_BADGE', r'B\\d{6}', None, ['badge']),\n"
        "                  headers=HeaderWords(zh=(('工牌', 1.0),), en=(('badge', 1.0),)))\n",
        encoding="utf-8")
    dist = tmp_path / "acme_entities-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-entities\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[piiwarden.entities]\nbadge = acme_entities:SPEC\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    csv_path = _write_csv(tmp_path / "badges.csv", ["badge"], [[f"B{100000 + 37 * i}"] for i in range(30)])
    try:
        registry.reload()
        assert registry.get("ACME_BADGE").label_en == "Badge"
        assert _columns(csv_path)["badge"]["primary_entity"] == "ACME_BADGE"
    finally:
        monkeypatch.delitem(sys.modules, "acme_entities", raising=False)
        monkeypatch.undo()
        registry.reload()
    assert registry.find("ACME_BADGE") is None


def test_register_custom_refuses_a_second_entity_of_one_name(employee_file: Path) -> None:
    specs = load_entities_file(employee_file)
    try:
        register_custom(specs)
        with pytest.raises(registry.EntityRegistryError):
            register_custom(specs)
        with pytest.raises(EntitiesFileError, match=r"entities\.EMPLOYEE_ID: already an entity"):
            load_entities_file(employee_file)
    finally:
        registry.unregister("EMPLOYEE_ID")


BAD_FILES = [
    ('    pattern: "E(\\\\d{7}"\n', 5, "EMPLOYEE_ID.pattern", "invalid regular expression"),
    ('    pattern: "(?<=x)E\\\\d{7}"\n', 5, "EMPLOYEE_ID.pattern", "not RE2 syntax"),
    ('    pattern: "E?"\n', 5, "EMPLOYEE_ID.pattern", "matches the empty string"),
    ('    pattern: "E\\\\d{7}"\n    validator: crc32\n', 6, "EMPLOYEE_ID.validator", "unknown validator"),
    ('    pattern: "E\\\\d{7}"\n    colour: blue\n', 6, "EMPLOYEE_ID.colour", "unknown key"),
    ('    pattern: "E\\\\d{7}"\n    mask: {keep_first: -1}\n', 6, "EMPLOYEE_ID.mask.keep_first", "greater than"),
    ('    pattern: "E\\\\d{7}"\n    headers: [a b c d e]\n', 6, "EMPLOYEE_ID.headers", "1 to 3 English words"),
]


@pytest.mark.parametrize(("tail", "line", "field", "problem"), BAD_FILES)
def test_bad_entities_file_names_file_line_and_field(tmp_path: Path, tail: str, line: int, field: str,
                                                     problem: str) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(f"version: 1\nentities:\n  EMPLOYEE_ID:\n    level: 2\n{tail}    category: identity\n",
                    encoding="utf-8")
    with pytest.raises(EntitiesFileError) as err:
        load_entities_file(path)
    assert str(err.value).startswith(f"{path}:{line}: entities.{field}: ")
    assert problem in str(err.value)


@pytest.mark.parametrize(("text", "line", "field", "problem"), [
    ("version: 1\nentities:\n  EMPLOYEE_ID:\n    level: 7\n    category: identity\n    pattern: E\\d{7}\n",
     4, "entities.EMPLOYEE_ID.level", "less than or equal to 4"),
    ("version: 1\nentities:\n  EMPLOYEE_ID:\n    level: 0\n    category: identity\n    pattern: E\\d{7}\n",
     4, "entities.EMPLOYEE_ID.level", "greater than or equal to 1"),
    ("version: 1\nentities:\n  employee-id:\n    level: 2\n    category: identity\n    pattern: E\\d{7}\n",
     3, "entities.employee-id", "upper snake case"),
    ("version: 1\nentities:\n  CN_USCC:\n    level: 2\n    category: identity\n    pattern: E\\d{7}\n",
     3, "entities.CN_USCC", "already an entity"),
    ("version: 1\nentities:\n  EMPLOYEE_ID:\n    category: identity\n    pattern: E\\d{7}\n",
     4, "entities.EMPLOYEE_ID.level", "Field required"),
    ("version: 2\nentities: {}\n", 1, "version", "Input should be 1"),
])
def test_bad_entity_blocks(tmp_path: Path, text: str, line: int, field: str, problem: str) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EntitiesFileError) as err:
        load_entities_file(path)
    assert str(err.value).startswith(f"{path}:{line}: {field}")
    assert problem in str(err.value)


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text("entities: [unclosed\n", encoding="utf-8")
    with pytest.raises(EntitiesFileError, match=r"entities\.yaml:\d+: not valid YAML"):
        load_entities_file(path)
    path.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(EntitiesFileError, match="not a mapping"):
        load_entities_file(path)


def test_deeply_nested_yaml_is_the_one_error(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text("entities: " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    with pytest.raises(EntitiesFileError, match="nested too deeply"):
        load_entities_file(path)


def test_builtin_validators() -> None:
    assert mod11("11010519491231002X") and not mod11("110105194912310021")
    assert mod97("GB82 WEST 1234 5698 7654 32") and not mod97("GB82WEST12345698765433")
    assert luhn("4539 1488 0343 6467") and not luhn("4539148803436468")
    assert not luhn("") and not mod11("") and not mod97("")


def test_custom_recognizer_validates_vectorized_like_scalar(employee_file: Path) -> None:
    (spec,) = load_entities_file(employee_file)
    values = pa.array(["E1234567", "E123456", "x", "E12345678"])
    assert spec.validate_array(values).tolist() == [spec.validate(x) for x in values.to_pylist()]
    assert spec.recognizer is not None and spec.recognizer.CELL_REGEX == r"^(?:E\d{7})$"


_YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.text(max_size=12),
                          st.sampled_from(["E\\d{7}", "(", "[a-", "luhn", "mod97", "identity", "工号", "*"]))
_YAML_VALUES = st.recursive(_YAML_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["version", "entities", "level", "category", "pattern", "validator",
                                     "headers", "mask", "keep_first", "keep_last", "EMPLOYEE_ID", "X", "bad-name"]),
                    inner, max_size=5)), max_leaves=12)


def _load_text(text: str) -> list[EntitySpec]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "entities.yaml"
        path.write_text(text, encoding="utf-8")
        return load_entities_file(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), _YAML_VALUES.map(lambda d: yaml.safe_dump(d, allow_unicode=True))))
def test_loader_gives_specs_or_its_one_error(text: str) -> None:
    """Whatever the text, the loader returns specs or raises EntitiesFileError, nothing else."""
    try:
        specs = _load_text(text)
    except EntitiesFileError as exc:
        assert str(exc).startswith(tempfile.gettempdir())
    else:
        assert all(isinstance(s, EntitySpec) for s in specs)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_loader_any_pattern(pattern: str) -> None:
    """Any pattern text is either accepted (and then usable by RE2 and regex) or one located error."""
    text = yaml.safe_dump({"version": 1, "entities": {"X_ID": {"level": 1, "category": "identity",
                                                               "pattern": pattern}}}, allow_unicode=True)
    try:
        (spec,) = _load_text(text)
    except EntitiesFileError as exc:
        assert "entities.X_ID.pattern" in str(exc)
    else:
        assert spec.recognizer is not None
        spec.validate_array(pa.array(["E1234567", pattern]))
