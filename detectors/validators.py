"""Format validators: the checks that turn a pattern match into a finding.

Each validator takes one candidate string (already matched by a cheap pattern)
and answers whether it is a real identifier. They are pure functions so the
same code serves the Presidio recognizers, column classification, the
anonymizer and the tests.
"""

from __future__ import annotations

import datetime as _dt
import functools
import ipaddress
import re
from pathlib import Path

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
PROVINCE_CODES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82]
)
# 2023 foreign permanent resident cards start with 9 and share the checksum.
FOREIGN_PERMANENT_PREFIX = "9"

MOBILE_PREFIXES = frozenset(
    [f"13{d}" for d in range(10)]
    + ["145", "147", "149"]
    + [f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)]
    + ["162", "165", "166", "167"]
    + [f"17{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8)]
    + [f"18{d}" for d in range(10)]
    + [f"19{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)]
)

_NON_DIGIT = re.compile(r"[^0-9]")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def _is_digits(value: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts '²', '①', full-width and Arabic-Indic digits."""
    return value.isascii() and value.isdigit()


def digits_only(value: str) -> str:
    """Strip everything but ASCII digits, for formats printed with separators.

    Full-width digits (common in Chinese text) are not kept: normalize with
    ``unicodedata.normalize("NFKC", ...)`` before validating.
    """
    return _NON_DIGIT.sub("", value)


def _valid_date(year: int, month: int, day: int, today: _dt.date | None = None) -> bool:
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    today = today or _dt.date.today()
    return _dt.date(1880, 1, 1) <= born <= today


def resident_id_check_char(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def resident_id_birth_date(value: str) -> _dt.date | None:
    """Birth date encoded in a (validated) resident ID, or None."""
    v = value.strip().upper()
    try:
        if len(v) == 18:
            return _dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
        if len(v) == 15:
            return _dt.date(1900 + int(v[6:8]), int(v[8:10]), int(v[10:12]))
    except ValueError:
        return None
    return None


def is_valid_resident_id(value: str, today: _dt.date | None = None) -> bool:
    """Checksum, real birth date and province code: each alone lets fakes through."""
    v = value.strip().upper()
    if len(v) == 18:
        if not _is_digits(v[:17]) or not (_is_digits(v[17]) or v[17] == "X"):
            return False
        if v[0] == FOREIGN_PERMANENT_PREFIX:
            # 2023 permanent resident card: 9 + issuing province + nationality code
            if int(v[1:3]) not in PROVINCE_CODES:
                return False
        elif int(v[:2]) not in PROVINCE_CODES:
            return False
        if not _valid_date(int(v[6:10]), int(v[10:12]), int(v[12:14]), today):
            return False
        return resident_id_check_char(v[:17]) == v[17]
    if len(v) == 15 and _is_digits(v):
        if int(v[:2]) not in PROVINCE_CODES:
            return False
        return _valid_date(1900 + int(v[6:8]), int(v[8:10]), int(v[10:12]), today)
    return False


def luhn_ok(number: str) -> bool:
    """Luhn mod-10 check over a string of ASCII digits (anything else, or empty, fails)."""
    if not _is_digits(number):
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass Luhn."""
    for d in "0123456789":
        if luhn_ok(partial + d):
            return d
    raise AssertionError("unreachable: one digit always completes Luhn")


# Epoch timestamps in ms (13 digits), us (16) and ns (19) from 2001 to 2039 start with
# 1, 20 or 21; no card scheme issues numbers of those lengths there (Visa 4, Mastercard
# 2221-2720 and 5, UnionPay 62, UATP's 1 is 15 digits), and 1 in 10 such stamps passes Luhn.
TIMESTAMP_LENGTHS = (13, 16, 19)
TIMESTAMP_PREFIXES = ("1", "20", "21")


def looks_like_epoch(digits: str) -> bool:
    """Whether a digit string reads as an epoch timestamp in ms, us or ns (log fields like ts=)."""
    return len(digits) in TIMESTAMP_LENGTHS and digits.startswith(TIMESTAMP_PREFIXES)


def is_valid_bank_card(value: str) -> bool:
    """13-19 digits (groups allowed), not all one digit, not an epoch timestamp, passing Luhn."""
    d = digits_only(value)
    if not 13 <= len(d) <= 19 or len(set(d)) == 1 or looks_like_epoch(d):
        return False
    return luhn_ok(d)


def normalize_mobile(value: str) -> str | None:
    """The bare 11 digits of a mainland mobile written with +86/0086/86 and separators."""
    v = _SEPARATORS.sub("", value.strip())
    for prefix in ("+86", "0086", "86"):
        if v.startswith(prefix) and len(v) == 11 + len(prefix):
            v = v[len(prefix):]
            break
    if len(v) == 11 and _is_digits(v) and v[0] == "1":
        return v
    return None


def is_valid_cn_mobile(value: str) -> bool:
    """11 digits on an allocated 1xx prefix."""
    v = normalize_mobile(value)
    return v is not None and v[:3] in MOBILE_PREFIXES


_LANDLINE_SHAPE = re.compile(r"^[+\d\s\-()（）]+(?:(?:转|ext\.?|x|#)\s*\d{1,5})?$", re.IGNORECASE)
_LANDLINE_EXT = re.compile(r"(?:\s*(?:转|ext\.?|x|#)\s*|-)(\d{1,5})$", re.IGNORECASE)


def _landline_digits_ok(d: str) -> bool:
    """Digits of a number starting with the trunk 0: area code then a local number."""
    if len(d) < 10 or d[0] != "0":
        return False
    if d.startswith("010") or d.startswith("02"):
        return len(d) == 11 and d[3] not in "01"
    if d[1] in "3456789":
        return len(d) in (11, 12) and d[4] not in "01"
    return False


# The area code as written before a separator: a three-digit one is 010 or 02x (090-1234-5678 is a
# Japanese mobile, not Tacheng's 0901 area code regrouped).
_AREA_GROUP = re.compile(r"^[(（]?0[)）]?(\d{1,3})[)）]?[ \-]")


def is_valid_cn_landline(value: str) -> bool:
    """0 + area code + 7/8 digits (010/02x take 8), optional extension; an area code written apart must exist.

    400/800 service numbers have no trunk 0 and so never validate: they are
    business numbers, not personal data.
    """
    v = value.strip()
    if not _LANDLINE_SHAPE.match(v):
        return False
    group = _AREA_GROUP.match(v)
    if group and len(group.group(1)) == 2 and not group.group(1).startswith(("10", "2")):
        return False
    candidates = [v]
    m = _LANDLINE_EXT.search(v)
    if m:
        candidates.append(v[: m.start()])
    for cand in candidates:
        d = digits_only(cand)
        if cand.lstrip().startswith(("+86", "0086")):
            d = d[2:] if d.startswith("86") else d[4:]
            d = d if d.startswith("0") else "0" + d
        if _landline_digits_ok(d):
            return True
    return False


_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9\-]{1,59})$"
)


