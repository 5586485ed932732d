"""The operator registry: built-ins, an operator added from outside (API and entry point), both paths agreeing."""

from __future__ import annotations

import json
import random
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_anonymizer.entities import RecognizerResult
from presidio_anonymizer.operators import Operator

from scanner.anonymize import operators as registry
from scanner.anonymize.keys import Key
from scanner.anonymize.operators import (
    AnonymizationOperator,
    NoParams,
    OpContext,
    OperatorParams,
    RegistryError,
    ReversibleOperator,
    anonymizer_engine,
    operator_config,
)
from scanner.anonymize.rules import Rule, RulesError, load_rules
from scanner.anonymize.run import run_anonymize
from scanner.anonymize.text import TextRewriter

KEY = Key(bytes(range(32)))
BUILTINS = ["drop", "encrypt", "fpe", "generalize", "hash", "keep", "mask", "pseudonym", "redact"]
ENTITIES = ["CN_MOBILE_PHONE", "CN_RESIDENT_ID", "BANK_CARD", "EMAIL_ADDRESS", "PERSON_NAME", "ADDRESS",
            "DATE_OF_BIRTH", "IP_ADDRESS", None]


class ReverseOperator(AnonymizationOperator[NoParams]):
    """A throwaway operator from outside the package: the value backwards."""

    name = "reverse"

    def apply_value(self, entity: str | None, value: str, params: NoParams, ctx: OpContext) -> str:
        return value[::-1]


PLUGIN = textwrap.dedent('''
    from scanner.anonymize.operators import AnonymizationOperator, OperatorParams


    class ReverseParams(OperatorParams):
        marker: str = ""


    class PluginReverse(AnonymizationOperator[ReverseParams]):
        name = "reverse"
        params_model = ReverseParams

        def apply_value(self, entity, value, params, ctx):
            return params.marker + value[::-1]
''')


@pytest.fixture
def api_reverse() -> Iterator[type[ReverseOperator]]:
    """``reverse`` registered through the public API for one test."""
    registry.register(ReverseOperator)
    yield ReverseOperator
    registry.unregister("reverse")


@pytest.fixture
def plugin_reverse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Any]]:
    """``reverse`` from a throwaway distribution on sys.path, found through its entry point."""
    site = tmp_path / "site"
    info = site / "pw_reverse_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pw-reverse-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[piiwarden.operators]\nreverse = pw_reverse_plugin:PluginReverse\n")
    (site / "pw_reverse_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    assert registry.find("reverse") is None
    registry.reload_entry_points()
    yield type(registry.get("reverse"))
    registry.unregister("reverse")
    sys.modules.pop("pw_reverse_plugin", None)


def _mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "186", "150"]) + "".join(str(rng.randint(0, 9)) for _ in range(8))


