"""Header hints and masking shapes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.headers import english_words, header_hints
from detectors.masking import mask_chars, mask_value


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("身份证号", "CN_RESIDENT_ID"), ("证件号码", "CN_RESIDENT_ID"), ("idCard", "CN_RESIDENT_ID"),
        ("ID_NO", "CN_RESIDENT_ID"), ("id-number", "CN_RESIDENT_ID"), ("sfzh", "CN_RESIDENT_ID"),
        ("sfzhm", "CN_RESIDENT_ID"), ("手机号", "CN_MOBILE_PHONE"), ("mobile_phone", "CN_MOBILE_PHONE"),
        ("sjhm", "CN_MOBILE_PHONE"), ("sjh", "CN_MOBILE_PHONE"), ("监护人电话", "CN_LANDLINE_PHONE"),
        ("lxdh", "CN_MOBILE_PHONE"), ("银行卡号", "BANK_CARD"), ("yhkh", "BANK_CARD"), ("开户账号", "BANK_CARD"),
        ("家庭住址", "ADDRESS"), ("jtzz", "ADDRESS"), ("收货地址", "ADDRESS"), ("姓名", "PERSON_NAME"),
        ("联系人", "PERSON_NAME"), ("cust_name", "PERSON_NAME"), ("CustName", "PERSON_NAME"), ("xm", "PERSON_NAME"),
        ("出生日期", "DATE_OF_BIRTH"), ("csrq", "DATE_OF_BIRTH"), ("dob", "DATE_OF_BIRTH"),
        ("车牌号", "CN_LICENSE_PLATE"), ("cph", "CN_LICENSE_PLATE"), ("IP地址", "IP_ADDRESS"),
        ("client_ip", "IP_ADDRESS"), ("user.contact.email", "EMAIL_ADDRESS"), ("login_password", "CREDENTIAL"),
    ],
)
def test_header_hints(name, entity):
    assert entity in header_hints(name)


@pytest.mark.parametrize("name", ["user_id", "order_no", "username", "product_name", "学号", "amount", "zip", "agent.id"])
def test_headers_without_hints(name):
    assert header_hints(name) == {}


def test_rightmost_keyword_decides():
    assert set(header_hints("联系人电话")) >= {"CN_MOBILE_PHONE"}
    assert "PERSON_NAME" not in header_hints("联系人电话")
    assert header_hints("联系人") == {"PERSON_NAME": 1.0}


def test_comment_is_a_hint():
    assert "CN_RESIDENT_ID" in header_hints("c7", "客户身份证号码")


def test_english_words_split_case_styles():
    assert english_words("mobilePhoneNo") == ["mobile", "phone", "no"]
    assert english_words("ID_CARD-num") == ["id", "card", "num"]
    assert english_words("HTTPServerIP") == ["http", "server", "ip"]


@pytest.mark.parametrize(
    ("entity", "value", "masked"),
    [
        ("CN_MOBILE_PHONE", "13812345678", "138******78"),
        ("CN_MOBILE_PHONE", "+86 13812345678", "+86 138******78"),
        ("CN_RESIDENT_ID", "11010519491231002X", "110105********002X"),
        ("BANK_CARD", "6228480402564890018", "622848*********0018"),
        ("EMAIL_ADDRESS", "zhang.san@example.com", "z***@example.com"),
        ("IP_ADDRESS", "192.168.10.20", "192.168.*.*"),
        ("PERSON_NAME", "张三丰", "张**"),
    ],
)
def test_mask_shapes(entity, value, masked):
    assert mask_value(entity, value) == masked


@given(st.text(min_size=1, max_size=40), st.integers(0, 30), st.integers(0, 30))
def test_mask_never_reveals_whole_value(value, keep_first, keep_last):
    masked = mask_chars(value, keep_first, keep_last)
    assert len(masked) == len(value)
    n = sum(1 for c in value if c.isalnum())
    hidden = sum(1 for a, b in zip(value, masked) if a.isalnum() and b == "*")
    assert hidden >= (max(1, n // 3) if n else 0)
    # separators and punctuation are kept, so the shape stays readable
    assert all(a == b for a, b in zip(value, masked) if not a.isalnum())


@given(st.from_regex(r"1[3-9]\d{9}", fullmatch=True))
def test_mobile_mask_keeps_shape(number):
    masked = mask_value("CN_MOBILE_PHONE", number)
    assert masked[:3] == number[:3] and masked[-2:] == number[-2:] and masked[3:9] == "******"


def test_address_mask_keeps_administrative_part():
    from detectors.masking import mask_addresses

    masked = mask_addresses(["山东省青岛市市南区建设大道646号21栋3单元407室", "北京市海淀区阳光小区3号",
                             "1600 Pennsylvania Ave, Washington, DC 20500"])
    assert masked[0] == "山东省青岛市市南区" + "*" * 18
    assert masked[1] == "北京市海淀区******"
    assert masked[2] == "**** ************ ***, Washington, DC 20500"
    assert mask_value("ADDRESS", "朝阳区建国路88号3栋") == "朝阳区********"