def is_valid_email(value: str) -> bool:
    """RFC-shaped local part and a dotted domain with an alphabetic TLD (offline: no suffix list)."""
    v = value.strip()
    return len(v) <= 254 and bool(_EMAIL.match(v)) and len(v.split("@", 1)[0]) <= 64


def is_valid_ip(value: str) -> bool:
    """IPv4 dotted quad or IPv6 (zone allowed), as the standard library parses them, optionally /prefix.

    The unspecified address '::' is rejected: Haskell's `map :: a -> b` and C++'s
    `Foo :: Bar` write it, and it never identifies a host.
    """
    v = value.strip()
    if not v or len(v) > 64:
        return False
    v, slash, prefix = v.partition("/")
    try:
        addr = ipaddress.ip_address(v)
    except ValueError:
        return False
    if slash and not (prefix.isdigit() and len(prefix) <= 3 and int(prefix) <= addr.max_prefixlen):
        return False
    if isinstance(addr, ipaddress.IPv4Address):
        # '1.2.3.4' is also a version string; leading zeros are not addresses.
        return all(p == "0" or not p.startswith("0") for p in v.split("."))
    return addr.packed != bytes(16)


# --- Unified social credit code (GB 32100-2015) ---------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_INDEX = {ch: i for i, ch in enumerate(USCC_ALPHABET)}


