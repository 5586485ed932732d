"""The second round's entities (ENTITIES.md "Added"): true values, bad checksums, hard negatives, columns, free text.

Checksummed values are generated here with the rules written out again
(not by calling the entity modules), so a wrong rule in an entity file
cannot agree with itself. Every column case is one column of one table,
scanned once for the module.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.classify import shared_recognizers
from detectors.entities import registry
from detectors.freetext import find_spans, resolve_overlaps
from scanner import api
from scanner.anonymize import operators as op_registry
from scanner.anonymize.keys import Key
from scanner.anonymize.operators import OpContext

ROOT = Path(__file__).resolve().parent.parent
ADDED = {  # name: (level, sensitive, category), as ENTITIES.md "Added (second round)" lists them
    "HK_ID_CARD": (4, True, "identity"), "MO_ID_CARD": (4, True, "identity"), "TW_ID_CARD": (4, True, "identity"),
    "IMEI": (3, False, "device"), "VIN": (3, False, "identity"), "GEO_COORDINATE": (3, True, "location"),
    "RELIGION": (3, True, "sensitive"), "HEALTH": (3, True, "sensitive"), "FINANCIAL_STATUS": (3, True, "financial"),
    "ETHNICITY": (3, False, "demographic"), "MAC_ADDRESS": (2, False, "device"), "IM_ACCOUNT": (2, False, "contact"),
}
RNG = random.Random(16)
DIGITS = "0123456789"


# --------------------------------------------------------- reference rules ----

def hk_id(letters: str, digits: str, paren: bool = True) -> str:
    """ENTITIES.md: A=10..Z=35, missing second letter 36, weights 9..2, sum + check ≡ 0 (mod 11), A = 10."""
    codes = ([36] if len(letters) == 1 else []) + [ord(c) - ord("A") + 10 for c in letters] + [int(d) for d in digits]
    total = sum(w * c for w, c in zip([9, 8, 7, 6, 5, 4, 3, 2], codes))
    check = (-total) % 11
    char = "A" if check == 10 else str(check)
    return f"{letters}{digits}({char})" if paren else f"{letters}{digits}{char}"


TW_CODES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36)))


def tw_id(letter: str, body8: str) -> str:
    """Letter code's two digits then nine digits, weights 1 9 8 7 6 5 4 3 2 1 1, sum ≡ 0 (mod 10)."""
    code = TW_CODES[letter]
    head = [code // 10, code % 10] + [int(d) for d in body8]
    partial = sum(w * d for w, d in zip([1, 9, 8, 7, 6, 5, 4, 3, 2, 1], head))
    return f"{letter}{body8}{(-partial) % 10}"


VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
VIN_VALUE = {**{d: int(d) for d in DIGITS}, **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))),
             "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}


def vin(body: str) -> str:
    """A 17-character VIN whose 9th character is made the check digit of the rest."""
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    total = sum(VIN_VALUE[c] * w for c, w in zip(body, weights))
    check = "X" if total % 11 == 10 else str(total % 11)
    return body[:8] + check + body[9:]


