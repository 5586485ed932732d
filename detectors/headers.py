"""Header and column-comment hints: what a column's name says it holds.

A hint is evidence, never a verdict: classification still needs the values to
agree. Names come as Chinese (身份证号), English in any case style (idCard,
ID_NO, mobile-phone) or pinyin initials (sfzh, sjhm). In both languages the
head word comes last (监护人电话 is a phone, 联系人 a name, sender_tel a
phone), so the rightmost keyword decides.
"""

from __future__ import annotations

import re
from functools import lru_cache

PHONES = ("CN_MOBILE_PHONE", "CN_LANDLINE_PHONE", "PHONE_NUMBER")

STRONG, WEAK = 1.0, 0.5

# Chinese keywords -> entities. Matched as substrings; the rightmost match wins.
ZH_KEYWORDS: list[tuple[str, tuple[str, ...], float]] = [
    ("身份证", ("CN_RESIDENT_ID",), STRONG),
    ("身份号", ("CN_RESIDENT_ID",), STRONG),
    ("证件号", ("CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT"), STRONG),
    ("证件", ("CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT"), WEAK),
    ("护照", ("CN_PASSPORT",), STRONG),
    ("通行证", ("CN_TRAVEL_PERMIT",), STRONG),
    ("回乡证", ("CN_TRAVEL_PERMIT",), STRONG),
    ("台胞证", ("CN_TRAVEL_PERMIT",), STRONG),
    ("手机", ("CN_MOBILE_PHONE",), STRONG),
    ("电话", PHONES, STRONG),
    ("联系方式", PHONES, WEAK),
    ("座机", ("CN_LANDLINE_PHONE",), STRONG),
    ("固话", ("CN_LANDLINE_PHONE",), STRONG),
    ("固定电话", ("CN_LANDLINE_PHONE",), STRONG),
    ("传真", ("CN_LANDLINE_PHONE",), WEAK),
    ("银行卡", ("BANK_CARD",), STRONG),
    ("卡号", ("BANK_CARD",), STRONG),
    ("账号", ("BANK_CARD",), WEAK),
    ("帐号", ("BANK_CARD",), WEAK),
    ("开户账号", ("BANK_CARD",), STRONG),
    ("银行账户", ("BANK_CARD",), STRONG),
    ("地址", ("ADDRESS",), STRONG),
    ("住址", ("ADDRESS",), STRONG),
    ("住所", ("ADDRESS",), STRONG),
    ("籍贯", ("ADDRESS",), WEAK),
    ("邮箱", ("EMAIL_ADDRESS",), STRONG),
    ("电子邮件", ("EMAIL_ADDRESS",), STRONG),
    ("邮件", ("EMAIL_ADDRESS",), WEAK),
    ("姓名", ("PERSON_NAME",), STRONG),
    ("名字", ("PERSON_NAME",), STRONG),
    ("联系人", ("PERSON_NAME",), STRONG),
    ("监护人", ("PERSON_NAME",), STRONG),
    ("家长", ("PERSON_NAME",), WEAK),
    ("收件人", ("PERSON_NAME",), STRONG),
    ("收货人", ("PERSON_NAME",), STRONG),
    ("寄件人", ("PERSON_NAME",), STRONG),
    ("发件人", ("PERSON_NAME",), STRONG),
    ("法人", ("PERSON_NAME",), WEAK),
    ("客户名", ("PERSON_NAME",), WEAK),
    ("申请人", ("PERSON_NAME",), WEAK),
    ("持卡人", ("PERSON_NAME",), STRONG),
    ("出生日期", ("DATE_OF_BIRTH",), STRONG),
    ("出生", ("DATE_OF_BIRTH",), STRONG),
    ("生日", ("DATE_OF_BIRTH",), STRONG),
    ("车牌", ("CN_LICENSE_PLATE",), STRONG),
    ("信用代码", ("CN_USCC",), STRONG),
    ("统一社会信用代码", ("CN_USCC",), STRONG),
    ("密码", ("CREDENTIAL",), STRONG),
    ("口令", ("CREDENTIAL",), STRONG),
    ("密钥", ("CREDENTIAL",), STRONG),
    ("令牌", ("CREDENTIAL",), STRONG),
    ("IP", ("IP_ADDRESS",), STRONG),
    ("IP地址", ("IP_ADDRESS",), STRONG),
    ("邮箱地址", ("EMAIL_ADDRESS",), STRONG),
    ("邮件地址", ("EMAIL_ADDRESS",), STRONG),
    ("MAC地址", (), STRONG),
    ("网址", (), STRONG),
]

