"""Masked renderings of sensitive values, in the shapes Chinese users expect.

Used for the samples in findings and reports (a raw value must never leave
the process) and as the default ``mask`` shape of anonymization.
"""

from __future__ import annotations

import ipaddress
import re

from detectors.entities import registry
from detectors.entities.spec import MASK_ADDRESS, MASK_CHARS, MASK_EMAIL, MASK_IP, MASK_NATIONAL
from detectors.validators import digits_only, normalize_mobile


def default_keep(entity: str | None) -> tuple[int, int]:
    """(keep_first, keep_last) of an entity's default mask, counted over letters and digits; (1, 1) if none."""
    spec = registry.find(entity)
    return spec.mask if spec is not None and spec.mask is not None else (1, 1)


def mask_style(entity: str | None) -> str:
    """How an entity's values are masked by default (detectors/entities/spec.py MASK_*)."""
    spec = registry.find(entity)
    return spec.mask_style if spec is not None else MASK_CHARS


def mask_chars(value: str, keep_first: int, keep_last: int, char: str = "*") -> str:
    """Replace letters, digits and Han characters except the first/last few; keep separators.

    ``188-0778-4483`` with (3, 2) gives ``188-****-**83``: the shape stays
    readable while the identifying digits go. At least a third of the
    characters (and at least one) are always hidden, so a short value can
    never come out whole.
    """
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    n = len(positions)
    if n == 0:
        return value
    budget = n - max(1, n // 3)  # characters that may stay visible
    first = min(keep_first, budget)
    last = min(keep_last, budget - first)
    hidden = set(positions[first : n - last])
    return "".join(char if i in hidden else ch for i, ch in enumerate(value))


def mask_email(value: str, char: str = "*") -> str:
    """Keep the first character of the local part and the domain: ``z***@qq.com``."""
    local, _, domain = value.partition("@")
    if not domain:
        return mask_chars(value, 1, 0, char)
    return f"{local[:1]}{char * 3}@{domain}"


def mask_ip(value: str, char: str = "*") -> str:
    """Keep the network half: ``240.193.*.*``, ``2001:db8:*``."""
    try:
        addr = ipaddress.ip_address(value.strip())
    except ValueError:
        return mask_chars(value, 0, 0, char)
    if addr.version == 4:
        parts = value.strip().split(".")
        return ".".join(parts[:2] + [char, char])
    groups = addr.exploded.split(":")
    return ":".join(g.lstrip("0") or "0" for g in groups[:2]) + ":" + char


_CN_ADMIN_FALLBACK = re.compile(r"^(?:\D{0,8}?(?:省|自治区))?(?:\D{0,8}?市)?\D{0,8}?(?:区|县|旗)")


def _admin_prefix_lengths(values: list[str]) -> list[int]:
    """Length of each address's administrative part (province/city/district), via cpca.

    cpca returns the remainder after the administrative part; when the value
    ends with it, everything before is the part to keep.
    """
    import cpca

    frame = cpca.transform(values)
    lengths = []
    for value, rest in zip(values, frame["地址"].tolist()):
        if isinstance(rest, str) and rest and value.endswith(rest) and len(rest) < len(value):
            lengths.append(len(value) - len(rest))
        else:
            m = _CN_ADMIN_FALLBACK.match(value)
            lengths.append(m.end() if m and m.end() < len(value) else 0)
    return lengths


def mask_addresses(values: list[str], char: str = "*") -> list[str]:
    """Keep each address's administrative part, mask the street, number and room.

    ``山东省青岛市市南区建设大道646号`` → ``山东省青岛市市南区********``; an English
    address keeps what follows the street (city, state, ZIP). One cpca call
    serves the whole list.
    """
    chinese = [i for i, v in enumerate(values) if re.search(r"[\u4e00-\u9fff]", v)]
    keep = dict(zip(chinese, _admin_prefix_lengths([values[i] for i in chinese]))) if chinese else {}
    out = []
    for i, value in enumerate(values):
        if i in keep:
            cut = keep[i]
            out.append(value[:cut] + mask_chars(value[cut:], 0, 0, char))
        elif "," in value:
            street, rest = value.split(",", 1)
            out.append(mask_chars(street, 0, 0, char) + "," + rest)
        else:
            out.append(mask_chars(value, 0, 0, char))
    return out


def mask_address(value: str, char: str = "*") -> str:
    """Single-value form of mask_addresses."""
    return mask_addresses([value], char)[0]


def _national_start(value: str, bare: str) -> int:
    """Index in ``value`` where the 11-digit national number begins."""
    seen = 0
    total = len(digits_only(value))
    for i, ch in enumerate(value):
        if ch.isdigit():
            if total - seen == len(bare):
                return i
            seen += 1
    return 0


def mask_value(entity: str | None, value: str, char: str = "*") -> str:
    """The default masked form of a value of an entity."""
    style = mask_style(entity)
    if style == MASK_EMAIL:
        return mask_email(value, char)
    if style == MASK_IP:
        return mask_ip(value, char)
    if style == MASK_ADDRESS:
        return mask_address(value, char)
    keep_first, keep_last = default_keep(entity)
    if style == MASK_NATIONAL:
        bare = normalize_mobile(value)
        if bare is not None and digits_only(value) != bare:
            # keep the +86 prefix out of the count: mask the national number only
            cut = _national_start(value, bare)
            return value[:cut] + mask_chars(value[cut:], keep_first, keep_last, char)
    return mask_chars(value, keep_first, keep_last, char)
