"""Operators value by value and column-wise: shapes, keys, determinism, reversibility, rules."""

from __future__ import annotations

import hmac
import os
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.validators import is_valid_bank_card, is_valid_cn_mobile, is_valid_resident_id
from scanner.anonymize.crypto import Cipher, DecryptError, Hasher
from scanner.anonymize.fpe import FormatPreserving, _class_of
from scanner.anonymize.generalize import generalize
from scanner.anonymize.keys import Key, KeyProblem, load_key, parse_key
from scanner.anonymize.masks import mask_array, mask_one
from scanner.anonymize.operators import MissingKey, OpContext, anonymizer_engine, apply_value, operator_config
from scanner.anonymize.rules import Rule, RulesError, load_rules
from scanner.anonymize.surrogates import Pseudonymizer

KEY = bytes(range(32))


# ------------------------------------------------------------------ mask ----


@pytest.mark.parametrize(
    ("entity", "value", "masked"),
    [
        ("CN_MOBILE_PHONE", "13812345678", "138******78"),
        ("CN_MOBILE_PHONE", "+86 138 1234 5678", "+86 138 **** **78"),
        ("CN_RESIDENT_ID", "11010519491231002X", "110105********002X"),
        ("BANK_CARD", "6222021234567890123", "622202*********0123"),
        ("PERSON_NAME", "张三", "张*"),
        ("PERSON_NAME", "张三丰", "张**"),
        ("EMAIL_ADDRESS", "zhangsan@qq.com", "z***@qq.com"),
        ("ADDRESS", "广东省深圳市南山区科技园路1号", "广东省深圳市南山区******"),
        ("ADDRESS", "北京市朝阳区建国路88号", "北京市朝阳区******"),
    ],
)
def test_default_mask_shapes(entity, value, masked):
    assert mask_one(entity, value) == masked
    assert mask_array(pa.array([value]), entity).to_pylist() == [masked]


def test_mask_rule_parameters():
    assert mask_one("CN_MOBILE_PHONE", "13812345678", keep_first=3, keep_last=4, char="#") == "138####5678"
    assert mask_one("EMAIL_ADDRESS", "zhangsan@qq.com", keep_first=2, keep_last=0) == "zh******@qq.com"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789abcXYZ张三-@. ", min_size=1, max_size=20), min_size=1, max_size=30),
       st.sampled_from(["CN_MOBILE_PHONE", "CN_RESIDENT_ID", "BANK_CARD", "PERSON_NAME", None]),
       st.integers(0, 5), st.integers(0, 5))
def test_vectorized_mask_equals_per_value_mask(values, entity, first, last):
    got = mask_array(pa.array(values), entity, first, last).to_pylist()
    assert got == [mask_one(entity, v, first, last) for v in values]
    for before, after in zip(values, got):
        assert len(after) == len(before)  # same shape
        if any(ch.isalnum() for ch in before):
            assert after != before  # something is always hidden