# English words (after splitting case styles) -> entities; the rightmost word wins.
EN_WORDS: dict[str, tuple[tuple[str, ...], float]] = {
    "name": (("PERSON_NAME",), STRONG),
    "fullname": (("PERSON_NAME",), STRONG),
    "firstname": (("PERSON_NAME",), STRONG),
    "lastname": (("PERSON_NAME",), STRONG),
    "surname": (("PERSON_NAME",), STRONG),
    "forename": (("PERSON_NAME",), STRONG),
    "sender": (("PERSON_NAME",), WEAK),
    "receiver": (("PERSON_NAME",), WEAK),
    "recipient": (("PERSON_NAME",), WEAK),
    "consignee": (("PERSON_NAME",), WEAK),
    "applicant": (("PERSON_NAME",), WEAK),
    "guardian": (("PERSON_NAME",), WEAK),
    "contact": (("PERSON_NAME",), WEAK),
    "mobile": (("CN_MOBILE_PHONE", "PHONE_NUMBER"), STRONG),
    "cell": (("CN_MOBILE_PHONE", "PHONE_NUMBER"), STRONG),
    "cellphone": (("CN_MOBILE_PHONE", "PHONE_NUMBER"), STRONG),
    "msisdn": (("CN_MOBILE_PHONE", "PHONE_NUMBER"), STRONG),
    "phone": (PHONES, STRONG),
    "telephone": (PHONES, STRONG),
    "tel": (PHONES, STRONG),
    "fax": (("CN_LANDLINE_PHONE", "PHONE_NUMBER"), WEAK),
    "landline": (("CN_LANDLINE_PHONE",), STRONG),
    "card": (("BANK_CARD",), STRONG),
    "pan": (("BANK_CARD",), WEAK),
    "iban": (("BANK_CARD",), STRONG),
    "account": (("BANK_CARD",), WEAK),
    "acct": (("BANK_CARD",), WEAK),
    "address": (("ADDRESS",), STRONG),
    "addr": (("ADDRESS",), STRONG),
    "street": (("ADDRESS",), STRONG),
    "email": (("EMAIL_ADDRESS",), STRONG),
    "mail": (("EMAIL_ADDRESS",), STRONG),
    "ip": (("IP_ADDRESS",), STRONG),
    "ipv4": (("IP_ADDRESS",), STRONG),
    "ipv6": (("IP_ADDRESS",), STRONG),
    "dob": (("DATE_OF_BIRTH",), STRONG),
    "birthday": (("DATE_OF_BIRTH",), STRONG),
    "birthdate": (("DATE_OF_BIRTH",), STRONG),
    "birth": (("DATE_OF_BIRTH",), STRONG),
    "born": (("DATE_OF_BIRTH",), WEAK),
    "plate": (("CN_LICENSE_PLATE",), STRONG),
    "vehicle": (("CN_LICENSE_PLATE",), WEAK),
    "passport": (("CN_PASSPORT",), STRONG),
    "permit": (("CN_TRAVEL_PERMIT",), STRONG),
    "uscc": (("CN_USCC",), STRONG),
    "ssn": (("US_SSN",), STRONG),
    "password": (("CREDENTIAL",), STRONG),
    "passwd": (("CREDENTIAL",), STRONG),
    "pwd": (("CREDENTIAL",), STRONG),
    "secret": (("CREDENTIAL",), STRONG),
    "token": (("CREDENTIAL",), STRONG),
    "apikey": (("CREDENTIAL",), STRONG),
    "passcode": (("CREDENTIAL",), STRONG),
}

