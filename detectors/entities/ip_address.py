"""IP address (IP_ADDRESS): one entity, one file.

IPv4 and IPv6 addresses. Everything piiwarden knows about this entity (grade, recognizer, header
words, anonymization shapes) is in this file; generic code reads it through
``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from detectors import validators as v
from detectors import vectorized as vz
from detectors.entities.spec import MASK_IP, STRONG, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "IP_ADDRESS"


class IpAddressRecognizer(PiiRecognizer):
    """IPv4 and IPv6 addresses."""

    ENTITY = NAME
    # A dotted quad glued to letters or followed by more dotted digits (1.2.3.4.5) is an
    # OID or version, as is one after v/ver/version/版本; a sentence-final dot ends it.
    # CIDR prefixes (/24) and IPv6 zones (%eth0) belong to the address; the validator
    # checks them, so a bad octet rejects the whole candidate rather than a prefix of it.
    _V4 = r"\d{1,3}(?:\.\d{1,3}){3}"
    _H = r"[0-9A-Fa-f]{1,4}"
    _VERSION = "[Vv][Ee][Rr][Ss][Ii][Oo][Nn]"  # fixed-width lookbehinds, both cases spelled: the fast re twin
    _END = r"(?![0-9A-Za-z_:]|\.\d)"
    PATTERNS = [
        ("ipv4", rf"(?<![0-9A-Za-z.])(?<!{_VERSION})(?<!{_VERSION} )(?<![Vv][Ee][Rr] )(?<![Vv][Ee][Rr]\. )(?<!版本)(?<!版本 )(?<!版本号)(?<!版本号 ){_V4}(?:/\d{{1,2}})?(?![0-9A-Za-z]|\.\d)",
         0.4),
        # Either eight groups or a '::' abbreviation: times like 10:00:00 are not addresses;
        # the last 32 bits may be written as a dotted quad (::ffff:192.0.2.1).
        ("ipv6_full", rf"(?<![0-9A-Za-z_:.])(?:{_H}:){{6}}(?:{_H}:{_H}|{_V4})(?:%[0-9A-Za-z_\-]+(?:\.\d+)?)?(?:/\d{{1,3}})?{_END}",
         0.4),
        (
            "ipv6_short",
            rf"(?<![0-9A-Za-z_:.])(?:{_H}(?::{_H}){{0,6}})?::(?:(?:{_H}:){{0,5}}(?:{_V4}|{_H}))?"
            rf"(?:%[0-9A-Za-z_\-]+(?:\.\d+)?)?(?:/\d{{1,3}})?{_END}",
            0.4,
        ),
    ]
    CELL_REGEX = (r"^(?:(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*"
                  r"(?:%[0-9A-Za-z_.\-]+)?(?:/\d{1,3})?)$")
    TEXT_PREFILTER = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|::|(?:[0-9A-Fa-f]{1,4}:){7}"
    CONTEXT = ["ip", "地址", "address", "host", "client"]
    CHANCE = 0.3
    STRENGTH = 0.8

    @staticmethod
    def validate_value(value: str) -> bool:
        """A parseable IPv4 (no leading zeros) or IPv6 address, with an optional prefix length."""
        return v.is_valid_ip(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """IPv4 by RE2 over the array; the (rarer) IPv6 and CIDR candidates through ipaddress."""
        ok = vz.ipv4_mask(values)
        v6 = np.asarray(pc.fill_null(pc.match_substring_regex(values, "[:/]"), False))
        if v6.any():
            ok = ok | (super().validate_array(values) & v6)
        return ok


SPEC = EntitySpec(
    name=NAME,
    level=2,
    category="network",
    label_zh="IP 地址",
    label_en="IP address",
    recognizer=IpAddressRecognizer,
    rank=50,
    headers=HeaderWords(
        zh=(
            ("IP", STRONG), ("IP地址", STRONG),
        ),
        en=(
            ("ip", STRONG), ("ipv4", STRONG), ("ipv6", STRONG),
        ),
        phrases=(
            (("ip", "address"), STRONG), (("ip", "addr"), STRONG), (("remote", "addr"), STRONG),
        ),
    ),
    mask_style=MASK_IP,
    surrogate="ip",
    generalize="ip",
)
