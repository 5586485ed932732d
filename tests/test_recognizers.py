"""Every recognizer: true spans, false spans and hard negatives, through Presidio itself."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

from detectors.classify import ColumnProfile
from detectors.engine import build_nlp_engine, get_analyzer
from detectors.entities.registry import recognizer_classes, recognizers_for
from detectors.validators import USCC_ALPHABET, is_valid_uscc, uscc_check_char


def found(text: str, lang: str = "zh") -> set[tuple[str, str]]:
    return {(r.entity_type, text[r.start : r.end]) for r in get_analyzer().analyze(text, language=lang)}


@pytest.mark.parametrize(
    ("text", "lang", "entity", "span"),
    [
        ("身份证号13010220070618482X请核对", "zh", "CN_RESIDENT_ID", "13010220070618482X"),
        ("我的手机号是+86 138-1234-5678", "zh", "CN_MOBILE_PHONE", "+86 138-1234-5678"),
        ("座机010-62345678转12", "zh", "CN_LANDLINE_PHONE", "010-62345678转12"),
        ("卡号6228 4833 7844 1706 436", "zh", "BANK_CARD", "6228 4833 7844 1706 436"),
        ("mail to wei_hu3505@126.com now", "en", "EMAIL_ADDRESS", "wei_hu3505@126.com"),
        ("client 2001:db8::8a2e:370:7334 connected", "en", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("营业执照91110000600037341L", "zh", "CN_USCC", "91110000600037341L"),
        ("SSN 821-56-8010 on file", "en", "US_SSN", "821-56-8010"),
        ("护照号E87998110", "zh", "CN_PASSPORT", "E87998110"),
        ("港澳通行证C12345678", "zh", "CN_TRAVEL_PERMIT", "C12345678"),
        ("车牌粤B·D12345违停", "zh", "CN_LICENSE_PLATE", "粤B·D12345"),
        ("请联系欧阳娜娜", "zh", "PERSON_NAME", "欧阳娜娜"),
        ("Please ask Elizabeth Johnson", "en", "PERSON_NAME", "Elizabeth Johnson"),
        ("寄到山东省青岛市市南区建设大道646号21栋3单元407室", "zh", "ADDRESS", "山东省青岛市市南区建设大道646号21栋3单元407室"),
        ("ship to 1600 Pennsylvania Ave, Washington, DC 20500", "en", "ADDRESS", "1600 Pennsylvania Ave, Washington, DC 20500"),
        ("call (488) 626-3766 or +852 2123 4567", "en", "PHONE_NUMBER", "+852 2123 4567"),
        ("config password=hunter22x", "en", "CREDENTIAL", "hunter22x"),
        ("token ghp_" + "a1B2" * 9, "en", "CREDENTIAL", "ghp_" + "a1B2" * 9),
    ],
)
def test_true_spans(text, lang, entity, span):
    assert (entity, span) in found(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("订单号202411183072898955已发货", "zh"),  # 18-digit order number: fails the ID checks
        ("QQ号 2837461928", "zh"),  # 10-digit QQ number
        ("运单号SF1234567890123", "zh"),  # tracking number glued to letters
        ("version 1.2.3.4 released", "en"),  # dotted quad with a leading version word is fine... but 1.2.3.4 validates
        ("sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "en"),
        ("meeting at 10:00:00 and std::string", "en"),
        ("好的谢谢，黄金会员已开通", "zh"),
        ("order 1234567890123456 shipped", "en"),  # random 16 digits: Luhn decides per value
    ],
)
def test_hard_negatives(text, lang):
    spans = found(text, lang)
    if text.startswith("version"):
        # an IPv4-shaped version string validates as an address span; columns decide by context
        assert {e for e, _ in spans} <= {"IP_ADDRESS"}
        return
    if text.startswith("QQ号"):
        # no phone and no ID; since the second round a QQ number after 'QQ号' is an IM_ACCOUNT (ENTITIES.md)
        assert spans == {("IM_ACCOUNT", "2837461928")}
        return
    if text.startswith("order 1234567890123456"):
        assert spans <= {("BANK_CARD", "1234567890123456")}
        return
    assert spans == set(), spans


def _column(name: str, values: list[str]) -> str | None:
    profile = ColumnProfile(name)
    profile.update(pa.array(values))
    return profile.result().primary_entity


rng = random.Random(3)


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("ref", [f"{rng.randint(10**17, 10**18 - 1)}" for _ in range(1000)]),  # random 18-digit ids
        ("qq", [str(rng.randint(10**8, 10**10)) for _ in range(1000)]),  # QQ numbers
        ("waybill", [f"SF{rng.randint(10**11, 10**12 - 1)}" for _ in range(500)]),
        ("version", [f"{rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}" for _ in range(500)]),
        ("sha", [f"{rng.getrandbits(256):064x}" for _ in range(500)]),
        ("level", ["黄金会员", "白银会员", "钻石会员", "普通会员"] * 100),
        ("dept", ["财务部", "市场部", "人事部", "技术部"] * 100),
        ("created_at", [f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(500)]),
        ("code", [f"E{rng.randint(10**7, 10**8 - 1)}" for _ in range(500)]),  # passport-shaped codes, no header
        ("status", ["已完成", "处理中", "已取消"] * 200),
        ("title", ["白色T恤", "Apple Watch", "蓝牙耳机", "New York Times"] * 100),
        ("phone", [f"{rng.getrandbits(128):032x}" for _ in range(300)]),  # header says phone, values say hash
    ],
)
def test_hard_negative_columns(name, values):
    # A 'qq' column of QQ numbers is no phone column; since the second round it is IM_ACCOUNT (ENTITIES.md).
    assert _column(name, values) == ("IM_ACCOUNT" if name == "qq" else None)


def test_every_recognizer_loads_into_a_users_own_analyzer():
    """A Presidio user can register piiwarden's recognizers in their own AnalyzerEngine."""
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in recognizers_for("en"):
        registry.add_recognizer(recognizer)
    engine = AnalyzerEngine(registry=registry, nlp_engine=build_nlp_engine(("en",)), supported_languages=["en"])
    results = engine.analyze("ID 44030419900307123X, card 6228480402564890018", language="en")
    assert {r.entity_type for r in results} >= {"CN_RESIDENT_ID", "BANK_CARD"}
    assert {cls.ENTITY for cls in recognizer_classes()} == {
        "CN_RESIDENT_ID", "BANK_CARD", "CN_MOBILE_PHONE", "CN_LANDLINE_PHONE", "EMAIL_ADDRESS", "IP_ADDRESS",
        "CN_USCC", "US_SSN", "CN_PASSPORT", "CN_TRAVEL_PERMIT", "CN_LICENSE_PLATE", "PERSON_NAME", "ADDRESS",
        "DATE_OF_BIRTH", "PHONE_NUMBER", "CREDENTIAL",
        # added in the second round (ENTITIES.md "Added")
        "HK_ID_CARD", "MO_ID_CARD", "TW_ID_CARD", "IMEI", "VIN", "GEO_COORDINATE", "RELIGION", "HEALTH",
        "FINANCIAL_STATUS", "ETHNICITY", "MAC_ADDRESS", "IM_ACCOUNT"}


uscc_body = st.tuples(
    st.sampled_from("159"), st.sampled_from("123"), st.sampled_from(["110000", "440300", "310115", "510107"]),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
).map(lambda t: "".join(t))


@given(uscc_body)
def test_generated_uscc_validates(body):
    assert is_valid_uscc(body + uscc_check_char(body))


@given(uscc_body, st.integers(0, 16), st.sampled_from(USCC_ALPHABET))
def test_any_uscc_change_breaks_the_check(body, pos, ch):
    code = body + uscc_check_char(body)
    changed = code[:pos] + ch + code[pos + 1 :]
    if changed != code:
        assert not is_valid_uscc(changed)


@pytest.mark.parametrize("code", ["91110000600037341L", "91440300123456788M", "92310115MA1GT3K581"])
def test_uscc_known_valid(code):
    assert is_valid_uscc(code)


@pytest.mark.parametrize("code", ["91110000600037341M", "9111000060003734IL", "91110000600037341", "ZZ110000600037341L"])
def test_uscc_known_invalid(code):
    assert not is_valid_uscc(code)