# Word pairs that mean something else than their last word.
EN_PHRASES: dict[tuple[str, ...], tuple[tuple[str, ...], float] | None] = {
    ("id", "card"): (("CN_RESIDENT_ID",), STRONG),
    ("id", "no"): (("CN_RESIDENT_ID",), STRONG),
    ("id", "number"): (("CN_RESIDENT_ID",), STRONG),
    ("id", "num"): (("CN_RESIDENT_ID",), STRONG),
    ("idcard",): (("CN_RESIDENT_ID",), STRONG),
    ("national", "id"): (("CN_RESIDENT_ID",), STRONG),
    ("citizen", "id"): (("CN_RESIDENT_ID",), STRONG),
    ("identity",): (("CN_RESIDENT_ID",), STRONG),
    ("resident", "id"): (("CN_RESIDENT_ID",), STRONG),
    ("social", "security"): (("US_SSN",), STRONG),
    ("credit", "code"): (("CN_USCC",), STRONG),
    ("api", "key"): (("CREDENTIAL",), STRONG),
    ("access", "key"): (("CREDENTIAL",), STRONG),
    ("private", "key"): (("CREDENTIAL",), STRONG),
    ("secret", "key"): (("CREDENTIAL",), STRONG),
    ("ip", "address"): (("IP_ADDRESS",), STRONG),
    ("ip", "addr"): (("IP_ADDRESS",), STRONG),
    ("remote", "addr"): (("IP_ADDRESS",), STRONG),
    ("email", "address"): (("EMAIL_ADDRESS",), STRONG),
    ("mail", "address"): (("EMAIL_ADDRESS",), STRONG),
    ("date", "of", "birth"): (("DATE_OF_BIRTH",), STRONG),
    ("license", "plate"): (("CN_LICENSE_PLATE",), STRONG),
    ("car", "no"): (("CN_LICENSE_PLATE",), STRONG),
    ("vehicle", "no"): (("CN_LICENSE_PLATE",), STRONG),
    ("given", "name"): (("PERSON_NAME",), STRONG),
    ("first", "name"): (("PERSON_NAME",), STRONG),
    ("last", "name"): (("PERSON_NAME",), STRONG),
    ("family", "name"): (("PERSON_NAME",), STRONG),
    ("card", "holder"): (("PERSON_NAME",), STRONG),
    # Names that are not a person's name.
    ("user", "name"): None,
    ("username",): None,
    ("file", "name"): None,
    ("filename",): None,
    ("host", "name"): None,
    ("hostname",): None,
    ("product", "name"): None,
    ("item", "name"): None,
    ("sku", "name"): None,
    ("company", "name"): None,
    ("table", "name"): None,
    ("column", "name"): None,
    ("dept", "name"): None,
    ("department", "name"): None,
    ("app", "name"): None,
    ("mac", "address"): None,
    ("gift", "card"): None,
    ("card", "type"): None,
    ("card", "level"): None,
}

