"""Pseudonyms: consistent, well-formed fake values per entity.

The same input always gets the same surrogate for a key (a keyed HMAC seeds
the choice), so a person keeps one fake identity across files, tables and
runs. Surrogates are well-formed on purpose (a valid-prefix mobile, an ID with
a correct checksum, a Luhn-valid card) so that downstream validation and test
systems accept them; ``piiwarden verify`` therefore accepts level >= 3 columns
that anonymization.json records as pseudonymized. Where it is cheap the
surrogate is a bijection (mobile: allocated prefix + FPE of the 8 subscriber
digits; card: BIN + FPE of the account digits + Luhn), elsewhere collisions
are possible but rare; use ``hash`` or ``fpe`` when distinctness matters.
E-mail surrogates use the RFC 2606 ``example.*`` domains, so they can never
reach a real mailbox.
"""

from __future__ import annotations

import datetime as dt
import hmac
import random
import re
from collections.abc import Callable

from detectors.entities import registry
from detectors.validators import (
    MOBILE_PREFIXES,
    PROVINCE_CODES,
    digits_only,
    luhn_check_digit,
    normalize_mobile,
    resident_id_check_char,
)
from scanner.anonymize.address import has_han, split_address
from scanner.anonymize.fpe import FormatPreserving

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕鹏辉建国文斌宇浩凯健俊帆帅旭宁欣悦琳晨阳雪婷颖倩琪瑶怡佳嘉子涵梓轩博睿诚安心然思"
FIRST_EN = ["James", "Mary", "John", "Linda", "Robert", "Susan", "Michael", "Karen", "David", "Lisa", "Daniel",
            "Nancy", "Paul", "Emma", "Mark", "Laura", "Kevin", "Amy", "Brian", "Anna", "Eric", "Helen"]
LAST_EN = ["Smith", "Brown", "Wilson", "Taylor", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright",
           "Green", "Baker", "Adams", "Nelson", "Hill", "Moore", "Allen", "Scott", "Turner", "Parker", "Evans"]
STREETS = ["和平路", "人民路", "解放路", "中山路", "建设路", "幸福街", "文化路", "长江路", "青年路", "新华街", "光明路", "学府路"]
STREETS_EN = ["Oak St", "Maple Ave", "Cedar Rd", "Pine St", "Elm St", "Lake Dr", "Hill Rd", "Park Ave"]
MAIL_WORDS = ["user", "sample", "person", "member", "client", "contact", "reader", "guest"]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PLATE_CHARS = PLATE_LETTERS + "0123456789"
_PROVINCES = sorted(p for p in PROVINCE_CODES if p < 70)
_DATE = re.compile(r"^(\d{4})([-/.年]?)(\d{1,2})([-/.月]?)(\d{1,2})(日?)(.*)$")