_SHAPED = st.one_of(
    st.text(alphabet="0123456789abcXYZ张三-@. +\\", min_size=1, max_size=24),
    st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", *[st.integers(0, 300)] * 4),
    st.builds(lambda local, domain: f"{local}@{domain}", st.text(alphabet="ab.1_张@", max_size=6),
              st.sampled_from(["qq.com", "163.com", "", "x@y"])),
    st.builds(lambda p, n: f"{p}{n}", st.sampled_from(["", "+86 ", "86", "0086-", "+86-"]),
              st.from_regex(r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}", fullmatch=True)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_SHAPED, min_size=1, max_size=30),
       st.sampled_from(["CN_MOBILE_PHONE", "EMAIL_ADDRESS", "IP_ADDRESS", "BANK_CARD", "PERSON_NAME", None]),
       st.one_of(st.none(), st.integers(0, 5)), st.one_of(st.none(), st.integers(0, 5)),
       st.sampled_from([None, "*", "#", "\\", "\\1", "好", "xx"]))
def test_every_fast_mask_path_equals_the_per_value_mask(values, entity, first, last, char):
    """IPv4, e-mail, ASCII and pure fast paths give mask_one's output, row by row, whatever the parameters."""
    got = mask_array(pa.array(values, type=pa.string()), entity, first, last, char).to_pylist()
    assert got == [mask_one(entity, v, first, last, char) for v in values]


# ------------------------------------------------------------------ hash ----


def test_hash_is_keyed_deterministic_and_normalized():
    one, two = Hasher(KEY), Hasher(KEY)
    assert one.hash("CN_MOBILE_PHONE", "13812345678") == two.hash("CN_MOBILE_PHONE", "13812345678")
    assert one.hash("CN_MOBILE_PHONE", "+86 138-1234-5678") == one.hash("CN_MOBILE_PHONE", "13812345678")
    assert Hasher(bytes(32)).hash(None, "13812345678") != one.hash(None, "13812345678")
    expected = hmac.new(KEY, b"13812345678", "sha256").hexdigest()
    assert one.hash(None, "13812345678", length=64) == expected  # plain RFC 2104 HMAC-SHA256
    assert len(one.hash(None, "x")) == 32


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.lists(st.text(min_size=1, max_size=25), min_size=1, max_size=20),
                 st.lists(st.text(alphabet="0123456789 +-()\t\x0b\x1c\x1fXx@aA.", min_size=1, max_size=25),
                          min_size=1, max_size=20)),
       st.sampled_from(["CN_MOBILE_PHONE", "BANK_CARD", "EMAIL_ADDRESS", "CN_RESIDENT_ID", None]))
def test_vectorized_hash_equals_per_value_hash(values, entity):
    hasher = Hasher(KEY)
    assert hasher.hash_array(entity, pa.array(values)).to_pylist() == [hasher.hash(entity, v) for v in values]


# --------------------------------------------------------------- encrypt ----


def test_encrypt_decrypt_round_trip_and_wrong_key():
    cipher = Cipher(KEY)
    token = cipher.encrypt("11010519491231002X")
    assert token.startswith("pwe1:") and "11010519491231002X" not in token
    assert cipher.decrypt(token) == "11010519491231002X"
    assert cipher.encrypt("same") != cipher.encrypt("same")  # random nonce: equality does not leak
    text, n = cipher.decrypt_text(f"卡号{cipher.encrypt('6222021234567890')}，请核对")
    assert (text, n) == ("卡号6222021234567890，请核对", 1)
    with pytest.raises(DecryptError):
        Cipher(bytes(32)).decrypt(token)


# ------------------------------------------------------------------- fpe ----


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=("Nd", "Lu", "Ll", "Lo", "Pd", "Zs")),
               min_size=0, max_size=24))
def test_fpe_keeps_length_and_character_classes(value):
    fpe = FormatPreserving(KEY)
    out = fpe.encrypt(None, value)
    assert len(out) == len(value)
    assert [_class_of(a) for a in out] == [_class_of(b) for b in value]
    assert fpe.encrypt(None, value) == out  # deterministic
    assert fpe.decrypt(None, out) == value  # a permutation


def test_fpe_resident_id_stays_an_id_shape():
    fpe = FormatPreserving(KEY)
    out = fpe.encrypt("CN_RESIDENT_ID", "11010519491231002X")
    assert len(out) == 18 and out[:17].isdigit() and (out[17].isdigit() or out[17] == "X")
    assert out != "11010519491231002X"
    assert fpe.decrypt("CN_RESIDENT_ID", out) == "11010519491231002X"
    assert FormatPreserving(bytes(32)).encrypt("CN_RESIDENT_ID", "11010519491231002X") != out  # keyed


# ------------------------------------------------------------- pseudonym ----