def _source(root: Path) -> tuple[list[str], list[str]]:
    """A CSV with a mobile column and a log whose lines hold one or two mobiles; returns both's values."""
    rng = random.Random(5)
    root.mkdir()
    mobiles = [_mobile(rng) for _ in range(60)]
    rows = ["编号,手机号"] + [f"N{i},{m}" for i, m in enumerate(mobiles)]
    (root / "people.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    lines = [f"2024-05-0{i % 9 + 1} INFO 用户来电 手机{_mobile(rng)} 备用{_mobile(rng)} 已登记" if i % 2 else
             f"2024-05-0{i % 9 + 1} INFO 用户手机{_mobile(rng)}已核验" for i in range(40)]
    (root / "app.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return mobiles, lines


def _run(tmp_path: Path, rules_text: str) -> tuple[list[str], list[str], list[str], list[str], dict[str, Any]]:
    mobiles, lines = _source(tmp_path / "src")
    rules_path = tmp_path / "rules.yaml"
    rules_path.write_text(rules_text, encoding="utf-8")
    out = tmp_path / "out"
    result = run_anonymize([str(tmp_path / "src")], out, load_rules(rules_path), None, None, None, lambda m: None)
    assert result.record["errors"] == []
    csv_rows = (out / "people.csv").read_text(encoding="utf-8").splitlines()[1:]
    log = (out / "app.log").read_text(encoding="utf-8").splitlines()
    return mobiles, [r.split(",")[1] for r in csv_rows], lines, log, result.record


def _columns(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{ds['id']}:{col['name']}": col for ds in record["datasets"] for col in ds["columns"]}


def test_builtins_are_registered_one_class_each() -> None:
    assert set(BUILTINS) <= set(registry.names())
    for name in BUILTINS:
        op = registry.get(name)
        assert isinstance(op, Operator) and op.name == name  # a real Presidio operator
        assert op.operator_name() == f"pw_{name}" and issubclass(op.params_model, OperatorParams)
    assert {n for n in BUILTINS if registry.get(n).keyed} == {"hash", "encrypt", "fpe", "pseudonym"}
    assert [n for n in BUILTINS if registry.get(n).drops_column] == ["drop"]
    assert {n for n in BUILTINS if registry.get(n).surrogate} == {"fpe", "pseudonym"}
    assert [n for n in BUILTINS if isinstance(registry.get(n), ReversibleOperator)] == ["encrypt"]


def test_registering_a_taken_name_or_a_non_operator_is_refused(api_reverse: type[ReverseOperator]) -> None:
    class Other(ReverseOperator):
        pass

    with pytest.raises(RegistryError, match="already registered"):
        registry.register(Other)
    registry.register(ReverseOperator)  # the same class again: harmless
    with pytest.raises(RegistryError, match="not an AnonymizationOperator"):
        registry.register(dict)  # type: ignore[type-var]
    with pytest.raises(registry.UnknownOperator):
        registry.get("no_such_op")


def test_operator_registered_through_the_api_runs_end_to_end(api_reverse: type[ReverseOperator], tmp_path: Path) -> None:
    mobiles, got, lines, log, record = _run(tmp_path, "version: 1\nentities:\n  CN_MOBILE_PHONE: {op: reverse}\n")
    assert got == [m[::-1] for m in mobiles]
    assert len(log) == len(lines)
    for before, after in zip(lines, log):
        for mobile in [w for w in before.replace("手机", " ").replace("备用", " ").replace("已", " ").split()
                       if w.isdigit() and len(w) == 11]:
            assert mobile not in after and mobile[::-1] in after
    columns = _columns(record)
    assert columns["people.csv:手机号"]["rule"] == {"op": "reverse"}
    assert columns["app.log:text"]["ops_by_entity"] == {"CN_MOBILE_PHONE": "reverse"}


def test_operator_from_an_entry_point_runs_end_to_end_with_its_parameters(plugin_reverse: type[Any], tmp_path: Path) -> None:
    mobiles, got, _, log, record = _run(
        tmp_path, "version: 1\nentities:\n  CN_MOBILE_PHONE: {op: reverse, marker: R}\n")
    assert got == ["R" + m[::-1] for m in mobiles]
    assert all("手机R" in line for line in log)
    assert _columns(record)["people.csv:手机号"]["rule"] == {"op": "reverse", "marker": "R"}


def test_outside_operator_rewrites_spans_through_presidio(api_reverse: type[ReverseOperator]) -> None:
    ctx = OpContext()
    text = "手机13812345678，卡号6222021234567890"
    card = text.index("6222")
    spans = [RecognizerResult("CN_MOBILE_PHONE", 2, 13, 1.0), RecognizerResult("BANK_CARD", card, card + 16, 1.0)]
    result = anonymizer_engine().anonymize(text=text, analyzer_results=spans, operators={
        "CN_MOBILE_PHONE": operator_config(Rule(op="reverse"), ctx),
        "BANK_CARD": operator_config(Rule(op="mask"), ctx),
    })
    assert result.text == "手机87654321831，卡号622202******7890"
    rewriter = TextRewriter(lambda entity: Rule(op="reverse"), ctx)
    # Presidio merges same-entity spans that only whitespace separates: the operator gets them as one.
    assert rewriter.rewrite("两个号码13812345678 13987654321") == "两个号码" + "13812345678 13987654321"[::-1]
    assert rewriter.rewrite("手机13812345678，卡号") == "手机87654321831，卡号"


def test_rules_file_checks_op_and_parameters_against_the_registry(plugin_reverse: type[Any], tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\nentities:\n  CN_MOBILE_PHONE: {op: reverse, marker: 3}\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r":3: entities\.CN_MOBILE_PHONE\.marker: Input should be a valid string"):
        load_rules(path)
    path.write_text("version: 1\nentities:\n  CN_MOBILE_PHONE: {op: mask, marker: x}\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r":3: entities\.CN_MOBILE_PHONE: marker does not apply to op mask"):
        load_rules(path)
    path.write_text("version: 1\nentities:\n  CN_MOBILE_PHONE: {op: reversed}\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"unknown op: Input should be .*'reverse'"):
        load_rules(path)


def test_an_entry_point_whose_name_differs_from_the_operator_is_refused(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    info = site / "pw_bad_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pw-bad-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[piiwarden.operators]\nbackwards = pw_bad_plugin:PluginReverse\n")
    (site / "pw_bad_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    try:
        with pytest.raises(RegistryError, match="must be the same"):
            registry.reload_entry_points()
    finally:
        sys.modules.pop("pw_bad_plugin", None)
    assert registry.find("backwards") is None and registry.find("reverse") is None


_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=24)
_SHAPED = st.one_of(
    _TEXT,
    st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
    st.from_regex(r"\d{17}[\dX]", fullmatch=True),
    st.from_regex(r"(19|20)\d\d-[01]\d-[0-3]\d", fullmatch=True),
    st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", *[st.integers(0, 300)] * 4),
    st.builds(lambda local, domain: f"{local}@{domain}", st.text(alphabet="ab.1_张", min_size=1, max_size=6),
              st.sampled_from(["qq.com", "163.com"])),
    st.sampled_from(["广东省深圳市南山区科技园路1号", "张三", "欧阳娜娜"]),
)


@pytest.mark.parametrize("name", BUILTINS)
@settings(max_examples=60, deadline=None)
@given(values=st.lists(_SHAPED, min_size=1, max_size=20), entity=st.sampled_from(ENTITIES))
def test_value_and_array_forms_agree(name: str, values: list[str], entity: str | None) -> None:
    """What a column gets is what each of its values gets alone (a randomized operator: both reveal back)."""
    op = registry.get(name)
    ctx = OpContext(KEY)
    params = op.params_model()
    array = op.apply_array(entity, pa.array(values, type=pa.string()), params, ctx).to_pylist()
    single = [op.apply_value(entity, v, params, ctx) for v in values]
    if isinstance(op, ReversibleOperator):
        assert [op.reveal_text(t, ctx)[0] for t in array] == values == [op.reveal_text(t, ctx)[0] for t in single]
    else:
        assert array == single


def test_record_names_the_outside_operators_parameters_only_when_set(api_reverse: type[ReverseOperator], tmp_path: Path) -> None:
    _, _, _, _, record = _run(tmp_path, "version: 1\ncolumns:\n  \"people.csv:手机号\": {op: reverse}\n")
    assert json.dumps(_columns(record)["people.csv:手机号"]["rule"]) == '{"op": "reverse"}'
    assert _columns(record)["people.csv:手机号"]["rule_source"] == 'columns["people.csv:手机号"]'