def uscc_check_char(first17: str) -> str:
    """Check character of a unified social credit code."""
    total = sum(_USCC_INDEX[ch] * w for ch, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    """18 characters of the USCC alphabet, a numeric division code, a matching check character."""
    v = value.strip().upper()
    if len(v) != 18 or any(ch not in _USCC_INDEX for ch in v):
        return False
    if not _is_digits(v[2:8]) or int(v[2:4]) not in PROVINCE_CODES and v[2:4] != "10":
        return False
    return uscc_check_char(v[:17]) == v[17]


# --- US social security number -------------------------------------------------

_SSN = re.compile(r"^(\d{3})[-. ]?(\d{2})[-. ]?(\d{4})$")


def is_valid_us_ssn(value: str) -> bool:
    """Area 001-899 except 666, group 01-99, serial 0001-9999; no advertising numbers."""
    m = _SSN.match(value.strip())
    if not m:
        return False
    area, group, serial = m.groups()
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return False
    digits = area + group + serial
    return len(set(digits)) > 1 and digits not in ("123456789", "078051120", "219099999")


# --- Passports, permits, plates ------------------------------------------------

_PASSPORT = re.compile(r"^(?:E\d{8}|E[A-HJ-NP-Z]\d{7}|G\d{8}|[DSP]E?\d{7,8})$")
_PERMIT = re.compile(r"^(?:C\d{8}|C[A-HJ-NP-Z]\d{7}|[HM]\d{8}(?:\d{2})?|\d{8})$")
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    rf"^[{PLATE_PROVINCES}][A-HJ-NP-Z][·•\s\-]?"
    r"(?:[DF][A-HJ-NP-Z0-9]{5}|\d{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳])$"
)


def is_valid_cn_passport(value: str) -> bool:
    """PRC passport number shapes (ordinary E/G, official D/S/P)."""
    v = value.strip().upper()
    return bool(_PASSPORT.match(v)) and len(set(v[1:])) > 2


def is_valid_cn_travel_permit(value: str) -> bool:
    """Mainland-HK/Macao (C...), HK/Macao residents (H/M...), Taiwan residents (8 digits)."""
    v = value.strip().upper()
    return bool(_PERMIT.match(v)) and len(set(v[-8:])) > 2


def is_valid_cn_plate(value: str) -> bool:
    """Province character, issuing letter, 5 characters (6 for new-energy plates)."""
    v = value.strip().upper()
    return bool(_PLATE.match(v))


# --- Person names ---------------------------------------------------------------

DATA_DIR = Path(__file__).with_name("data")


def _read_list(name: str) -> list[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [w for line in lines if not line.startswith("#") for w in line.split()]


@functools.lru_cache(maxsize=1)
def cn_surnames() -> tuple[frozenset[str], frozenset[str]]:
    """(compound surnames, single-character surnames)."""
    words = _read_list("cn_surnames.txt")
    return frozenset(w for w in words if len(w) == 2), frozenset(w for w in words if len(w) == 1)


@functools.lru_cache(maxsize=1)
def en_names() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), title-cased."""
    return frozenset(_read_list("en_first_names.txt")), frozenset(_read_list("en_last_names.txt"))


@functools.lru_cache(maxsize=1)
def jieba_tags() -> dict[str, str]:
    """jieba's dictionary word -> POS tag (loaded once; no network)."""
    import logging

    import jieba
    import jieba.posseg

    from detectors import jiebadict

    jieba.setLogLevel(logging.WARNING)
    jiebadict.initialize()  # jieba's cache in one read, not its per-entry file reads
    return jieba.posseg.dt.word_tag_tab if jieba.posseg.dt.word_tag_tab else {}


_HAN_ONLY = re.compile(r"^[\u3400-\u9fff]+$")
# given-name endings that make a "name" an organisation, place or thing
NOT_NAME_SUFFIX = tuple("省市区县镇乡村路街号楼室店部司局厅处科院校馆园场站厂行社会组队级色型款类")


