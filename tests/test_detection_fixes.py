"""Issue 16 part 1: structured identifiers in free text and in cells (IP, card, phone, plate, SSN, e-mail)."""

from __future__ import annotations

import functools

import pyarrow as pa
import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.classify import shared_recognizers
from detectors.freetext import find_spans


@functools.lru_cache(maxsize=1)
def _recognizers():
    return shared_recognizers()


def spans(text: str, entity: str) -> list[str]:
    """The strings of one entity found in a text by the free-text path."""
    found = find_spans(_recognizers(), pa.array([text], type=pa.string()), [text])[0]
    return sorted(text[s:e] for ent, s, e, _ in found if ent == entity)


def cell_valid(value: str, entity: str, hinted: bool = False) -> bool:
    """Whether the cell path accepts a whole value as the entity (cell regex + vectorized validator)."""
    rec = next(r for r in _recognizers() if r.ENTITY == entity)
    if not regex.search(rec.cell_regex(hinted), value):
        return False
    return bool(rec.validate_array(pa.array([value], type=pa.string()))[0])


@pytest.mark.parametrize(("text", "want"), [
    ("Foo :: Bar", []),
    ("map :: a -> b", []),
    ("Unspecified ::", []),
    ("::ffff:256.0.0.1", []),
    ("2001:db8::256.1.1.1", []),
    ("::ffff:192.168.1", []),
    ("::ffff:192.0.2.1", ["::ffff:192.0.2.1"]),
    ("0:0:0:0:0:FFFF:129.144.52.38", ["0:0:0:0:0:FFFF:129.144.52.38"]),
    ("IP: 192.168.1.1.", ["192.168.1.1"]),
    ("peer 203.0.113.1:40000 closed", ["203.0.113.1"]),
    ("[2001:db8::1]:8080", ["2001:db8::1"]),
    ("iface fe80::1%eth0 up", ["fe80::1%eth0"]),
    ("net 192.168.1.0/24 allowed", ["192.168.1.0/24"]),
    ("Use 2001:db8::/32.", ["2001:db8::/32"]),
    ("open http://198.51.100.1/login now", ["198.51.100.1"]),
    ("release v2.3.4.5 today", []),
    ("version 2.3.4.5 shipped", []),
    ("版本 2.3.4.5 已发布", []),
    ("192.168.1.1.1", []),
    ("text192.168.1.1", []),
    ("at 10:00:00 sharp", []),
])
def test_ip_spans(text: str, want: list[str]) -> None:
    assert spans(text, "IP_ADDRESS") == want


@pytest.mark.parametrize(("value", "ok"), [
    ("::", False), ("::/0", False), ("192.168.1.0/24", True), ("192.168.1.0/33", False),
    ("fe80::1%eth0", True), ("::ffff:192.0.2.1", True), ("2001:db8::/129", False),
])
def test_ip_cells(value: str, ok: bool) -> None:
    assert cell_valid(value, "IP_ADDRESS") is ok


@pytest.mark.parametrize(("text", "entity", "want"), [
    ("车牌豫N-11039的车主", "CN_LICENSE_PLATE", ["豫N-11039"]),
    ("京Z-32892", "CN_LICENSE_PLATE", ["京Z-32892"]),
    ("SSN 078.05.1123.", "US_SSN", ["078.05.1123"]),
    ("My social security number is 109.99.6000", "US_SSN", ["109.99.6000"]),
    ("not 109.99-6000 nor 1.109.99.6000", "US_SSN", []),
    ("write to <a@b.com> today", "EMAIL_ADDRESS", ["a@b.com"]),
    ("mailto:a@b.com", "EMAIL_ADDRESS", ["a@b.com"]),
    ("contact a@xn--d1acufc.xn--p1ai", "EMAIL_ADDRESS", ["a@xn--d1acufc.xn--p1ai"]),
])
def test_plate_ssn_email_spans(text: str, entity: str, want: list[str]) -> None:
    assert spans(text, entity) == want


@pytest.mark.parametrize(("value", "entity"), [
    ("豫N-11039", "CN_LICENSE_PLATE"), ("京Z-32892", "CN_LICENSE_PLATE"),
    ("a@xn--d1acufc.xn--p1ai", "EMAIL_ADDRESS"),
])
def test_plate_ssn_email_cells(value: str, entity: str) -> None:
    assert cell_valid(value, entity)