def test_pseudonyms_are_consistent_and_well_formed():
    p = Pseudonymizer(KEY, FormatPreserving(KEY[::-1]))
    ident = p.surrogate("CN_RESIDENT_ID", "11010519491231002X")
    assert is_valid_resident_id(ident) and ident != "11010519491231002X"
    assert int(ident[16]) % 2 == 0  # sex digit parity kept (002 → even)
    card = p.surrogate("BANK_CARD", "6222021234567890")
    assert is_valid_bank_card(card) and card.startswith("622202") and card != "6222021234567890"
    mobile = p.surrogate("CN_MOBILE_PHONE", "138-1234-5678")
    assert is_valid_cn_mobile(mobile) and mobile.startswith("138-") and mobile != "138-1234-5678"
    name = p.surrogate("PERSON_NAME", "张三丰")
    assert len(name) == 3 and name != "张三丰"
    assert p.surrogate("EMAIL_ADDRESS", "a@b.com").split("@")[1].startswith("example.")
    assert p.surrogate("CN_MOBILE_PHONE", "13812345678") == p.surrogate("CN_MOBILE_PHONE", "13812345678")


# ------------------------------------------------------------ generalize ----


@pytest.mark.parametrize(
    ("entity", "value", "to", "band", "expected"),
    [
        ("DATE_OF_BIRTH", "1990-03-07", None, None, "1990"),
        ("DATE_OF_BIRTH", "1990/3/7", "month", None, "1990-03"),
        (None, "34", "band", None, "30-39"),
        (None, "34", "band", 5, "30-34"),
        ("ADDRESS", "广东省深圳市南山区科技园路1号", None, None, "广东省深圳市"),
        ("ADDRESS", "广东省深圳市南山区科技园路1号", "province", None, "广东省"),
        ("CN_RESIDENT_ID", "11010519491231002X", None, None, "110105-1949"),
        ("IP_ADDRESS", "10.1.2.3", None, None, "10.1.2.0/24"),
    ],
)
def test_generalize(entity, value, to, band, expected):
    assert generalize(entity, value, to, band) == expected


# ------------------------------------------------------------------ keys ----


def test_key_parsing_and_fingerprint(tmp_path: Path):
    hex_key = KEY.hex()
    key = parse_key((hex_key + "\n").encode(), "test")
    assert key.material == KEY
    assert hex_key not in key.fingerprint and hex_key not in repr(key)
    assert parse_key(b"a passphrase long enough", "t").fingerprint != key.fingerprint
    with pytest.raises(KeyProblem):
        parse_key(b"short", "t")
    path = tmp_path / "k"
    path.write_text(hex_key)
    assert load_key(path, environ={}).material == KEY
    assert load_key(None, environ={"PIIWARDEN_KEY": hex_key}).material == KEY
    assert load_key(None, environ={}) is None


def test_keyed_operators_refuse_without_key():
    with pytest.raises(MissingKey, match="--key-file"):
        apply_value(Rule(op="hash"), None, "x", OpContext(None))
    assert apply_value(Rule(op="mask"), "PERSON_NAME", "张三", OpContext(None)) == "张*"


def test_presidio_engine_runs_our_operators():
    from presidio_anonymizer.entities import RecognizerResult

    ctx = OpContext(Key(KEY))
    text = "手机13812345678，卡号6222021234567890"
    card = text.index("6222")
    spans = [RecognizerResult("CN_MOBILE_PHONE", 2, 13, 1.0), RecognizerResult("BANK_CARD", card, card + 16, 1.0)]
    result = anonymizer_engine().anonymize(text=text, analyzer_results=spans, operators={
        "CN_MOBILE_PHONE": operator_config(Rule(op="mask"), ctx),
        "BANK_CARD": operator_config(Rule(op="redact"), ctx),
    })
    assert result.text == "手机138******78，卡号"