def is_chinese_name(value: str) -> bool:
    """2-4 Han characters: a known surname (compound first) and a 1-2 character given name.

    Any word of jieba's dictionary is rejected (黄金, 江苏, 谢谢 — the
    dictionary even tags some of these as names): ordinary people's names are
    not dictionary words, common words are. This keeps category columns and
    chat phrases out.
    """
    v = value.strip()
    if "·" in v:  # transliterated minority / foreign names: 买买提·艾力
        parts = v.split("·")
        return 3 <= len(v) <= 16 and all(p and _HAN_ONLY.match(p) for p in parts)
    if not name_shaped(v):
        return False
    compound, _single = cn_surnames()
    given = v[2:] if v[:2] in compound and len(v) in (3, 4) else v[1:]
    if given.endswith(NOT_NAME_SUFFIX) or v.endswith(NOT_NAME_SUFFIX):
        return False
    if len(v) == 2 and v[0] == v[1]:
        return False
    return v not in name_shaped_words()


def name_shaped(value: str) -> bool:
    """Han only, a compound surname and 1-2 more characters or a single surname and 1-2 more."""
    if not 2 <= len(value) <= 4 or not _HAN_ONLY.match(value):
        return False
    compound, single = cn_surnames()
    return (value[:2] in compound and len(value) in (3, 4)) or (value[0] in single and len(value) in (2, 3))


@functools.lru_cache(maxsize=1)
def name_shaped_words() -> frozenset[str]:
    """jieba dictionary words that pass name_shaped (detectors/data, from scripts/make_name_words.py)."""
    return frozenset(_read_list("cn_name_shaped_words.txt"))


# English names (issue 16): the census lists hold common names only, so mimesis's ``Temeka Klein`` and
# Presidio's ``Dan Tailor`` have one known part and one rare one. A name is two or three capitalized
# words where the first is a known first name or the last a known last name, the other part a plain
# capitalized word: not one of the everyday words that start place, organisation and sentence phrases
# (``New York``, ``Long Beach``, ``Dear Smith``). detectors/ennames.py finds the same names in text.
# Capitalized everyday words (function words, greetings, directions, place, street and organisation
# words, titles, days) are never one half of a half-known name; known names are never blocked by them.
@functools.lru_cache(maxsize=1)
def not_name_words() -> frozenset[str]:
    """Capitalized everyday words (detectors/data/en_not_name_words.txt), title-cased."""
    return frozenset(_read_list("en_not_name_words.txt"))

_EN_WORD = r"[A-Z][A-Za-z'\-]+"
_EN_NAME = re.compile(rf"^({_EN_WORD})(?: [A-Z]\.?)?(?: ({_EN_WORD}))?(?: ({_EN_WORD}))$")
_EN_NAME_REVERSED = re.compile(rf"^({_EN_WORD}), ({_EN_WORD})$")


def plain_name_word(word: str) -> bool:
    """A capitalized word that may be the rare half of a name (not an everyday word, not an acronym)."""
    return word.title() not in not_name_words() and len(word) >= 2 and any(c.islower() for c in word)


def is_name_pair(first: str, last: str) -> bool:
    """First and last name words: one of them known from the census lists, the other a plain capitalized word."""
    first_names, last_names = en_names()
    first, last = first.title(), last.title()
    if first in first_names and last in last_names:
        return True
    if first in first_names:
        return plain_name_word(last)
    return last in last_names and plain_name_word(first)


def is_english_name(value: str) -> bool:
    """'First [M.] [Middle] Last' or 'Last, First' with a known first or last name, the other part plain."""
    s = value.strip()
    m = _EN_NAME.match(s)
    if m:
        middle = m.group(2)
        return (middle is None or plain_name_word(middle) or middle.title() in en_names()[0]) and is_name_pair(
            m.group(1), m.group(3))
    m = _EN_NAME_REVERSED.match(s)
    return m is not None and is_name_pair(m.group(2), m.group(1))


def is_person_name(value: str) -> bool:
    """A Chinese or an English person name."""
    return is_chinese_name(value) or is_english_name(value)


# --- Addresses -------------------------------------------------------------------