def test_dotted_ssn_cell_needs_a_header() -> None:
    assert cell_valid("078.05.1123", "US_SSN", hinted=True)
    assert not cell_valid("078.05.1123", "US_SSN")


@pytest.mark.parametrize(("text", "want"), [
    ("Card 4111 1111 1111 1111 2024", ["4111 1111 1111 1111"]),
    ("4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881",
     ["4012 8888 8888 1881", "4012-8888-8888-1881", "4012888888881881"]),
    ("卡号 6222 0202 0000 1234 567 已绑定", []),  # 19 digits grouped 4-4-4-4-3 fails Luhn: no 16-digit piece either
    ("ts=1748503543012", []),
    ("时间戳 1748503543012", []),
    ("us=1748503543012345", []),
])
def test_card_spans(text: str, want: list[str]) -> None:
    assert spans(text, "BANK_CARD") == want


def test_epoch_stamps_are_not_cards_in_cells_either() -> None:
    from detectors import validators as v

    stamps = [str(1748503543000 + i) for i in range(200)] + [str(1748503543000000 + i) for i in range(200)]
    assert not any(cell_valid(s, "BANK_CARD") for s in stamps)
    assert not any(v.is_valid_bank_card(s) for s in stamps)
    assert cell_valid("4111111111111111", "BANK_CARD") and cell_valid("6222021308580965123", "BANK_CARD") is \
        v.is_valid_bank_card("6222021308580965123")


@pytest.mark.parametrize(("text", "want"), [
    ("400-800-8888", []),
    ("客服热线400-800-8888", []),
    ("免费电话 800-820-8820", []),
    ("toll free 1-888-555-2368", []),
    ("拨打95588或12345或96110", []),
    ("call 212.555.0100 x123", ["212.555.0100 x123"]),
    ("call 212 555 0100 today", ["212 555 0100"]),
    ("Athens +30 21 0 1234567", ["+30 21 0 1234567"]),
    ("London +44 20 7946 0958.", ["+44 20 7946 0958"]),
    ("Phone: 453.872.2671x65823", ["453.872.2671x65823"]),
    ("Phone: (286)638-4543", ["(286)638-4543"]),
    ("Phone: 001-286-638-4543x123", ["001-286-638-4543x123"]),
    ("My phone number is 1-312-515-2239", ["1-312-515-2239"]),
    ("My phone number is 312-515-2239 ext. 12", ["312-515-2239 ext. 12"]),
    ("Call me on my cell 312.714.8142 or in my office 773.415.7432", ["312.714.8142", "773.415.7432"]),
    ("IP 212.155.100.200 and build 2024.212.555.0100", []),
])
def test_phone_spans(text: str, want: list[str]) -> None:
    assert spans(text, "PHONE_NUMBER") == want


@pytest.mark.parametrize("value", ["453.872.2671x65823", "(286)638-4543", "001-286-638-4543x123", "1-312-515-2239"])
def test_us_export_phone_cells(value: str) -> None:
    assert cell_valid(value, "PHONE_NUMBER")


@pytest.mark.parametrize("value", ["400-800-8888", "800-820-8820", "+1 800 555 0100"])
def test_business_lines_are_not_phone_cells(value: str) -> None:
    assert not cell_valid(value, "PHONE_NUMBER")


@pytest.mark.parametrize(("text", "want"), [
    ("办公电话 010-8000 6000", ["010-8000 6000"]),
    ("电话 (0)10-8888 6666", ["(0)10-8888 6666"]),
    ("总机 021-64370000转123", ["021-64370000转123"]),
])
def test_landline_text_agrees_with_cells(text: str, want: list[str]) -> None:
    assert spans(text, "CN_LANDLINE_PHONE") == want
    assert all(cell_valid(w, "CN_LANDLINE_PHONE") for w in want)


def _profile(name: str, values: list):
    from detectors.classify import ColumnProfile

    profile = ColumnProfile(name, None)
    profile.update(pa.array(values))
    return profile


