"""Generalization: coarser values that keep analytic use and raise k-anonymity.

date → year (default) or month; age → band (``30-39``); address → city
(default), province or district; resident ID → region + birth year
(``110105-1990``), or the birth year alone; mobile → its 3-digit network
prefix; IP → its /24 (IPv6: /48); coordinates → two decimals (about 1 km). Values of other entities fall back to the
default mask, since there is no coarser form of, say, a card number.
"""

from __future__ import annotations

import ipaddress
import re

from detectors.entities import registry
from detectors.validators import normalize_mobile, resident_id_birth_date
from scanner.anonymize.address import has_han, split_address

_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]?\s*(\d{1,2})")
_YEAR = re.compile(r"^\s*(\d{4})")
_AGE = re.compile(r"^\s*(\d{1,3})(?:\.\d+)?\s*(岁)?\s*$")


def generalize_date(value: str, to: str | None) -> str | None:
    """``1990-03-07`` → ``1990`` or ``1990-03``; None when it is not a date."""
    m = _DATE.match(value)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}" if to == "month" else m.group(1)
    y = _YEAR.match(value)
    return y.group(1) if y and to != "month" else None


def generalize_age(value: str, band: int | None) -> str | None:
    """``34`` → ``30-39`` (band width 10 by default); None when it is not an age."""
    m = _AGE.match(value)
    if not m:
        return None
    width = band or 10
    low = int(m.group(1)) // width * width
    return f"{low}-{low + width - 1}"


def generalize_address(value: str, to: str | None) -> str | None:
    """An address cut to its city (default), province or district."""
    if not has_han(value):
        parts = [p.strip() for p in value.split(",")]
        return ", ".join(parts[1:]) if len(parts) > 1 else None
    p = split_address(value)
    if to == "province":
        return p.province or p.city or None
    if to == "district":
        return p.prefix or None
    return (p.province + p.city) or p.province or p.district or None


def generalize_resident_id(value: str, to: str | None) -> str | None:
    """Region code and birth year (``110105-1990``), or the year alone (``to: year``)."""
    born = resident_id_birth_date(value)
    if born is None:
        return None
    region = value.strip()[:6]
    if to == "year":
        return str(born.year)
    if to == "province":
        return f"{region[:2]}-{born.year}"
    return f"{region}-{born.year}"


def generalize_ip(value: str) -> str | None:
    """The /24 network of an IPv4 address, /48 of an IPv6 one."""
    try:
        addr = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network(f"{addr}/{prefix}", strict=False))


_COORDINATE_NUMBER = re.compile(r"[-+]?\d{1,3}\.\d+")


def generalize_coordinate(value: str) -> str | None:
    """Every decimal degree of a coordinate cut to two decimals (about 1 km): a district, not a doorstep.

    ``39.904211,116.407395`` → ``39.90,116.40``; ``POINT(116.4074 39.9042)``
    keeps its shape. Truncated rather than rounded, so the area named still
    contains the point. DMS values lose their seconds.
    """
    if _COORDINATE_NUMBER.search(value):
        return _COORDINATE_NUMBER.sub(lambda m: _truncate(m.group(0), 2), value)
    dms = re.sub(r"(\d{1,3}\s*°\s*\d{1,2}\s*['′])\s*\d{1,2}(?:\.\d+)?\s*[\"″]", r"\1", value)
    return dms if dms != value else None


def _truncate(number: str, places: int) -> str:
    whole, _, fraction = number.partition(".")
    return f"{whole}.{(fraction + '0' * places)[:places]}"


def generalize(entity: str | None, value: str, to: str | None, band: int | None) -> str | None:
    """The generalized value, or None when this entity/value has no coarser form."""
    if to == "band":
        return generalize_age(value, band)
    spec = registry.find(entity)
    kind = spec.generalize if spec is not None else None
    if kind == "resident_id":
        return generalize_resident_id(value, to)
    if kind == "address" or to in ("province", "city", "district"):
        return generalize_address(value, to)
    if kind == "mobile_prefix":
        bare = normalize_mobile(value)
        return bare[:3] if bare else None
    if kind == "ip":
        return generalize_ip(value)
    if kind == "coordinate":
        return generalize_coordinate(value)
    if kind == "date" or to in ("year", "month") or _DATE.match(value):
        return generalize_date(value, to)
    if _AGE.match(value):
        return generalize_age(value, band)
    return None