# ----------------------------------------------------------------- rules ----


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_file_as_in_the_contract(tmp_path: Path):
    rules = load_rules(_rules(tmp_path, """version: 1
entities:
  CN_MOBILE_PHONE: {op: mask, keep_first: 3, keep_last: 2}
  CN_RESIDENT_ID:  {op: mask, keep_first: 6, keep_last: 4}
  EMAIL_ADDRESS:   {op: hash}
columns:
  "crm_*.csv:身份证号": {op: encrypt}
"""))
    assert rules.for_column("crm_2024.csv", "身份证号", "CN_RESIDENT_ID").rule.op == "encrypt"
    assert rules.for_column("sub/crm_2024.csv", "身份证号", "CN_RESIDENT_ID").rule.op == "encrypt"
    assert rules.for_column("orders.csv", "身份证号", "CN_RESIDENT_ID").rule.params.keep_first == 6
    assert rules.for_column("orders.csv", "mail", "EMAIL_ADDRESS").source == "entities.EMAIL_ADDRESS"
    assert rules.for_column("orders.csv", "x", "PERSON_NAME").source == "default"
    assert rules.keyed_ops == {"hash", "encrypt"}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 1\nentities:\n  CN_MOBILE_PHONE: {op: scramble}\n", ":3: entities.CN_MOBILE_PHONE.op: unknown op"),
        ("version: 1\nentities:\n  CN_MOBILE_PHONE: {op: mask, keep: 3}\n", ":3: entities.CN_MOBILE_PHONE.keep: unknown key"),
        ("version: 1\nentites: {}\n", ":2: entites: unknown key"),
        ("version: 1\nentities:\n  MOBILE: {op: mask}\n", ":3: entities.MOBILE: unknown entity"),
        ("version: 1\ncolumns:\n  \"a.csv:x\": {op: hash, keep_first: 2}\n", ":3: columns.a.csv:x: keep_first does not apply"),
        ("version: 1\ncolumns:\n  nocolon: {op: drop}\n", ":3: columns.nocolon: key must be"),
    ],
)
def test_rules_errors_name_file_line_and_field(tmp_path: Path, text: str, where: str):
    path = _rules(tmp_path, text)
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert str(info.value).startswith(str(path) + where)


def test_random_key_material_is_never_in_messages():
    raw = os.urandom(32).hex()
    with pytest.raises(KeyProblem) as info:
        parse_key(raw[:10].encode(), "PIIWARDEN_KEY")
    assert raw[:10] not in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(["138", "139", "150", "186", "199", "166"])), st.integers(0, 10**8 - 1),
       st.integers(0, 10**11 - 1), st.sampled_from(["", "-", " "]))
def test_pseudonyms_stay_well_formed(prefix, subscriber, account, sep):
    from detectors.validators import luhn_check_digit

    p = Pseudonymizer(KEY, FormatPreserving(KEY[::-1]))
    mobile = f"{prefix}{sep}{subscriber:08d}"
    assert is_valid_cn_mobile(p.surrogate("CN_MOBILE_PHONE", mobile))
    partial = f"622848{account:012d}"
    card = partial + luhn_check_digit(partial)
    fake = p.surrogate("BANK_CARD", card)
    assert is_valid_bank_card(fake) and len(fake) == len(card) and fake[:6] == card[:6]
    assert is_valid_resident_id(p.surrogate("CN_RESIDENT_ID", f"{account:018d}"))


def _rule_for(op: str):
    return lambda entity: Rule(op=op)


@pytest.mark.parametrize("op", ["mask", "hash", "redact", "keep"])
def test_batch_rewrite_equals_presidio_text_by_text(op):
    """Spans found in batch and spliced in give what AnalyzerEngine + AnonymizerEngine give per text."""
    import random

    from bench import labelled as g
    from scanner.anonymize.text import TextRewriter

    rng = random.Random(4)
    texts = [g.chat(rng) for _ in range(300)] + [
        "请联系王伟，手机13812345678，身份证号11010519491231002X", "卡号6228 4833 7844 1706 436和邮箱wei_hu3505@126.com",
        "寄到山东省青岛市市南区建设大道646号21栋3单元407室 给欧阳娜娜", "Please ask Elizabeth Johnson at (488) 626-3766",
        "password=hunter22x token ghp_" + "a1B2" * 9, "两个号码13812345678 13987654321", "好的谢谢", "",
    ]
    ctx = OpContext(key=parse_key(b"a passphrase long enough for the test", "test"))
    batch = TextRewriter(_rule_for(op), ctx)
    single = TextRewriter(_rule_for(op), ctx)
    got = batch.rewrite_array(pa.array(texts, type=pa.string())).to_pylist()
    assert got == [single.rewrite(t) for t in texts]
    assert batch.stats.by_entity == single.stats.by_entity or op == "keep"
    if op == "mask":
        assert "13812345678" not in "".join(got) and "王伟" not in "".join(got)