class Pseudonymizer:
    """Entity-aware surrogate generator, deterministic for a key."""

    def __init__(self, key: bytes, fpe: FormatPreserving) -> None:
        self._key = key
        self._fpe = fpe
        self._cache: dict[tuple[str | None, str], str] = {}

    def _rng(self, entity: str | None, value: str) -> random.Random:
        seed = hmac.digest(self._key, f"{entity}|{value}".encode(), "sha256")
        return random.Random(int.from_bytes(seed, "big"))

    def surrogate(self, entity: str | None, value: str) -> str:
        """The pseudonym of a value (cached per distinct value)."""
        got = self._cache.get((entity, value))
        if got is None:
            maker = _maker(entity)
            got = maker(self, entity, value)
            if len(self._cache) < 1_000_000:
                self._cache[(entity, value)] = got
        return got

    def _generic(self, entity: str | None, value: str) -> str:
        return self._fpe.encrypt(entity, value)

    def _mobile(self, entity: str | None, value: str) -> str:
        bare = normalize_mobile(value)
        if bare is None:
            return self._generic(entity, value)
        prefix = bare[:3] if bare[:3] in MOBILE_PREFIXES else self._rng(entity, value).choice(sorted(MOBILE_PREFIXES))
        new = prefix + self._fpe.permute(bare[3:], decrypt=False)
        return _replace_digits_tail(value, new)

    def _card(self, entity: str | None, value: str) -> str:
        d = digits_only(value)
        if len(d) < 13:
            return self._generic(entity, value)
        body = d[:6] + self._fpe.permute(d[6:-1], decrypt=False)
        return _replace_digits_tail(value, body + luhn_check_digit(body))

    def _resident_id(self, entity: str | None, value: str) -> str:
        v = value.strip()
        rng = self._rng(entity, v.upper())
        region = f"{rng.choice(_PROVINCES)}{rng.randint(1, 9):02d}{rng.randint(1, 20):02d}"
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randint(0, 20000))
        seq = rng.randint(0, 499) * 2
        if len(v) >= 17 and v[16].isdigit():
            seq += int(v[16]) % 2  # keep the sex digit's parity: analytics by sex still work
        body = f"{region}{born:%Y%m%d}{seq:03d}"
        return body + resident_id_check_char(body)

    def _name(self, entity: str | None, value: str) -> str:
        rng = self._rng(entity, value.strip())
        if has_han(value):
            size = max(1, min(3, len(value.strip()) - 1))
            return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(size))
        return f"{rng.choice(FIRST_EN)} {rng.choice(LAST_EN)}"

    def _email(self, entity: str | None, value: str) -> str:
        rng = self._rng(entity, value.strip().lower())
        return f"{rng.choice(MAIL_WORDS)}{rng.randint(1000, 99999)}@example.{rng.choice(['com', 'org', 'net'])}"

    def _address(self, entity: str | None, value: str) -> str:
        rng = self._rng(entity, value.strip())
        if has_han(value):
            parts = split_address(value)
            street = f"{rng.choice(STREETS)}{rng.randint(1, 999)}号"
            return parts.prefix + street
        head, sep, tail = value.partition(",")
        return f"{rng.randint(1, 9999)} {rng.choice(STREETS_EN)}" + (sep + tail if sep else "")

    def _landline(self, entity: str | None, value: str) -> str:
        d = digits_only(value)
        if len(d) < 9:
            return self._generic(entity, value)
        area = 3 if d.startswith(("010", "02")) else 4
        local = self._fpe.permute(d[area + 1 :], decrypt=False)
        return _replace_digits_tail(value, d[: area + 1] + local)

    def _ip(self, entity: str | None, value: str) -> str:
        rng = self._rng(entity, value.strip())
        if ":" in value:
            return "fd00:" + ":".join(f"{rng.randint(0, 0xFFFF):x}" for _ in range(7))
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    def _date(self, entity: str | None, value: str) -> str:
        m = _DATE.match(value.strip())
        if not m:
            return self._generic(entity, value)
        try:
            day = dt.date(int(m.group(1)), int(m.group(3)), int(m.group(5)))
        except ValueError:
            return self._generic(entity, value)
        shifted = day + dt.timedelta(days=self._rng(entity, value.strip()).randint(-180, 180))
        width = 2 if len(m.group(3)) == 2 or m.group(2) in ("", "-", "/", ".") and len(m.group(5)) == 2 else 1
        month, dayn = (f"{shifted.month:02d}", f"{shifted.day:02d}") if width == 2 else (str(shifted.month), str(shifted.day))
        return f"{shifted.year}{m.group(2)}{month}{m.group(4)}{dayn}{m.group(6)}{m.group(7)}"

    def _ssn(self, entity: str | None, value: str) -> str:
        rng = self._rng(entity, value.strip())
        area = rng.choice([a for a in range(1, 900) if a != 666])
        new = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        return _replace_digits_tail(value, new) if len(digits_only(value)) == 9 else new

    def _plate(self, entity: str | None, value: str) -> str:
        v = value.strip()
        rng = self._rng(entity, v)
        rest = "".join(rng.choice(PLATE_CHARS) for _ in range(max(5, len(v) - 2 - (1 if "·" in v else 0))))
        return v[:1] + rng.choice(PLATE_LETTERS) + ("·" if "·" in v else "") + rest


def _replace_digits_tail(template: str, digits: str) -> str:
    """Write ``digits`` into the last ``len(digits)`` digit positions of ``template``."""
    out = list(template)
    where = [i for i, ch in enumerate(template) if ch.isdigit()]
    for i, d in zip(where[len(where) - len(digits) :], digits):
        out[i] = d
    return "".join(out)


# Surrogate kinds (EntitySpec.surrogate) -> generator; an entity without one gets format-preserving encryption.
_MAKERS = {
    "mobile": Pseudonymizer._mobile,
    "card": Pseudonymizer._card,
    "resident_id": Pseudonymizer._resident_id,
    "name": Pseudonymizer._name,
    "email": Pseudonymizer._email,
    "address": Pseudonymizer._address,
    "landline": Pseudonymizer._landline,
    "ip": Pseudonymizer._ip,
    "date": Pseudonymizer._date,
    "ssn": Pseudonymizer._ssn,
    "plate": Pseudonymizer._plate,
}
SURROGATE_KINDS = frozenset(_MAKERS)


def _maker(entity: str | None) -> Callable[[Pseudonymizer, str | None, str], str]:
    """The generator an entity's spec names, or the same-shape generic one (FPE)."""
    spec = registry.find(entity)
    kind = spec.surrogate if spec is not None else None
    return _MAKERS.get(kind or "", Pseudonymizer._generic)