def luhn_complete(partial: str) -> str:
    for d in DIGITS:
        total = 0
        for i, ch in enumerate(reversed(partial + d)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return partial + d
    raise AssertionError


def rand_digits(n: int) -> str:
    return "".join(RNG.choice(DIGITS) for _ in range(n))


def rand_vin() -> str:
    body = [RNG.choice(VIN_ALPHABET) for _ in range(17)]
    body[9] = RNG.choice("ABCDEFGHJKLMNPRSTVWXY123456789")  # a model-year character
    body[0], body[5] = RNG.choice("JKLSVWZ12345"), RNG.choice(DIGITS)  # a letter and a digit
    return vin("".join(body))


# ------------------------------------------------------- validators (scalar) ----

VALID = {
    "HK_ID_CARD": ["A123456(3)", "C668668(9)", "G123456(A)", "A1234563", hk_id("XA", "987654"), hk_id("Z", "000001")],
    "TW_ID_CARD": ["A123456789", tw_id("F", "13110409"), tw_id("Z", "20000000"), tw_id("A", "80000001")],
    "MO_ID_CARD": ["1234567(8)", "5123456(7)", "71234568"],
    "IMEI": ["490154203237518", "356938035643809", "49-015420-323751-8", luhn_complete("86" + "1234567890" + "12")],
    "VIN": ["1M8GDM9AXKP042788", "1HGCM82633A004352", vin("LFV2A21K5A3012345"), vin("WVWZZZ1JZ3W386752")],
    "MAC_ADDRESS": ["00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "F0:18:98:AB:CD:EF"],
    "GEO_COORDINATE": ["39.904211,116.407395", "-33.8688, 151.2093", "POINT(116.4074 39.9042)",
                       "39°54'15\"N 116°24'26\"E", "40.7128,-74.0060"],
    "IM_ACCOUNT": ["12345678", "987654321", "zhang_san88", "wxid_abc123def", "Lucy-2024"],
    "RELIGION": ["佛教", "无宗教信仰", "伊斯兰教", "Christian", "roman catholic", "No religion"],
    "ETHNICITY": ["汉族", "维吾尔族", "回", "蒙古族", "Hispanic or Latino", "tibetan"],
    "HEALTH": ["A+", "AB型", "O型Rh阴性", "E11.9", "J45", "高血压3级", "2型糖尿病", "慢性乙型肝炎", "Type 2 diabetes",
               "MR2024000123"],
    "FINANCIAL_STATUS": ["￥29400", "29,400.00", "2.9万", "8000-12000元", "$85,000", "良好", "AAA", "30万/年"],
}
INVALID = {
    "HK_ID_CARD": ["A123456(4)", "A1234564", "AB12345(3)", "123456(3)"],
    "TW_ID_CARD": ["A123456788", "A323456789", "1123456789", "A12345678"],
    "MO_ID_CARD": ["2234567(8)", "1111111(1)", "123456(8)"],
    "IMEI": ["490154203237519", "200154203237518", "202403151234567", "111111111111116"],
    "VIN": ["1M8GDM9A1KP042788", "1M8GDM9AXKP04278O", "ABCDEFGHJKLMNPRST", "11111111111111111"],
    "MAC_ADDRESS": ["00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "00:1A:2B-3C:4D:5E", "001A2B3C4D5E"],
    "GEO_COORDINATE": ["1.2.3", "10.4", "39.9,116.4", "91.123456,200.123456", "0.0000,0.0000", "91°10'00\"N"],
    "IM_ACCOUNT": ["01234567", "11111", "ab", "1abcdefg"],
    "RELIGION": ["在售", "Ubuntu", "张伟"],
    "ETHNICITY": ["汉堡", "北京市", "Engineer"],
    "HEALTH": ["在售", "正常", "已发货", "blue"],
    "FINANCIAL_STATUS": ["在售", "张伟", "abc"],
}


def test_entities_as_the_spec_grades_them() -> None:
    for name, (level, sensitive, category) in ADDED.items():
        spec = registry.get(name)
        assert (spec.level, spec.sensitive, spec.category) == (level, sensitive, category), name
        assert spec.recognizer is not None and spec.recognizer.__module__ == f"detectors.entities.{name.lower()}"


def test_added_names_appear_in_their_own_file_only() -> None:
    """As for the first entities: generic code names no entity (tests/test_entities_registry.py)."""
    literal = re.compile(r"[\"'](" + "|".join(ADDED) + r")[\"']")
    stray = []
    for package in ("scanner", "detectors", "reports"):
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            stray += [f"{rel}: {n}" for n in set(literal.findall(path.read_text(encoding="utf-8")))
                      if rel != f"detectors/entities/{n.lower()}.py"]
    assert stray == []


@pytest.mark.parametrize("name", sorted(ADDED))
def test_true_values_validate_and_wrong_ones_do_not(name: str) -> None:
    spec = registry.get(name)
    assert [v for v in VALID[name] if not spec.validate(v)] == []
    assert [v for v in INVALID[name] if spec.validate(v)] == []
    array = pa.array(VALID[name] + INVALID[name], type=pa.string())
    assert spec.validate_array(array).tolist() == [True] * len(VALID[name]) + [False] * len(INVALID[name])


def _one_digit_changed(value: str, where: int, by: int) -> str:
    positions = [i for i, ch in enumerate(value) if ch.isdigit()]
    i = positions[where % len(positions)]
    return value[:i] + str((int(value[i]) + by) % 10) + value[i + 1:]


@settings(max_examples=150, deadline=None)
@given(letters=st.sampled_from(["A", "C", "K", "XA", "WX"]), digits=st.text(DIGITS, min_size=6, max_size=6),
       where=st.integers(0, 7), by=st.integers(1, 9))
def test_hk_checksum_catches_any_single_digit_change(letters: str, digits: str, where: int, by: int) -> None:
    good = hk_id(letters, digits, paren=False)
    assert registry.get("HK_ID_CARD").validate(good)
    assert not registry.get("HK_ID_CARD").validate(_one_digit_changed(good, where, by))


@settings(max_examples=150, deadline=None)
@given(letter=st.sampled_from(sorted(TW_CODES)), sex=st.sampled_from("12"), rest=st.text(DIGITS, min_size=7,
       max_size=7), index=st.integers(2, 9), by=st.integers(1, 9))
def test_tw_checksum_catches_what_its_weights_can(letter: str, sex: str, rest: str, index: int, by: int) -> None:
    """A changed digit is caught unless weight × change is a multiple of 10 (a weight-5 digit changed by 2)."""
    good = tw_id(letter, sex + rest)
    assert registry.get("TW_ID_CARD").validate(good)
    bad = good[:index] + str((int(good[index]) + by) % 10) + good[index + 1:]
    weight = [8, 7, 6, 5, 4, 3, 2, 1, 1][index - 1]
    assert registry.get("TW_ID_CARD").validate(bad) is ((weight * by) % 10 == 0)


@settings(max_examples=150, deadline=None)
@given(body=st.text(DIGITS, min_size=12, max_size=12), rb=st.sampled_from(["35", "86", "01", "99"]),
       where=st.integers(0, 14), by=st.integers(1, 9))
def test_imei_luhn_catches_any_single_digit_change(body: str, rb: str, where: int, by: int) -> None:
    good = luhn_complete(rb + body)
    if len(set(good)) <= 2:
        return
    assert registry.get("IMEI").validate(good)
    bad = _one_digit_changed(good, max(where, 2), by)
    assert not registry.get("IMEI").validate(bad)


@settings(max_examples=150, deadline=None)
@given(chars=st.text(VIN_ALPHABET, min_size=17, max_size=17))
def test_vin_check_digit_decides(chars: str) -> None:
    """A random 17-character code validates exactly when its 9th character is the check digit (and it is VIN-like)."""
    spec = registry.get("VIN")
    good = vin(chars[:9] + "A" + chars[10:])
    if not (any(c.isalpha() for c in good) and any(c.isdigit() for c in good)) or len(set(good)) < 4:
        return
    assert spec.validate(good)
    wrong = [c for c in "0123456789X" if c != good[8]][0]
    assert not spec.validate(good[:8] + wrong + good[9:])


# ------------------------------------------------------------------ columns ----

N = 240


def _col(make) -> list[str]:
    return [make() for _ in range(N)]


HK = _col(lambda: hk_id(RNG.choice(["A", "C", "K", "Z", "XA"]), rand_digits(6)))
TW = _col(lambda: tw_id(RNG.choice(sorted(TW_CODES)), RNG.choice("12") + rand_digits(7)))
VINS = _col(rand_vin)
IMEIS = _col(lambda: luhn_complete(RNG.choice(["35", "86", "01", "99"]) + rand_digits(12)))
MACS = _col(lambda: ":".join(f"{RNG.randint(0, 255):02X}" for _ in range(6)))
PAIRS = _col(lambda: f"{RNG.uniform(18, 50):.6f},{RNG.uniform(75, 133):.6f}")
MO = _col(lambda: f"{RNG.choice('157')}{rand_digits(6)}({RNG.choice(DIGITS)})")
QQ = _col(lambda: str(RNG.randint(10_000, 3_999_999_999)))
WX = _col(lambda: RNG.choice(["zhang", "li_", "wang-", "Lucy", "tom"]) + rand_digits(RNG.randint(3, 8)))
ETHNIC = _col(lambda: RNG.choice(["汉族"] * 6 + ["回族", "满族", "壮族", "维吾尔族", "蒙古族", "土家族"]))
ETHNIC_EN = _col(lambda: RNG.choice(["White", "Black or African American", "Asian", "Hispanic or Latino"]))
RELIGIONS = _col(lambda: RNG.choice(["无宗教信仰"] * 5 + ["佛教", "基督教", "伊斯兰教", "天主教", "道教"]))
RELIGIONS_EN = _col(lambda: RNG.choice(["Christian", "Muslim", "Buddhist", "No religion", "Hindu", "Jewish"]))
DIAGNOSES = _col(lambda: RNG.choice(["E11.9", "I10", "J45.909", "高血压2级", "2型糖尿病", "慢性乙型肝炎", "K21.0"]))
BLOOD = _col(lambda: RNG.choice(["A型", "B型", "AB型", "O型", "O型Rh阴性", "A+", "B-"]))
RECORDS = _col(lambda: f"MR{rand_digits(8)}")
SALARY = _col(lambda: str(RNG.randint(3_000, 60_000)))
INCOME_EN = _col(lambda: f"${RNG.randint(20, 400)},{RNG.randint(0, 999):03d}")

POSITIVE = {  # column name: (values, entity)
    "c1": (HK, "HK_ID_CARD"), "f_02": (TW, "TW_ID_CARD"), "c3": (VINS, "VIN"), "f_04": (IMEIS, "IMEI"),
    "c5": (MACS, "MAC_ADDRESS"), "f_06": (PAIRS, "GEO_COORDINATE"),
    "香港身份证号": (HK, "HK_ID_CARD"), "hkid": (HK, "HK_ID_CARD"), "台湾身份证号": (TW, "TW_ID_CARD"),
    "twsfz": (TW, "TW_ID_CARD"), "澳门身份证号码": (MO, "MO_ID_CARD"), "macao_id": (MO, "MO_ID_CARD"),
    "amsfz": (MO, "MO_ID_CARD"), "手机串号": (IMEIS, "IMEI"), "imei": (IMEIS, "IMEI"), "车架号": (VINS, "VIN"),
    "vinNo": (VINS, "VIN"), "cjh": (VINS, "VIN"), "MAC地址": (MACS, "MAC_ADDRESS"), "macAddress": (MACS, "MAC_ADDRESS"),
    "经纬度": (PAIRS, "GEO_COORDINATE"), "jwd": (PAIRS, "GEO_COORDINATE"),
    "纬度": ([p.split(",")[0] for p in PAIRS], "GEO_COORDINATE"),
    "lng": ([p.split(",")[1] for p in PAIRS], "GEO_COORDINATE"),
    "QQ号": (QQ, "IM_ACCOUNT"), "wechat_id": (WX, "IM_ACCOUNT"), "wxh": (WX, "IM_ACCOUNT"),
    "民族": (ETHNIC, "ETHNICITY"), "ethnicity": (ETHNIC_EN, "ETHNICITY"), "mz": (ETHNIC, "ETHNICITY"),
    "宗教信仰": (RELIGIONS, "RELIGION"), "religion": (RELIGIONS_EN, "RELIGION"), "zjxy": (RELIGIONS, "RELIGION"),
    "诊断": (DIAGNOSES, "HEALTH"), "blood_type": (BLOOD, "HEALTH"), "病历号": (RECORDS, "HEALTH"),
    "blh": (RECORDS, "HEALTH"), "月薪": (SALARY, "FINANCIAL_STATUS"), "annualIncome": (INCOME_EN, "FINANCIAL_STATUS"),
    "nsr": (SALARY, "FINANCIAL_STATUS"),
}
NEGATIVE = {  # column name: (values, entities it must not be)
    "version": (_col(lambda: RNG.choice([f"{RNG.randint(1, 12)}.{RNG.randint(0, 9)}.{RNG.randint(0, 30)}",
                                         f"{RNG.randint(1, 12)}.{RNG.randint(0, 9)}"])), {"GEO_COORDINATE"}),
    "weight_kg": (_col(lambda: f"{RNG.uniform(40, 120):.4f}"), {"GEO_COORDINATE"}),
    "status": (_col(lambda: RNG.choice(["在售", "下架", "正常", "缺货", "预售"])), {"HEALTH"}),
    "order_id": (_col(lambda: "2024" + rand_digits(11)), {"IMEI", "BANK_CARD"}),
    "c8": (_col(lambda: str(RNG.randint(10**14, 10**15 - 1))), {"IMEI"}),
    "sku": (_col(lambda: "".join(RNG.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(17))), {"VIN"}),
    "sha": (_col(lambda: f"{RNG.getrandbits(48):012x}"), {"MAC_ADDRESS"}),
    "md5": (_col(lambda: f"{RNG.getrandbits(128):032x}"), {"MAC_ADDRESS"}),
    "c9": (QQ, {"IM_ACCOUNT"}), "user_code": (WX, {"IM_ACCOUNT"}),
    "price": (_col(lambda: f"{RNG.uniform(1, 5000):.2f}"), {"FINANCIAL_STATUS"}),
    "amount": (SALARY, {"FINANCIAL_STATUS"}),
    "销售收入": (SALARY, {"FINANCIAL_STATUS"}), "资产编号": (_col(lambda: "2024" + rand_digits(4)), {"FINANCIAL_STATUS"}),
    "deposit": (SALARY, {"FINANCIAL_STATUS"}),
    "f_07": (ETHNIC, {"ETHNICITY"}), "category": (RELIGIONS, {"RELIGION"}), "f_08": (DIAGNOSES, {"HEALTH"}),
    "c10": (MO, {"MO_ID_CARD"}),
    "amex": (_col(lambda: luhn_complete(RNG.choice(["34", "37"]) + rand_digits(12))), {"IMEI"}),
}


@pytest.fixture(scope="module")
def scanned() -> dict[str, dict]:
    frame = pd.DataFrame({name: values for name, (values, _) in {**POSITIVE, **NEGATIVE}.items()})
    result = api.scan_dataframe(frame, name="added_entities.csv")
    return {c.name: c.to_json() for c in result.columns}


@pytest.mark.parametrize("column", sorted(POSITIVE))
def test_column_is_found(scanned: dict[str, dict], column: str) -> None:
    entity = POSITIVE[column][1]
    found = scanned[column]
    assert found["primary_entity"] == entity
    assert found["level"] == ADDED[entity][0]
    assert found.get("sensitive", False) is ADDED[entity][1]
    assert all("*" in s for s in found["samples_masked"])


@pytest.mark.parametrize("column", sorted(NEGATIVE))
def test_hard_negative_is_not_the_entity(scanned: dict[str, dict], column: str) -> None:
    found = scanned[column]
    named = {found["primary_entity"]} | {e["entity"] for e in found["entities"]}
    assert not named & NEGATIVE[column][1], found["primary_entity"]


def test_amex_cards_stay_cards_and_imeis_are_no_cards(scanned: dict[str, dict]) -> None:
    """Every IMEI passes Luhn: the card reading gives way to IMEI; 15-digit AmEx numbers stay cards."""
    assert scanned["amex"]["primary_entity"] == "BANK_CARD" and scanned["amex"]["sensitive"] is True
    assert [e["entity"] for e in scanned["imei"]["entities"]] == ["IMEI"]


# ---------------------------------------------------------------- free text ----

TEXTS = [
    ("HK_ID_CARD", "他的香港身份证号码是A123456(3)，请核对。", "A123456(3)"),
    ("HK_ID_CARD", "Applicant HKID: C668668(9), verified.", "C668668(9)"),
    ("TW_ID_CARD", "台湾居民张先生，身分證字號A123456789。", "A123456789"),
    ("TW_ID_CARD", "Her Taiwan ID is A123456789.", "A123456789"),
    ("MO_ID_CARD", "澳门居民身份证：1234567(8)，有效期至2030年。", "1234567(8)"),
    ("MO_ID_CARD", "Macau resident card 5123456(7) was shown.", "5123456(7)"),
    ("IMEI", "手机串号（IMEI）：490154203237518，已登记。", "490154203237518"),
    ("IMEI", "Device IMEI 356938035643809 reported stolen.", "356938035643809"),
    ("VIN", "车架号LFV2A21K5A3012345已核验。".replace("LFV2A21K5A3012345", vin("LFV2A21K5A3012345")),
     vin("LFV2A21K5A3012345")),
    ("VIN", "The VIN 1M8GDM9AXKP042788 matches the title.", "1M8GDM9AXKP042788"),
    ("MAC_ADDRESS", "设备MAC地址为00:1A:2B:3C:4D:5E，已加入白名单。", "00:1A:2B:3C:4D:5E"),
    ("MAC_ADDRESS", "Client 001a.2b3c.4d5e joined the network.", "001a.2b3c.4d5e"),
    ("GEO_COORDINATE", "用户最后位置：39.904211,116.407395（北京）。", "39.904211,116.407395"),
    ("GEO_COORDINATE", "Last seen at POINT(116.4074 39.9042) yesterday.", "POINT(116.4074 39.9042)"),
    ("GEO_COORDINATE", "Coordinates 39°54'15\"N 116°24'26\"E.", "39°54'15\"N 116°24'26\"E"),
    ("IM_ACCOUNT", "加我微信号：zhang_san88，备注客户。", "zhang_san88"),
    ("IM_ACCOUNT", "有问题联系QQ 12345678。", "12345678"),
    ("IM_ACCOUNT", "My WeChat ID: Lucy-2024, add me.", "Lucy-2024"),
    ("RELIGION", "该员工宗教信仰为伊斯兰教，食堂需备清真餐。", "伊斯兰教"),
    ("RELIGION", "His religion: Buddhism.", "Buddhism"),
    ("ETHNICITY", "姓名：张三，民族：回族，籍贯甘肃。", "回族"),
    ("ETHNICITY", "Ethnicity: Uyghur (self-reported).", "Uyghur"),
    ("HEALTH", "患者确诊2型糖尿病，血型AB型。", "糖尿病"),
    ("HEALTH", "Patient was diagnosed with hypertension last year.", "hypertension"),
    ("HEALTH", "诊断：E11.9，建议复查。", "E11.9"),
    ("FINANCIAL_STATUS", "申请人月薪29400元，名下存款50万。", "29400元"),
    ("FINANCIAL_STATUS", "Declared annual income $85,000 on the form.", "$85,000"),
]
TEXT_NEGATIVES = [  # (text, entity that must not be found)
    ("Please add me on WeChat today.", "IM_ACCOUNT"),
    ("订单号 123456789 已发货，请注意查收。", "IM_ACCOUNT"),
    ("升级到版本 1.2.3 后，价格为 10.4500 元。", "GEO_COORDINATE"),
    ("sha1 0a1b2c3d4e5f 已校验", "MAC_ADDRESS"),
    ("商品状态：正常，库存充足。", "HEALTH"),
    ("本店汉族风味餐厅，欢迎光临。", "ETHNICITY"),
    ("订单金额29400元，已付款。", "FINANCIAL_STATUS"),
    ("Order 202403151234567 shipped.", "IMEI"),
    ("批次号 1234567(8) 已入库。", "MO_ID_CARD"),
]


def _resolved_spans(texts: list[str]) -> list[list[tuple[str, str]]]:
    """Spans as a scan keeps them (the strongest of overlapping ones), as (entity, text)."""
    out = []
    for text, spans in zip(texts, find_spans(shared_recognizers(), pa.array(texts, type=pa.string()))):
        rows = [(0, i, s, e, score) for i, (_, s, e, score) in enumerate(spans)]
        kept = resolve_overlaps(rows)
        out.append([(spans[r[1]][0], text[r[2]:r[3]]) for r in kept])
    return out


def test_free_text_spans_zh_and_en() -> None:
    found = _resolved_spans([t for _, t, _ in TEXTS])
    missing = [(entity, span, got) for (entity, _, span), got in zip(TEXTS, found) if (entity, span) not in got]
    assert missing == []


def test_free_text_hard_negatives() -> None:
    found = _resolved_spans([t for t, _ in TEXT_NEGATIVES])
    wrong = [(text, got) for (text, entity), got in zip(TEXT_NEGATIVES, found) if any(e == entity for e, _ in got)]
    assert wrong == []


def test_presidio_analyzer_finds_the_same_spans() -> None:
    """The recognizers as a Presidio user registers them (recognizers_for) give the batch path's spans."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    from detectors.engine import build_nlp_engine

    reg = RecognizerRegistry(supported_languages=["zh", "en"])
    for lang in ("zh", "en"):
        for recognizer in registry.recognizers_for(lang):
            if recognizer.supported_entities[0] in ADDED:
                reg.add_recognizer(recognizer)
    engine = AnalyzerEngine(registry=reg, nlp_engine=build_nlp_engine(), supported_languages=["zh", "en"])
    for entity, text, span in TEXTS:
        lang = "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"
        got = {(r.entity_type, text[r.start:r.end]) for r in engine.analyze(text, language=lang, entities=[entity])}
        assert (entity, span) in got, (text, got)


# ---------------------------------------------------------------- anonymize ----

KEY = Key(bytes(range(32)))


@pytest.mark.parametrize("op_name", sorted(op_registry.names()))
def test_every_operator_handles_every_added_entity(op_name: str) -> None:
    """No operator crashes on the new entities; keyed ones are deterministic where they promise it."""
    op = op_registry.get(op_name)
    ctx = OpContext(KEY)
    params = op.params_model()
    for entity in ADDED:
        values = VALID[entity]
        single = [op.apply_value(entity, v, params, ctx) for v in values]
        column = op.apply_array(entity, pa.array(values, type=pa.string()), params, ctx).to_pylist()
        assert len(single) == len(column) == len(values)
        if op_name in ("mask", "hash", "redact", "pseudonym", "fpe", "generalize"):
            assert all(out != v for out, v in zip(single, values) if out is not None and v.strip()), (entity, single)


def test_format_preserving_encryption_recomputes_check_characters() -> None:
    """FPE keeps the check character right (EntitySpec.check_char): a HK ID stays a valid HK ID, an IMEI Luhn-valid."""
    op = op_registry.get("fpe")
    ctx = OpContext(KEY)
    hk = op.apply_value("HK_ID_CARD", "A1234563", op.params_model(), ctx)
    assert hk != "A1234563" and registry.get("HK_ID_CARD").validate(hk)
    imei = op.apply_value("IMEI", "490154203237518", op.params_model(), ctx)
    assert imei != "490154203237518" and luhn_complete(imei[:14]) == imei
    tw = op.apply_value("TW_ID_CARD", "A123456789", op.params_model(), ctx)
    assert tw != "A123456789" and tw_id(tw[0], tw[1:9])[-1] == tw[-1]


def test_generalized_coordinates_keep_two_decimals() -> None:
    op = op_registry.get("generalize")
    params = op.params_model()
    ctx = OpContext(KEY)
    assert op.apply_value("GEO_COORDINATE", "39.904211,116.407395", params, ctx) == "39.90,116.40"
    assert op.apply_value("GEO_COORDINATE", "POINT(116.4074 39.9042)", params, ctx) == "POINT(116.40 39.90)"
    assert op.apply_value("GEO_COORDINATE", "-33.868812", params, ctx) == "-33.86"


def test_anonymize_masks_vocabulary_columns_whole() -> None:
    """A diagnosis outside the vocabulary is health data too: the whole column is transformed."""
    frame = pd.DataFrame({"诊断": DIAGNOSES[:200] + ["左膝关节扭伤"] * 40, "民族": ETHNIC, "月薪": SALARY})
    masked, _record = api.anonymize_dataframe(frame)
    for column in frame.columns:
        kept = [a for a, b in zip(masked[column], frame[column]) if a == b]
        assert kept == [], column


def test_masked_samples_show_little() -> None:
    """Masks per entity (EntitySpec.mask): a short QQ number keeps only its ends, a MAC its vendor part."""
    from detectors.masking import mask_value

    assert mask_value("IM_ACCOUNT", "12345") == "1***5"
    assert mask_value("MAC_ADDRESS", "00:1A:2B:3C:4D:5E") == "00:1A:2B:**:**:**"
    assert mask_value("IMEI", "490154203237518") == "49015420*******"
    assert mask_value("HK_ID_CARD", "A123456(3)") == "A******(3)"
    assert mask_value("RELIGION", "无宗教信仰") == "*****"
