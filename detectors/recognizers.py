"""Presidio recognizers for every entity piiwarden detects.

Each recognizer carries three views of one entity, so a column scan and a
free-text scan can never disagree about what counts:

* ``patterns``: Presidio ``Pattern`` objects for finding spans in free text
  (Python ``regex`` syntax, lookarounds allowed);
* ``CELL_REGEX``: an RE2 pattern matching a whole cell, used by pyarrow to
  pick candidates in a column without calling Python per value;
* ``TEXT_PREFILTER``: an RE2 pattern that any text holding a span must match,
  so Presidio's analyzer only runs on candidate values;

and one validator (``validate_value``) used by all of them. ``CHANCE`` is the
rate at which a random value that matches ``CELL_REGEX`` passes the validator
(Luhn passes 1 in 10 by chance): column decisions compare hit rates with it.
"""

from __future__ import annotations

from typing import ClassVar

import regex
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult

from detectors import validators as v


class PiiRecognizer(PatternRecognizer):
    """A pattern recognizer with a validator, a cell pattern and a chance rate."""

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[tuple[str, str, float]]]
    CELL_REGEX: ClassVar[str]
    TEXT_PREFILTER: ClassVar[str]
    CONTEXT: ClassVar[list[str]] = []
    CHANCE: ClassVar[float] = 0.05
    # Score of a validated span; ranks overlapping spans (an ID beats a Luhn-valid card).
    STRENGTH: ClassVar[float] = 1.0

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(
            supported_entity=self.ENTITY,
            name=f"{type(self).__name__}_{supported_language}",
            supported_language=supported_language,
            patterns=[Pattern(name, regex, score) for name, regex, score in self.PATTERNS],
            context=list(self.CONTEXT),
        )

    @staticmethod
    def validate_value(value: str) -> bool:  # pragma: no cover - abstract
        """Whether one candidate string is a real identifier."""
        raise NotImplementedError

    def has_pattern_match(self, text: str) -> bool:
        """Whether any span pattern matches, validated or not: the trials of the chance test."""
        if not hasattr(self, "_compiled"):
            self._compiled = [regex.compile(p.regex, self.global_regex_flags) for p in self.patterns]
        return any(c.search(text) for c in self._compiled)

    def has_context(self, text: str) -> bool:
        """Whether a context word (卡号, mobile, ...) appears in the text."""
        lowered = text.lower()
        return any(word.lower() in lowered for word in self.CONTEXT)

    def validate_result(self, pattern_text: str) -> bool | None:
        """Presidio hook: a span that fails the validator is discarded."""
        return self.validate_value(pattern_text)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None) -> list[RecognizerResult]:
        """Presidio's pattern analysis, with validated spans scored by this entity's strength."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        for result in results:
            result.score = min(result.score, self.STRENGTH)
        return results


class CnResidentIdRecognizer(PiiRecognizer):
    """Mainland resident ID (GB 11643-1999), 18-character and legacy 15-digit."""

    ENTITY = "CN_RESIDENT_ID"
    PATTERNS = [
        ("cn_id_18", r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])", 0.3),
        ("cn_id_15", r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])", 0.1),
    ]
    CELL_REGEX = r"^(?:\d{17}[\dXx]|\d{15})$"
    TEXT_PREFILTER = r"\d{15}"
    CONTEXT = ["身份证", "证件", "身份证号", "idcard", "id", "identity", "sfz", "sfzh"]
    CHANCE = 0.01
    STRENGTH = 1.0

    @staticmethod
    def validate_value(value: str) -> bool:
        """Checksum, real birth date and province code."""
        return v.is_valid_resident_id(value)


class BankCardRecognizer(PiiRecognizer):
    """Payment card numbers (UnionPay, Visa, Mastercard, ...), plain or grouped by four."""

    ENTITY = "BANK_CARD"
    PATTERNS = [
        ("card_grouped", r"(?<![\d-])\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?(?![\d-])", 0.3),
        ("card_plain", r"(?<!\d)\d{13,19}(?!\d)", 0.1),
    ]
    CELL_REGEX = r"^(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?)$"
    TEXT_PREFILTER = r"\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d"
    CONTEXT = ["银行卡", "卡号", "账号", "card", "account", "yhk", "yhkh"]
    CHANCE = 0.1
    STRENGTH = 0.85

    @staticmethod
    def validate_value(value: str) -> bool:
        """13-19 digits passing Luhn."""
        return v.is_valid_bank_card(value)


class CnMobileRecognizer(PiiRecognizer):
    """Mainland mobile numbers with optional +86/86/0086 and 3-4-4 separators."""

    ENTITY = "CN_MOBILE_PHONE"
    PATTERNS = [
        ("cn_mobile", r"(?<![\d+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)", 0.4),
    ]
    CELL_REGEX = r"^(?:(?:\+|00)?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}$"
    TEXT_PREFILTER = r"1[3-9]\d[ -]?\d{4}[ -]?\d{4}"
    CONTEXT = ["手机", "电话", "联系", "mobile", "phone", "tel", "sjh", "sjhm"]
    # Random 11-digit numbers starting 13-19 hit an allocated prefix about half the time.
    CHANCE = 0.55
    STRENGTH = 0.95

    @staticmethod
    def validate_value(value: str) -> bool:
        """11 digits on an allocated prefix."""
        return v.is_valid_cn_mobile(value)


class CnLandlineRecognizer(PiiRecognizer):
    """Mainland fixed-line numbers with area code, separators and extension."""

    ENTITY = "CN_LANDLINE_PHONE"
    PATTERNS = [
        (
            "cn_landline",
            r"(?<![\d+])(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[ -]?\d{7,8}(?:(?:-|转)\d{1,5})?(?!\d)",
            0.3,
        ),
    ]
    CELL_REGEX = (
        r"^(?:(?:\+|00)86[ -]?)?(?:\(0?\d{2,3}\)|（0?\d{2,3}）|0?\d{2,3})[ -]?\d{3,4}[ -]?\d{3,4}"
        r"(?:\s*(?:-|转|ext\.?|x|#)\s*\d{1,5})?$"
    )
    TEXT_PREFILTER = r"0\d{2,3}[)）]?[ -]?\d{7,8}"
    CONTEXT = ["电话", "座机", "固话", "tel", "phone", "lxdh"]
    CHANCE = 0.5
    STRENGTH = 0.8

    @staticmethod
    def validate_value(value: str) -> bool:
        """Area code and local number lengths that exist."""
        return v.is_valid_cn_landline(value)


class EmailRecognizer(PiiRecognizer):
    """E-mail addresses, validated offline (no public-suffix download)."""

    ENTITY = "EMAIL_ADDRESS"
    PATTERNS = [
        (
            "email",
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z])",
            0.5,
        ),
    ]
    CELL_REGEX = r"^[A-Za-z0-9._%+\-!#$&'*/=?^`{|}~]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,24}$"
    TEXT_PREFILTER = r"@[A-Za-z0-9\-]+\."
    CONTEXT = ["邮箱", "email", "mail", "yx"]
    CHANCE = 0.05
    STRENGTH = 1.0

    @staticmethod
    def validate_value(value: str) -> bool:
        """RFC-shaped local part and a real-looking domain."""
        return v.is_valid_email(value)


class IpAddressRecognizer(PiiRecognizer):
    """IPv4 and IPv6 addresses."""

    ENTITY = "IP_ADDRESS"
    PATTERNS = [
        ("ipv4", r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])", 0.4),
        # Either eight groups or a '::' abbreviation: times like 10:00:00 are not addresses.
        ("ipv6_full", r"(?<![0-9A-Za-z_:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![0-9A-Za-z_:])", 0.4),
        (
            "ipv6_short",
            r"(?<![0-9A-Za-z_:])(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::"
            r"(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?(?![0-9A-Za-z_:])",
            0.4,
        ),
    ]
    CELL_REGEX = r"^(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$"
    TEXT_PREFILTER = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|::|(?:[0-9A-Fa-f]{1,4}:){7}"
    CONTEXT = ["ip", "地址", "address", "host", "client"]
    CHANCE = 0.3
    STRENGTH = 0.8

    @staticmethod
    def validate_value(value: str) -> bool:
        """A parseable IPv4 (no leading zeros) or IPv6 address."""
        return v.is_valid_ip(value)


RECOGNIZER_CLASSES: list[type[PiiRecognizer]] = [
    CnResidentIdRecognizer,
    BankCardRecognizer,
    CnMobileRecognizer,
    CnLandlineRecognizer,
    EmailRecognizer,
    IpAddressRecognizer,
]


def recognizers_for(language: str) -> list[PiiRecognizer]:
    """One instance of every piiwarden recognizer for a language."""
    return [cls(supported_language=language) for cls in RECOGNIZER_CLASSES]
