"""The whole-array validators agree with the per-value ones on the same values."""

from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import validators as v
from detectors import vectorized as vz
from detectors.entities.address import AddressRecognizer

digits = st.text(alphabet="0123456789", min_size=10, max_size=20)
idish = st.builds(lambda body, c: body + c, st.text(alphabet="0123456789", min_size=17, max_size=17),
                  st.sampled_from("0123456789Xx"))
noise = st.text(min_size=0, max_size=25)


def _valid_id(body: str) -> str:
    return body + v.resident_id_check_char(body)


ids = st.builds(lambda r, y, m, d, s: _valid_id(f"{r}{y:04d}{m:02d}{d:02d}{s:03d}"),
                st.sampled_from(["110105", "440304", "932001", "650102"]), st.integers(1900, 2024),
                st.integers(1, 12), st.integers(1, 31), st.integers(0, 999))


@settings(max_examples=60)
@given(st.lists(st.one_of(ids, idish, digits, noise), min_size=1, max_size=40))
def test_resident_id_mask_agrees(values):
    assert list(vz.resident_id_mask(pa.array(values))) == [v.is_valid_resident_id(x) for x in values]


@settings(max_examples=60)
@given(st.lists(st.one_of(digits, noise, st.from_regex(r"\d{4}( \d{4}){3}", fullmatch=True)), min_size=1, max_size=40))
def test_luhn_mask_agrees(values):
    assert list(vz.luhn_mask(pa.array(values))) == [v.is_valid_bank_card(x) for x in values]


mobiles = st.from_regex(r"(\+86 ?|0086|86)?1[0-9]{2}[- ]?[0-9]{4}[- ]?[0-9]{4}", fullmatch=True)


@settings(max_examples=60)
@given(st.lists(st.one_of(mobiles, digits, noise), min_size=1, max_size=40))
def test_mobile_mask_agrees(values):
    assert list(vz.mobile_mask(pa.array(values))) == [v.is_valid_cn_mobile(x) for x in values]


emails = st.from_regex(r"[a-z0-9._+-]{1,10}@[a-z0-9-]{1,8}(\.[a-z]{2,5}){1,2}", fullmatch=True)
ipv4 = st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True)


@settings(max_examples=60)
@given(st.lists(st.one_of(emails, noise), min_size=1, max_size=40))
def test_email_mask_agrees(values):
    assert list(vz.email_mask(pa.array(values))) == [v.is_valid_email(x) for x in values]


@settings(max_examples=60)
@given(st.lists(st.one_of(ipv4, noise), min_size=1, max_size=40))
def test_ipv4_mask_agrees(values):
    expected = [v.is_valid_ip(x) and ":" not in x for x in values]
    assert list(vz.ipv4_mask(pa.array(values))) == expected


def test_address_array_path_matches_single_values():
    values = ["山东省青岛市市南区建设大道646号21栋3单元407室", "北京市海淀区和平街600号15栋2单元2004室", "火星市某区路1号",
              "1600 Pennsylvania Ave NW, Washington, DC 20500", "黄金会员", "742 Evergreen Terrace"]
    assert list(AddressRecognizer().validate_array(pa.array(values))) == [v.is_valid_address(x) for x in values]


def _uscc(body: str) -> str:
    return body + v.uscc_check_char(body)


usccs = st.builds(lambda p, d, rest: _uscc(p + d + rest), st.sampled_from(["91", "92", "12", "Y1"]),
                  st.sampled_from(["110000", "440300", "990000", "100000"]),
                  st.text(alphabet=v.USCC_ALPHABET, min_size=9, max_size=9))


@settings(max_examples=60)
@given(st.lists(st.one_of(usccs, idish, noise), min_size=1, max_size=40))
def test_uscc_mask_agrees(values):
    assert list(vz.uscc_mask(pa.array(values))) == [v.is_valid_uscc(x) for x in values]


han = st.text(alphabet="王李欧阳张伟芳娜黄金会员谢谢高级财务部买提·艾力江苏司马", min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(han, noise), min_size=1, max_size=40))
def test_chinese_name_mask_agrees(values):
    assert list(vz.chinese_name_mask(pa.array(values))) == [v.is_chinese_name(x) for x in values]


def test_person_name_array_path():
    from detectors.entities.person_name import PersonNameRecognizer

    values = ["张伟", "欧阳娜娜", "黄金会员", "Elizabeth Johnson", "Apple Watch", "Smith, John", "谢谢", "买提·艾力"]
    assert list(PersonNameRecognizer().validate_array(pa.array(values))) == [v.is_person_name(x) for x in values]