# RE2-compatible (shared with the vectorized path in vectorized.py / AddressRecognizer).
CN_ADMIN_RE2 = r"(?:省|自治区|市|区|县|旗|州|盟|镇|乡|街道)"
CN_DETAIL_RE2 = (
    r"(?:[0-9]+|[一二三四五六七八九十百]+)\s*(?:号|栋|幢|单元|室|楼|层|弄|巷|组)|(?:路|街|道|巷|弄|胡同|村|小区|花园|大厦|广场|社区)"
)
# English postal addresses (RE2-compatible, unanchored: the cell check anchors it, the span pattern
# searches it). A street line (number, 1-4 capitalized words, a street suffix, a unit), then a city
# with a US state and ZIP or a UK postcode; a PO box; a US military address (PSC/Unit/CMR ... Box,
# ship names; APO/FPO/DPO). The common suffixes (Street, Road ...) make an address alone; the many
# others Faker and the USPS use (Plains, Union, Stravenue ...) only with a unit or a city line.
EN_CORE_SUFFIX = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
                  r"Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl)")
EN_OTHER_SUFFIX = (
    r"(?:Alley|Arcade|Bridge|Brooks?|Burgs?|Bypass|Camp|Canyon|Cape|Causeway|Center|Centre|Cliffs?|Close|Club|"
    r"Common|Corners?|Course|Courts|Coves?|Creek|Crescent|Crest|Crossing|Curve|Dale|Dam|Divide|Drives|Estates?|"
    r"Expressway|Extensions?|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|Fort|Freeway|Gardens?|Gate|"
    r"Gateway|Glens?|Greens?|Groves?|Harbors?|Haven|Heights|Hills?|Hollow|Inlet|Islands?|Isle|Junctions?|Keys?|"
    r"Knolls?|Lakes?|Land|Landing|Lights?|Loaf|Locks?|Lodge|Loop|Mall|Manors?|Meadows?|Mews|Mills?|Mission|"
    r"Motorway|Mount|Mountains?|Neck|Orchard|Oval|Overpass|Parks?|Parkways|Pass|Passage|Path|Pike|Pines?|Plains?|"
    r"Plaza|Points?|Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|Rest|Ridges?|Rise|River|Roads|Route|Row|Rue|Run|"
    r"Shoals?|Shores?|Skyway|Springs?|Spurs?|Squares|Station|Stravenue|Stream|Streets|Summit|Throughway|Trace|"
    r"Track|Trafficway|Tunnel|Turnpike|Underpass|Unions?|Valleys?|Via|Viaduct|Views?|Villages?|Ville|Vista|Walks?|"
    r"Wall|Ways|Wells?|Wharf|Yard)"
)
_EN_NUMBER_WORDS = r"\d{1,6}[A-Za-z]?\s+(?:[A-Z][A-Za-z0-9.'\-]*\s+){1,4}"
_EN_DIRECTION = r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?"
_EN_UNIT = r",?\s*(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*[A-Za-z0-9\-]+"
_EN_CITY_LINE = (r",?\s+(?:[A-Z][A-Za-z.'\-]*\s?){1,4}(?:,\s*|\s+)"
                 r"(?:[A-Z]{2}\s+\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})")
_EN_MILITARY = (r"(?:(?:PSC|CMR|Unit)\s+\d{3,5},?\s+Box\s+\d{3,5}|(?:USNS|USNV|USS|USCGC)\s+[A-Z][A-Za-z]+)"
                r",?\s+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}")
EN_ADDRESS_RE2 = (
    r"(?:" + _EN_NUMBER_WORDS + EN_CORE_SUFFIX + r"\b\.?" + _EN_DIRECTION + r"(?:" + _EN_UNIT + r")?(?:"
    + _EN_CITY_LINE + r"|,\s*[A-Z][A-Za-z .'\-]+)?"
    r"|" + _EN_NUMBER_WORDS + EN_OTHER_SUFFIX + r"\b" + _EN_DIRECTION + r"(?:(?:" + _EN_UNIT + r")?" + _EN_CITY_LINE
    + r"|" + _EN_UNIT + r")"
    r"|(?:P\.?\s?O\.?\s?Box|Post Office Box)\s+\d{1,6}(?:" + _EN_CITY_LINE + r")?"
    r"|" + _EN_MILITARY + r")"
)
EN_STREET_RE2 = r"^" + EN_ADDRESS_RE2 + r"$"
_CN_ADMIN = re.compile(CN_ADMIN_RE2)
_CN_DETAIL = re.compile(CN_DETAIL_RE2)
_EN_STREET = re.compile(EN_STREET_RE2)


PROVINCE_NAMES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
    "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古",
    "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)