# Pinyin initials, matched only as a whole word or the whole compact name.
PINYIN: dict[str, tuple[tuple[str, ...], float]] = {
    "sfz": (("CN_RESIDENT_ID",), STRONG),
    "sfzh": (("CN_RESIDENT_ID",), STRONG),
    "sfzhm": (("CN_RESIDENT_ID",), STRONG),
    "zjhm": (("CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT"), STRONG),
    "zjh": (("CN_RESIDENT_ID", "CN_PASSPORT", "CN_TRAVEL_PERMIT"), STRONG),
    "sjh": (("CN_MOBILE_PHONE",), STRONG),
    "sjhm": (("CN_MOBILE_PHONE",), STRONG),
    "shouji": (("CN_MOBILE_PHONE",), STRONG),
    "lxdh": (PHONES, STRONG),
    "dh": (PHONES, WEAK),
    "dhhm": (PHONES, STRONG),
    "gddh": (("CN_LANDLINE_PHONE",), STRONG),
    "xm": (("PERSON_NAME",), STRONG),
    "xingming": (("PERSON_NAME",), STRONG),
    "lxr": (("PERSON_NAME",), STRONG),
    "dz": (("ADDRESS",), STRONG),
    "zz": (("ADDRESS",), WEAK),
    "jtzz": (("ADDRESS",), STRONG),
    "jtdz": (("ADDRESS",), STRONG),
    "shdz": (("ADDRESS",), STRONG),
    "csrq": (("DATE_OF_BIRTH",), STRONG),
    "sr": (("DATE_OF_BIRTH",), WEAK),
    "yhkh": (("BANK_CARD",), STRONG),
    "yhk": (("BANK_CARD",), STRONG),
    "yhzh": (("BANK_CARD",), STRONG),
    "khzh": (("BANK_CARD",), STRONG),
    "cph": (("CN_LICENSE_PLATE",), STRONG),
    "cphm": (("CN_LICENSE_PLATE",), STRONG),
    "yx": (("EMAIL_ADDRESS",), WEAK),
    "dzyx": (("EMAIL_ADDRESS",), STRONG),
    "hzh": (("CN_PASSPORT",), STRONG),
    "hzhm": (("CN_PASSPORT",), STRONG),
    "txz": (("CN_TRAVEL_PERMIT",), STRONG),
    "tyshxydm": (("CN_USCC",), STRONG),
    "xydm": (("CN_USCC",), STRONG),
    "mm": (("CREDENTIAL",), WEAK),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")


def english_words(name: str) -> list[str]:
    """Lower-case words of a name in snake, kebab, camel or Pascal case."""
    ascii_part = re.sub(r"[^\x00-\x7f]", " ", name)
    words: list[str] = []
    for chunk in _NON_WORD.split(ascii_part):
        words.extend(w.lower() for w in _CAMEL.split(chunk) if w)
    return words


def _zh_hint(text: str) -> tuple[int, dict[str, float]] | None:
    """Rightmost Chinese keyword (longest at a tie) and its entities."""
    best: tuple[int, int, tuple[str, ...], float] | None = None
    upper = text.upper()
    for keyword, entities, weight in ZH_KEYWORDS:
        pos = upper.rfind(keyword)
        if keyword == "IP":
            # only a standalone IP inside Chinese text (IP地址), not 'ZIP' or 'SHIPPING'
            m = list(re.finditer(r"(?<![A-Z])IP(?![A-Z])", upper))
            pos = m[-1].start() if m else -1
        if pos < 0:
            continue
        key = (pos + len(keyword), len(keyword))
        if best is None or key > (best[0], best[1]):
            best = (key[0], key[1], entities, weight)
    if best is None:
        return None
    return best[0], {e: best[3] for e in best[2]}


def _en_hint(words: list[str]) -> dict[str, float] | None:
    """Hint from English words or pinyin initials: the rightmost match wins."""
    compact = "".join(words)
    if compact in PINYIN:
        entities, weight = PINYIN[compact]
        return {e: weight for e in entities}
    for end in range(len(words), 0, -1):
        for size in (3, 2, 1):
            if end - size < 0:
                continue
            phrase = tuple(words[end - size : end])
            if phrase in EN_PHRASES:
                found = EN_PHRASES[phrase]
                return {e: found[1] for e in found[0]} if found else {}
        word = words[end - 1]
        if word in EN_WORDS:
            entities, weight = EN_WORDS[word]
            return {e: weight for e in entities}
        if word in PINYIN and len(words) > 1:
            entities, weight = PINYIN[word]
            return {e: weight for e in entities}
    return None


@lru_cache(maxsize=4096)
def header_hints(name: str, comment: str | None = None) -> dict[str, float]:
    """Entities a column's name (leaf of a dotted path) and comment point to, with weights.

    An empty dict means no hint. The comment is read the same way and its
    hints are merged, keeping the stronger weight.
    """
    hints: dict[str, float] = {}
    for text in (name.rsplit(".", 1)[-1], comment or ""):
        if not text:
            continue
        found = _zh_hint(text)
        if found is None:
            found_en = _en_hint(english_words(text))
            found = (0, found_en) if found_en is not None else None
        if found is None:
            continue
        for entity, weight in found[1].items():
            hints[entity] = max(hints.get(entity, 0.0), weight)
    return hints
