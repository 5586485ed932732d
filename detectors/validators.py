"""Format validators: the checks that turn a pattern match into a finding.

Each validator takes one candidate string (already matched by a cheap pattern)
and answers whether it is a real identifier. They are pure functions so the
same code serves the Presidio recognizers, column classification, the
anonymizer and the tests.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re

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


def is_valid_bank_card(value: str) -> bool:
    """13-19 digits (groups allowed), not all one digit, passing Luhn."""
    d = digits_only(value)
    if not 13 <= len(d) <= 19 or len(set(d)) == 1:
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


def is_valid_cn_landline(value: str) -> bool:
    """0 + area code + 7/8 digits (010/02x take 8), optional extension.

    400/800 service numbers have no trunk 0 and so never validate: they are
    business numbers, not personal data.
    """
    v = value.strip()
    if not _LANDLINE_SHAPE.match(v):
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
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$"
)


def is_valid_email(value: str) -> bool:
    """RFC-shaped local part and a dotted domain with an alphabetic TLD (offline: no suffix list)."""
    v = value.strip()
    return len(v) <= 254 and bool(_EMAIL.match(v)) and len(v.split("@", 1)[0]) <= 64


def is_valid_ip(value: str) -> bool:
    """IPv4 dotted quad or IPv6, as the standard library parses them."""
    v = value.strip()
    if not v or len(v) > 45:
        return False
    try:
        addr = ipaddress.ip_address(v)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv4Address):
        # '1.2.3.4' is also a version string; leading zeros are not addresses.
        return all(p == "0" or not p.startswith("0") for p in v.split("."))
    return True