_ADDRESS_LEAD = re.compile(r"^.*?(?:寄到|送到|发到|送至|寄至|住在|住址是|地址是|地址为|地址[:：]|位于|搬到|到|在|是|为)")


def address_start(span: str) -> int:
    """Offset where the address proper begins in a matched span (drops a leading 寄到/住在...)."""
    hits = [i for i in (span.find(name) for name in PROVINCE_NAMES) if i >= 0]
    if hits:
        return min(hits)
    m = _ADDRESS_LEAD.match(span)
    return m.end() if m and m.end() < len(span) - 4 else 0


def chinese_address_shape(value: str) -> bool:
    """Administrative part plus a street/number part (省 市 区 县 ... 路 号 栋 单元 室)."""
    v = value.strip()
    return 6 <= len(v) <= 120 and bool(_CN_ADMIN.search(v)) and bool(_CN_DETAIL.search(v))


def chinese_addresses_resolve(values: list[str]) -> list[bool]:
    """Whether cpca maps each address's province/city/district part to an adcode.

    cpca works on a whole list at once (pandas inside), so callers pass every
    distinct candidate of a column in one call.
    """
    if not values:
        return []
    import cpca  # imported lazily: loading its adcode table takes a moment

    frame = cpca.transform(values)
    return [isinstance(code, str) and len(code) >= 6 for code in frame["adcode"].tolist()]


def is_english_address(value: str) -> bool:
    """House number, street name and suffix, optional unit, city, state and ZIP."""
    return bool(_EN_STREET.match(value.strip()))


def validate_addresses(values: list[str]) -> list[bool]:
    """Batch address validation: English by shape, Chinese by shape and cpca adcode."""
    results = [False] * len(values)
    chinese: list[int] = []
    for i, v in enumerate(values):
        if is_english_address(v):
            results[i] = True
        elif chinese_address_shape(v):
            chinese.append(i)
    for i, ok in zip(chinese, chinese_addresses_resolve([values[i] for i in chinese])):
        results[i] = ok
    return results


def is_valid_address(value: str) -> bool:
    """Single-value form of validate_addresses."""
    return validate_addresses([value])[0]


# --- Dates of birth ----------------------------------------------------------------

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DAY_FIRST_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")  # 02.12.1979: European, day first


def parse_date(value: str) -> _dt.date | None:
    """A calendar date in the common Chinese/ISO/US spellings, or None."""
    v = value.strip()
    for pattern in _DATE_PATTERNS:
        m = pattern.match(v)
        if m:
            try:
                return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                return None
    m = _US_DATE.match(v) or _DAY_FIRST_DATE.match(v)
    if m:
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        month, day = (first, second) if first <= 12 and "/" in v else (second, first)  # 17/06/1976: day first
        try:
            return _dt.date(year, month, day)
        except ValueError:
            return None
    return None


def is_plausible_birth_date(value: str, today: _dt.date | None = None) -> bool:
    """A real date between 1900 and today (people are born in the past)."""
    born = parse_date(value)
    today = today or _dt.date.today()
    return born is not None and _dt.date(1900, 1, 1) <= born <= today


# --- International phone numbers ---------------------------------------------------