def _plates(n: int) -> list[str]:
    import random

    rng = random.Random(16)
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    return [rng.choice("京沪粤豫川浙") + rng.choice(letters) + "".join(rng.choice("0123456789" + letters[:5])
                                                                     for _ in range(5)) for _ in range(n)]


def test_placeholder_heavy_plate_column_classifies_and_counts_them() -> None:
    values = _plates(32) + ["无"] * 120 + ["暂无", "N/A", "-", "/", "null", "NULL", "0", "  无 "] * 5
    profile = _profile("c7", values)
    assert profile.result().primary_entity == "CN_LICENSE_PLATE"
    assert profile.placeholders == 160 and profile.values == 32


def test_placeholder_count_survives_a_merge() -> None:
    from detectors.classify import ColumnProfile

    a, b = _profile("c", ["无", "京A12345"]), _profile("c", ["N/A", "未知", "沪B54321"])
    merged = ColumnProfile.from_state("c", None, a.state()).merge(b)
    assert merged.placeholders == 3 and merged.values == 2


def test_values_that_merely_contain_placeholder_text_stay() -> None:
    from detectors.classify import placeholder_mask

    mask = placeholder_mask(pa.array(["无锡市", "0.5", "n/a/b", "10", "无"]))
    assert mask.tolist() == [False, False, False, False, True]


def _extra_shapes(rng) -> dict[str, str]:
    """Shapes issue 16 added, beside bench/labelled.py's generators."""
    area, exchange, line = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    us = rng.choice([f"{area}.{exchange}.{line:04d}x{rng.randint(1, 99999)}", f"({area}){exchange}-{line:04d}",
                     f"001-{area}-{exchange}-{line:04d}", f"1-{area}-{exchange}-{line:04d}",
                     f"{area}-{exchange}-{line:04d} ext. {rng.randint(1, 999)}"])
    octets = [rng.randint(1, 254) for _ in range(4)]
    ip = rng.choice([".".join(map(str, octets)) + f"/{rng.randint(8, 32)}",
                     "::ffff:" + ".".join(map(str, octets)), f"fe80::{rng.randint(1, 0xffff):x}%eth{rng.randint(0, 3)}",
                     f"2001:db8::{rng.randint(1, 0xffff):x}"])
    plate = rng.choice("京沪粤豫") + rng.choice("ABCDEFGHJK") + "-" + f"{rng.randint(10000, 99999)}"
    return {"PHONE_NUMBER": us, "IP_ADDRESS": ip, "CN_LICENSE_PLATE": plate,
            "CN_LANDLINE_PHONE": f"010-{rng.randint(2000, 8999)} {rng.randint(0, 9999):04d}"}


_TEMPLATES = ["{v}", "客户联系方式：{v}。", "请核对（{v}），谢谢", "号码{v}已登记", "Contact: {v}.", "see ({v}), then",
              "value={v}; next", "\"{v}\"", "[{v}]", "- {v}\n"]


@settings(max_examples=int(__import__("os").environ.get("PIIWARDEN_FUZZ_EXAMPLES", 80)), deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from(_TEMPLATES))
def test_a_valid_cell_is_found_as_a_span_in_sentences(rng, template: str) -> None:
    """Cell and free-text paths agree: whatever validates as a whole cell is a span when embedded."""
    from bench import labelled as g

    values = {"CN_RESIDENT_ID": g.resident_id(rng), "BANK_CARD": g.bank_card(rng), "CN_MOBILE_PHONE": g.mobile(rng),
              "CN_LANDLINE_PHONE": g.landline(rng), "EMAIL_ADDRESS": g.email(rng), "IP_ADDRESS": g.ipv4(rng),
              "CN_USCC": g.uscc(rng), "CN_LICENSE_PLATE": g.plate(rng), "US_SSN": g.ssn(rng),
              "PHONE_NUMBER": g.intl_phone(rng)}
    pairs = [(e, val) for e, val in list(values.items()) + list(_extra_shapes(rng).items()) if cell_valid(val, e)]
    texts = [template.format(v=value) for _, value in pairs]
    found = find_spans(_recognizers(), pa.array(texts, type=pa.string()), texts)
    for (entity, value), text, hits in zip(pairs, texts, found):
        assert value in [text[s:e] for ent, s, e, _ in hits if ent == entity], (entity, value, text)
