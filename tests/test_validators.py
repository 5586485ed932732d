"""Unit and property tests for detectors.validators.

Known-good and known-bad examples come from spec/ENTITIES.md. The property
tests build identifiers with their own (independent) checksum code, so a bug in
the validator's arithmetic cannot hide behind the same bug in the generator.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from detectors.validators import (
    MOBILE_PREFIXES,
    PROVINCE_CODES,
    digits_only,
    is_valid_bank_card,
    is_valid_cn_landline,
    is_valid_cn_mobile,
    is_valid_email,
    is_valid_ip,
    is_valid_resident_id,
    luhn_check_digit,
    luhn_ok,
    normalize_mobile,
    resident_id_birth_date,
    resident_id_check_char,
)

# --------------------------------------------------------------------------------------
# Independent reference implementations used by the generators
# --------------------------------------------------------------------------------------

_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # GB 11643: W_i = 2^(i-1) mod 11, from the right


def ref_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def ref_luhn_complete(partial: str) -> str:
    """partial + the digit that makes it Luhn-valid (computed from the doubling rule directly)."""
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return partial + str(-total % 10)


def test_reference_weights_match_the_spec():
    assert _WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


# --------------------------------------------------------------------------------------
# CN_RESIDENT_ID
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["44030419900307123X", "310115200108150641", "510107200511300053"])
def test_resident_id_valid_examples(value):
    assert is_valid_resident_id(value)


@pytest.mark.parametrize(
    "value, why",
    [
        ("440304199002301232", "no Feb 30"),
        ("990304199003071237", "province 99"),
        ("110105194912310021", "check should be X"),
        ("000000199003071230", "province 00"),
        ("44030419901307123X", "month 13"),
        ("44030418790307123X", "before 1880"),
        ("4403041990030712", "16 characters"),
        ("44030419900307123XX", "19 characters"),
        ("4403041990030712X3", "X not in last place"),
        ("44030419900307123Y", "bad check character"),
        ("", "empty"),
        ("abcdefghijklmnopqr", "letters"),
    ],
)
def test_resident_id_invalid_examples(value, why):
    assert not is_valid_resident_id(value), why


def test_resident_id_lower_case_x_and_whitespace():
    assert is_valid_resident_id("44030419900307123x")
    assert is_valid_resident_id("  44030419900307123X\n")
    assert is_valid_resident_id("110105194912310021"[:-1] + "x")


def test_resident_id_check_char():
    assert resident_id_check_char("44030419900307123") == "X"
    assert resident_id_check_char("31011520010815064") == "1"
    assert resident_id_check_char("51010720051130005") == "3"
    assert resident_id_check_char("11010519491231002") == "X"


def test_resident_id_each_check_needed():
    # Right checksum, impossible date.
    first17 = "44030419900230123"
    assert not is_valid_resident_id(first17 + ref_check_char(first17))
    # Right checksum and date, unknown province.
    first17 = "99030419900307123"
    assert not is_valid_resident_id(first17 + ref_check_char(first17))
    # Real province and date, wrong checksum.
    assert not is_valid_resident_id("440304199003071230")


def test_resident_id_legacy_15_digits():
    assert is_valid_resident_id("110105491231002")  # 1949-12-31
    assert is_valid_resident_id("440304900307123")  # 1990-03-07
    assert not is_valid_resident_id("440304900230123")  # 1990-02-30
    assert not is_valid_resident_id("990304900307123")  # province 99
    assert not is_valid_resident_id("44030490030712X")  # no check character in the legacy form


def test_resident_id_foreign_permanent_resident_card():
    # 9 + issuing province (31, Shanghai) + nationality (840) + birth date + sequence + check.
    first17 = "93184019850612123"
    card = first17 + ref_check_char(first17)
    assert card == "931840198506121230"
    assert is_valid_resident_id(card)
    assert not is_valid_resident_id(card[:-1] + "1")  # wrong check
    bad_province = "99984019850612123"
    assert not is_valid_resident_id(bad_province + ref_check_char(bad_province))


def test_resident_id_future_birth_date_rejected():
    first17 = "11010520990101001"
    assert not is_valid_resident_id(first17 + ref_check_char(first17))
    born_2025 = "11010520250601002"
    value = born_2025 + ref_check_char(born_2025)
    assert is_valid_resident_id(value, today=dt.date(2026, 1, 1))
    assert not is_valid_resident_id(value, today=dt.date(2025, 5, 31))
    assert is_valid_resident_id(value, today=dt.date(2025, 6, 1))  # born today is fine


def test_resident_id_birth_date():
    assert resident_id_birth_date("44030419900307123X") == dt.date(1990, 3, 7)
    assert resident_id_birth_date("44030419900307123x") == dt.date(1990, 3, 7)
    assert resident_id_birth_date("110105491231002") == dt.date(1949, 12, 31)
    assert resident_id_birth_date("440304199002301232") is None
    assert resident_id_birth_date("12345") is None


@pytest.mark.parametrize(
    "value",
    [
        "²" * 18, "²" * 15, "①" * 18, "４４０３０４１９９００３０７１２３Ｘ",
        "4403041990030712３X", "11010549123100²", "٤٤٠٣٠٤١٩٩٠٠٣٠٧١٢٣X",
    ],
)
def test_resident_id_non_ascii_digits_rejected_without_error(value):
    # str.isdigit() is true for superscripts and circled digits that int() cannot parse.
    assert is_valid_resident_id(value) is False


# --------------------------------------------------------------------------------------
# BANK_CARD / Luhn
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value",
    [
        "4111111111111111",  # Visa test number
        "5555555555554444",  # Mastercard test number
        "6228483378441706436",  # UnionPay, 19 digits
        "6228 4833 7844 1706 436",  # printed in groups of four
        "6228-4833-7844-1706-436",
        "6225881234567898",  # UnionPay, 16 digits
        "4222222222222",  # 13 digits (old Visa test number): the lower bound
        "6222021234567890128",  # 19 digits: the upper bound
    ],
)
def test_bank_card_valid(value):
    assert is_valid_bank_card(value)


@pytest.mark.parametrize(
    "value, why",
    [
        ("4111111111111112", "Luhn fails"),
        ("6228 4833 7844 1706 437", "Luhn fails, grouped"),
        ("0000000000000000", "all one digit (passes Luhn)"),
        ("0000 0000 0000 0000", "all one digit, grouped"),
        ("5555555555555555555", "all one digit, 19 long"),
        ("411111111117", "12 digits (Luhn-valid)"),
        ("62220212345678901284", "20 digits"),
        ("", "empty"),
        ("not a card", "no digits"),
    ],
)
def test_bank_card_invalid(value, why):
    assert not is_valid_bank_card(value), why


def test_bank_card_boundaries_are_luhn_valid_themselves():
    # The rejected 12- and 20-digit numbers fail on length alone.
    assert ref_luhn_complete("41111111111") == "411111111117"
    assert luhn_ok("411111111117")
    assert luhn_ok(ref_luhn_complete("6222021234567890128"))
    assert not is_valid_bank_card(ref_luhn_complete("6222021234567890128"))


def test_luhn_ok_and_check_digit():
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("622848337844170643") == "6"
    assert luhn_check_digit("") == "0"


def test_luhn_ok_rejects_non_digits():
    # Separators must be stripped by the caller (is_valid_bank_card does); garbage is not a number.
    assert not luhn_ok("")
    assert not luhn_ok("4111 1111 1111 1111")
    assert not luhn_ok("411111111111111１")


def test_digits_only():
    assert digits_only("6228 4833-7844") == "622848337844"
    assert digits_only("(021)5432-1234 转 8") == "02154321234" + "8"
    assert digits_only("４１") == ""  # full-width digits are not ASCII digits: normalize (NFKC) first


# --------------------------------------------------------------------------------------
# CN_MOBILE_PHONE
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value",
    [
        "13812345678", "138-1234-5678", "138 1234 5678", "+8613812345678", "+86 138 1234 5678",
        "+86-138-1234-5678", "8613812345678", "86 13812345678", "008613812345678", "0086 138 1234 5678",
        "(+86) 138-1234-5678", "14512345678", "16612345678", "17312345678", "19912345678", " 15012345678 ",
    ],
)
def test_mobile_valid(value):
    assert is_valid_cn_mobile(value)
    assert normalize_mobile(value) == digits_only(value)[-11:]


@pytest.mark.parametrize(
    "value, why",
    [
        ("14012345678", "140 unallocated"),
        ("14112345678", "141 unallocated"),
        ("10012345678", "100 unallocated"),
        ("12012345678", "12x unallocated"),
        ("15412345678", "154 unallocated"),
        ("17412345678", "174 (satellite) not in the list"),
        ("19412345678", "194 unallocated"),
        ("23812345678", "does not start with 1"),
        ("138123456789", "12 digits"),
        ("1381234567", "10 digits"),
        ("+85213812345678", "another country code"),
        ("8613812345678 9", "trailing digit"),
        ("138.1234.5678", "dots are not a separator"),
        ("138１2345678", "full-width digit"),
        ("", "empty"),
    ],
)
def test_mobile_invalid(value, why):
    assert not is_valid_cn_mobile(value), why


def test_normalize_mobile():
    assert normalize_mobile("+86 138-1234-5678") == "13812345678"
    assert normalize_mobile("0086-13812345678") == "13812345678"
    assert normalize_mobile("13812345678") == "13812345678"
    assert normalize_mobile("（+86）13812345678") == "13812345678"
    assert normalize_mobile("23812345678") is None
    assert normalize_mobile("138123456789") is None
    assert normalize_mobile("phone") is None
    assert normalize_mobile("138²2345678") is None


def test_mobile_prefix_table():
    expected = (
        {f"13{d}" for d in range(10)} | {"145", "147", "149"} | {f"15{d}" for d in "012356789"}
        | {"162", "165", "166", "167"} | {f"17{d}" for d in "01235678"} | {f"18{d}" for d in range(10)}
        | {f"19{d}" for d in "012356789"}
    )
    assert set(MOBILE_PREFIXES) == expected


# --------------------------------------------------------------------------------------
# CN_LANDLINE_PHONE
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value",
    [
        "010-62345678", "01062345678", "010 6234 5678", "(010)62345678", "（010）62345678",
        "021-54321234", "(021)54321234", "020-38765432", "029-88451234",
        "0755-26123456", "0755-2612345", "0755 26123456", "(0755)2612345", "0571-87654321",
        "010-62345678转8012", "010-62345678-8012", "0755-26123456 ext. 12", "0755-26123456#302",
        "+86 10 6234 5678", "+86-755-26123456", "0086-21-54321234",
    ],
)
def test_landline_valid(value):
    assert is_valid_cn_landline(value)


@pytest.mark.parametrize(
    "value, why",
    [
        ("010-6234567", "010 needs 8 digits"),
        ("021-5432123", "02x needs 8 digits"),
        ("010-623456789", "9 digits"),
        ("0755-261234", "6 digits"),
        ("0755-261234567", "9 digits"),
        ("400-820-8820", "400 business number"),
        ("4008208820", "400 business number"),
        ("800-820-8820", "800 business number"),
        ("8008208820", "800 business number"),
        ("010-02345678", "local number starts with 0"),
        ("010-12345678", "local number starts with 1"),
        ("0755-02612345", "local number starts with 0"),
        ("0755-12612345", "local number starts with 1"),
        ("13812345678", "a mobile"),
        ("62345678", "no area code"),
        ("0155-26123456", "area codes 01x other than 010 do not exist"),
        ("010-6234abcd", "letters"),
        ("", "empty"),
    ],
)
def test_landline_invalid(value, why):
    assert not is_valid_cn_landline(value), why


# --------------------------------------------------------------------------------------
# EMAIL_ADDRESS
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value",
    ["zhang.wei@163.com", "123456789@qq.com", "li_na-88@sina.com.cn", "user+tag@example.org",
     "Wang.Fang@Company.COM", "a@b.cn", " x@y.io "],
)
def test_email_valid(value):
    assert is_valid_email(value)


@pytest.mark.parametrize(
    "value, why",
    [
        ("zhangwei@163", "no TLD"),
        ("@163.com", "no local part"),
        ("zhangwei163.com", "no @"),
        ("zhang wei@163.com", "space"),
        ("zhang@@163.com", "double @"),
        (".zhang@163.com", "leading dot"),
        ("zhang.@163.com", "trailing dot"),
        ("zh..ang@163.com", "double dot"),
        ("zhang@-163.com", "label starts with hyphen"),
        ("zhang@163.c0m", "digit in TLD"),
        ("zhang@163.c", "one-letter TLD"),
        ("a" * 65 + "@163.com", "local part over 64"),
        ("张伟@163.com", "non-ASCII local part"),
        ("", "empty"),
    ],
)
def test_email_invalid(value, why):
    assert not is_valid_email(value), why


# --------------------------------------------------------------------------------------
# IP_ADDRESS
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value",
    ["192.168.1.1", "117.136.12.34", "0.0.0.0", "255.255.255.255", "10.0.0.1", "::1",
     "2409:8a00:1234::1", "240e:3a1:4c2:1f0::5", "fe80::1ff:fe23:4567:890a", "::ffff:192.0.2.128"],
)
def test_ip_valid(value):
    assert is_valid_ip(value)


@pytest.mark.parametrize(
    "value, why",
    [
        ("256.1.1.1", "octet over 255"),
        ("192.168.01.1", "leading zero"),
        ("010.1.1.1", "leading zero"),
        ("1.2.3", "three octets"),
        ("1.2.3.4.5", "five octets"),
        ("1.2.3.-4", "negative"),
        ("2409:8a00:::1", "triple colon"),
        ("2409:8a00::1::2", "two ::"),
        ("gggg::1", "not hex"),
        ("v1.2.3.4", "prefix"),
        ("", "empty"),
    ],
)
def test_ip_invalid(value, why):
    assert not is_valid_ip(value), why


# --------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------

@st.composite
def resident_ids(draw) -> str:
    """A valid 18-character ID: real province, any county digits, real 1930–2020 date, computed check."""
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    county = draw(st.integers(0, 9999))
    born = draw(st.dates(dt.date(1930, 1, 1), dt.date(2020, 12, 31)))
    seq = draw(st.integers(0, 999))
    first17 = f"{province:02d}{county:04d}{born:%Y%m%d}{seq:03d}"
    return first17 + ref_check_char(first17)


@st.composite
def card_numbers(draw) -> str:
    """A Luhn-valid card number: UnionPay 62, Visa 4 or Mastercard 51-55, 13 to 19 digits."""
    prefix = draw(st.sampled_from(["62", "622848", "622202", "621700", "4", "51", "52", "53", "54", "55"]))
    length = draw(st.integers(13, 19))
    body = draw(st.text("0123456789", min_size=length - 1 - len(prefix), max_size=length - 1 - len(prefix)))
    return ref_luhn_complete(prefix + body)


mobiles = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(sorted(MOBILE_PREFIXES)),
    st.text("0123456789", min_size=8, max_size=8),
)


@given(resident_ids())
@example("44030419900307123X")
def test_generated_resident_ids_validate(value):
    assert is_valid_resident_id(value)
    assert is_valid_resident_id(value.lower())
    assert resident_id_check_char(value[:17]) == value[17]
    assert resident_id_birth_date(value) == dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


@given(resident_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_breaks_resident_id(value, pos, delta):
    changed = value[:pos] + str((int(value[pos]) + delta) % 10) + value[pos + 1:]
    assert not is_valid_resident_id(changed)


@given(resident_ids(), st.sampled_from("0123456789X"))
def test_any_other_check_char_breaks_resident_id(value, check):
    assume(check != value[17])
    assert not is_valid_resident_id(value[:17] + check)


@given(card_numbers())
def test_generated_cards_validate(value):
    assert luhn_ok(value)
    assert is_valid_bank_card(value)
    grouped = " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    assert is_valid_bank_card(grouped)
    assert luhn_check_digit(value[:-1]) == value[-1]


@given(card_numbers(), st.data())
def test_any_single_digit_change_breaks_luhn(value, data):
    pos = data.draw(st.integers(0, len(value) - 1))
    delta = data.draw(st.integers(1, 9))
    changed = value[:pos] + str((int(value[pos]) + delta) % 10) + value[pos + 1:]
    assert not luhn_ok(changed)
    assert not is_valid_bank_card(changed)


_MOBILE_FORMATS = [
    "{n}", "{a}-{b}-{c}", "{a} {b} {c}", "+86{n}", "+86 {n}", "+86 {a} {b} {c}", "+86-{a}-{b}-{c}",
    "86{n}", "86-{n}", "0086{n}", "0086 {a} {b} {c}", "(+86){n}",
]


@given(mobiles, st.sampled_from(_MOBILE_FORMATS))
def test_generated_mobiles_validate_and_round_trip(number, fmt):
    text = fmt.format(n=number, a=number[:3], b=number[3:7], c=number[7:])
    assert is_valid_cn_mobile(text)
    assert normalize_mobile(text) == number
    assert normalize_mobile(normalize_mobile(text)) == number


@given(st.text("0123456789", min_size=11, max_size=11))
def test_random_11_digits_valid_only_on_allocated_prefix(number):
    assert is_valid_cn_mobile(number) == (number[:3] in MOBILE_PREFIXES)


_VALIDATORS = [is_valid_resident_id, is_valid_bank_card, is_valid_cn_mobile, is_valid_cn_landline,
               is_valid_email, is_valid_ip]


@settings(max_examples=300)
@given(st.one_of(
    st.text(),
    # Strings of things str.isdigit() accepts (superscripts, circled, full-width, Arabic-Indic digits).
    st.text(st.sampled_from("0123456789Xx²³①⑨４５٣߁-+ ()"), min_size=10, max_size=20),
))
def test_validators_never_raise(value):
    for validator in _VALIDATORS:
        assert validator(value) in (True, False)
    assert normalize_mobile(value) is None or (len(normalize_mobile(value)) == 11 and normalize_mobile(value).isascii())


def test_name_shaped_word_list_is_current():
    """The shipped list equals what scripts/make_name_words.py derives from jieba's dictionary and the surnames."""
    import importlib.util
    from pathlib import Path

    from detectors.validators import name_shaped_words

    spec = importlib.util.spec_from_file_location(
        "make_name_words", Path(__file__).resolve().parent.parent / "scripts" / "make_name_words.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.words()) == name_shaped_words()
    assert {"黄金", "江苏", "谢谢"} <= name_shaped_words()
    assert "张伟" not in name_shaped_words()