def is_valid_intl_phone(value: str) -> bool:
    """A possible phone number by libphonenumber (US default region), not a mainland one.

    Mainland numbers belong to CN_MOBILE_PHONE / CN_LANDLINE_PHONE.
    """
    import phonenumbers

    v = value.strip()
    if v.startswith("001") and len(digits_only(v)) >= 13:  # 001-286-638-4543: the international prefix dialled from Asia
        v = "+1" + v[3:]
    if _NATIONAL.match(v):
        return _valid_national_phone(v)
    try:
        number = phonenumbers.parse(v, None if v.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        return False
    if number.country_code == 86 or is_business_number(number):
        return False
    return phonenumbers.is_possible_number(number) and len(digits_only(v)) >= 7


# A number in national format (trunk 0, separators): 09-7625400, 090-1234-5678, 020 7946 0958.
NATIONAL_PHONE_RE2 = r"0[1-9]\d{0,3}[ \-]\d{3,8}(?:[ \-]\d{3,4})?"
_NATIONAL = re.compile(r"^(?:\(0\)\d{1,3}[ .\-]?\d|" + NATIONAL_PHONE_RE2 + r")[\d .\-]*$")
# Countries whose numbers are written with a trunk 0 and that a Chinese or English data set meets.
# Italy is left out: its plan admits almost any 6-11 digits after a 0 (order and part numbers).
NATIONAL_REGIONS = ("GB", "IL", "JP", "KR", "DE", "FR", "ES", "NL", "AU", "NZ", "IN", "TW", "BR", "ZA", "IE", "TH",
                    "MY", "VN", "PH", "ID", "TR")


def _valid_national_phone(value: str) -> bool:
    """A valid number of one of NATIONAL_REGIONS, and not a mainland landline (the mainland's own shape wins).

    Without a country code the country is unknown, so the number must be
    valid (not merely possible) and a personal line in one of them.
    """
    import phonenumbers

    if is_valid_cn_landline(value):
        return False
    for region in NATIONAL_REGIONS:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return False
        if phonenumbers.is_valid_number(number) and not is_business_number(number):
            return True
    return False


def is_business_number(number) -> bool:
    """Toll-free, premium, shared-cost and service ranges: they reach a business, not a person.

    North America keeps N00 area codes for such services (400 reserved, 500/600/700,
    800 toll-free, 900 premium): 400-800-8888 and 800-820-8820 are Chinese company
    hotlines written in that shape. Other countries' ranges come from libphonenumber's
    number types (possible-but-unassigned numbers are UNKNOWN and stay personal).
    """
    import phonenumbers
    from phonenumbers import PhoneNumberType as T

    national = str(number.national_number)
    if number.country_code == 1 and len(national) == 10 and national[1:3] == "00":
        return True
    return phonenumbers.number_type(number) in (T.TOLL_FREE, T.PREMIUM_RATE, T.SHARED_COST, T.UAN)


# --- Credentials -------------------------------------------------------------------

_HASHED = re.compile(
    r"^(?:\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$.+|\$[156]\$.+|"
    r"(?:pbkdf2|sha1|sha256|sha512|md5|scrypt|bcrypt)[$:_].+|[A-Fa-f0-9]{32}|[A-Fa-f0-9]{40}|[A-Fa-f0-9]{64}|"
    r"[A-Fa-f0-9]{128}|\{SSHA\}.+|\{SHA\}.+)$"
)
_MASKED = re.compile(r"^[*xX•#]{3,}$|\*{3,}")
KNOWN_TOKEN = re.compile(
    r"^(?:AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|"
    r"xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_\-]{20,}|sk_live_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_\-]{35}|"
    r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY-----.*)$",
    re.DOTALL,
)


def is_known_token(value: str) -> bool:
    """A secret in a well-known vendor format (AWS, GitHub, Slack, OpenAI, Stripe, Google, JWT, PEM key)."""
    return bool(KNOWN_TOKEN.match(value.strip()))


# A generated password (Faker, password managers): letters, digits and symbols, of which at least one
# symbol from PASSWORD_SPECIALS, which random tokens (hex, base64, base64url), UUIDs, versions, prices,
# e-mails and URLs never hold. RE2-compatible (the credential cell pattern).
PASSWORD_SPECIALS = r"!#$%^&*()"
PASSWORD_CHARS = r"[A-Za-z0-9!@#$%^&*()_+=\-]"
_PASSWORD = re.compile(r"^" + PASSWORD_CHARS + r"{8,64}$")


def is_generated_password(value: str) -> bool:
    """8-64 characters mixing lower case, upper case, digits and a symbol (``y&5H7PYCkj``), nothing else."""
    return (bool(_PASSWORD.match(value)) and any(c in PASSWORD_SPECIALS for c in value)
            and any(c.islower() for c in value) and any(c.isupper() for c in value)
            and any(c.isdigit() for c in value))


def is_clear_credential(value: str) -> bool:
    """A value that looks like a secret held in clear: not a hash, not masked, no spaces, 4-512 chars."""
    v = value.strip()
    if is_known_token(v):
        return True
    if not 4 <= len(v) <= 512 or " " in v or _HASHED.match(v) or _MASKED.search(v):
        return False
    return not v.isdigit() or len(v) >= 6
