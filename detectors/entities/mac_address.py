"""Network hardware address (MAC_ADDRESS): one entity, one file.

Six hex pairs separated by ``:`` or ``-`` (one separator throughout), or
Cisco's three dotted quads (``001a.2b3c.4d5e``). Not all zeros, not the
broadcast address. A bare run of twelve hex digits is no MAC: hashes and
ids look the same.
"""

from __future__ import annotations

import re

from detectors.entities.spec import HASH_LOWER, STRONG, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "MAC_ADDRESS"

_H = "[0-9A-Fa-f]"
_SHAPE = re.compile(rf"^(?:{_H}{{2}}(?::{_H}{{2}}){{5}}|{_H}{{2}}(?:-{_H}{{2}}){{5}}|{_H}{{4}}\.{_H}{{4}}\.{_H}{{4}})$")


def is_valid_mac(value: str) -> bool:
    """One of the three notations, not 00:00:00:00:00:00 nor ff:ff:ff:ff:ff:ff."""
    v = value.strip()
    if not _SHAPE.match(v):
        return False
    bare = re.sub(r"[^0-9A-Fa-f]", "", v).lower()
    return bare not in ("000000000000", "ffffffffffff")


class MacAddressRecognizer(PiiRecognizer):
    """MAC addresses in colon, dash or dotted notation."""

    ENTITY = NAME
    PATTERNS = [("mac", rf"(?<![0-9A-Za-z:.-])(?:{_H}{{2}}(?::{_H}{{2}}){{5}}|{_H}{{2}}(?:-{_H}{{2}}){{5}}"
                        rf"|{_H}{{4}}\.{_H}{{4}}\.{_H}{{4}})(?![0-9A-Za-z:-]|\.[0-9A-Za-z])", 0.4)]
    CELL_REGEX = (r"^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}"
                  r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})$")
    TEXT_PREFILTER = r"[0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}[:-][0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\."
    CONTEXT = ["mac", "物理地址", "网卡", "hwaddr", "ether"]
    CHANCE = 0.3
    STRENGTH = 0.85

    @staticmethod
    def validate_value(value: str) -> bool:
        """Notation, and not the all-zero or broadcast address."""
        return is_valid_mac(value)


SPEC = EntitySpec(
    name=NAME,
    level=2,
    category="device",
    label_zh="MAC 地址",
    label_en="MAC address",
    recognizer=MacAddressRecognizer,
    rank=250,
    headers=HeaderWords(
        zh=(("MAC地址", STRONG), ("物理地址", STRONG), ("网卡地址", STRONG)),
        en=(("mac", STRONG), ("macaddr", STRONG), ("hwaddr", STRONG), ("bssid", STRONG)),
        phrases=((("mac", "address"), STRONG), (("mac", "addr"), STRONG), (("hw", "addr"), STRONG),
                 (("hardware", "address"), STRONG)),
    ),
    mask=(6, 0),
    hash_norm=HASH_LOWER,
)
