"""Encoding detection on the cases statistical detectors get wrong."""

from __future__ import annotations

import pytest

from scanner.connectors.common import detect_encoding_bytes

KOREAN = "안녕하세요 세계 한국어 텍스트입니다 데이터베이스 고객 정보\n" * 50
JAPANESE = "日本語のテキストです。顧客情報のデータベース\n" * 30
BIG5 = "中文測試，你好，資料，客戶姓名，地址，電話號碼\n" * 30


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # a repetitive GBK column: too little variety for charset-normalizer, which says Korean
        ("编号,备注,手机号\n".encode("gbk") + "1,客户1,13900000001\n".encode("gbk") * 1000, "gb18030"),
        ("张三,北京市海淀区中关村大街1号,身份证\n".encode("gbk") * 30, "gb18030"),
        (KOREAN.encode("cp949"), "cp949"),
        (BIG5.encode("big5"), "big5"),
        ("名前,電話\n".encode() + "佐藤,090\n".encode() * 10, "utf-8"),
    ],
)
def test_detection(data, expected):
    assert detect_encoding_bytes(data, True) == expected


def test_japanese_is_not_read_as_chinese():
    assert detect_encoding_bytes(JAPANESE.encode("shift_jis"), True) in ("cp932", "shift_jis", "shift_jis_2004")
