"""Presidio recognizers for every entity piiwarden detects.

Each recognizer carries three views of one entity, so a column scan and a
free-text scan can never disagree about what counts:

* ``patterns``: Presidio ``Pattern`` objects for finding spans in free text
  (Python ``regex`` syntax, lookarounds allowed);
* ``CELL_REGEX``: an RE2 pattern matching a whole cell, used by pyarrow to
  pick candidates in a column without calling Python per value;
* ``TEXT_PREFILTER``: an RE2 pattern that any text holding a span must match,
  so spans are only looked for in candidate values;

and one validator (``validate_value``) used by all of them. ``analyze`` is
Presidio's per-text entry point; ``analyze_batch`` gives the same spans for
many texts at once (one regex pass per pattern, column-wise validation). ``CHANCE`` is the
rate at which a random value that matches ``CELL_REGEX`` passes the validator
(Luhn passes 1 in 10 by chance): column decisions compare hit rates with it.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

from detectors import validators as v
from detectors import vectorized as vz
from detectors.batchspans import Joined, Matches, drop_contained, find_all
from detectors.patternfacts import Alternative, pattern_needs, value_gate

# Characters before a span searched for a context word (NEEDS_HINT entities in free text).
CONTEXT_WINDOW = 24


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
    # Formats common outside this entity (E12345678, any date): a column needs a
    # header/comment hint, a free-text span a context word nearby.
    NEEDS_HINT: ClassVar[bool] = False
    # Wider cell pattern used only when the header names the entity (bare 9-digit SSNs).
    HINTED_CELL_REGEX: ClassVar[str | None] = None
    # Share of distinct values among validated ones below which a column is a code list, not people.
    MIN_DISTINCT: ClassVar[float] = 0.1
    # Whether a whole-cell match means "a structured value, not prose" (IDs, phones: yes;
    # names and addresses: a short message can look like one, so no).
    CELL_IS_TOKEN: ClassVar[bool] = True
    # Distinct leading digits a column of this entity shows (real mobiles spread over
    # many 1xx prefixes; sequential order numbers do not). 0 = no such check.
    MIN_PREFIXES: ClassVar[int] = 0

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

    @staticmethod
    def prefix(value: str) -> str:
        """The part of a value whose spread MIN_PREFIXES measures."""
        return value[:3]

    def validate_values(self, values: list[str]) -> list[bool]:
        """Validate many candidates at once; recognizers with a batch validator (cpca) override it."""
        return [self.validate_value(v) for v in values]

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Validity of every value of an Arrow array, as a boolean mask.

        The default validates each distinct value once in Python and maps the
        answer back; recognizers with a vectorized check (checksums, RE2) override it.
        """
        distinct = pc.unique(values)
        ok = self.validate_values(distinct.to_pylist())
        valid = distinct.filter(pa.array(ok, type=pa.bool_()))
        return np.asarray(pc.fill_null(pc.is_in(values, value_set=valid), False))

    def prefix_array(self, values: pa.Array) -> pa.Array:
        """prefix() of every value, vectorized (MIN_PREFIXES spread)."""
        return pc.utf8_slice_codeunits(values, 0, 3)

    def cell_regex(self, hinted: bool) -> str:
        """The RE2 cell pattern to use for a column, wider when its header names the entity."""
        return self.HINTED_CELL_REGEX if hinted and self.HINTED_CELL_REGEX else self.CELL_REGEX

    def cell_gate(self, hinted: bool) -> tuple[Alternative, ...] | None:
        """Per-value conditions for the cell pattern to match (length, first/last character, alphabet)."""
        return value_gate(self.cell_regex(hinted))

    def cell_needs(self, hinted: bool) -> frozenset[str] | None:
        """Characters of which a value must hold one to match the cell pattern; None: no such set."""
        return pattern_needs(self.cell_regex(hinted))

    def compiled_patterns(self) -> list[regex.Pattern]:
        """The span patterns compiled as Presidio compiles them (its global regex flags)."""
        if not hasattr(self, "_compiled"):
            self._compiled = [regex.compile(p.regex, self.global_regex_flags) for p in self.patterns]
        return self._compiled

    def has_pattern_match(self, text: str) -> bool:
        """Whether any span pattern matches, validated or not: the trials of the chance test."""
        return any(c.search(text) for c in self.compiled_patterns())

    def has_context(self, text: str) -> bool:
        """Whether a context word (卡号, mobile, ...) appears in the text."""
        lowered = text.lower()
        return any(word.lower() in lowered for word in self.CONTEXT)

    def validate_result(self, pattern_text: str) -> bool | None:
        """Presidio hook: a span that fails the validator is discarded."""
        return self.validate_value(pattern_text)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None) -> list[RecognizerResult]:
        """Presidio's pattern analysis, with validated spans scored by this entity's strength.

        For NEEDS_HINT entities a span needs a context word near it (出生, 护照,
        passport ...): a log line's timestamp is not a birth date.
        """
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        if self.NEEDS_HINT:
            results = [r for r in results if self.has_context_near(text, r.start, r.end)]
        for result in results:
            result.score = min(result.score, self.STRENGTH)
            result.start, result.end = self.trim_span(text, result.start, result.end)
        return results

    def has_context_near(self, text: str, start: int, end: int) -> bool:
        """Whether a context word stands just before (or right after) a span: NEEDS_HINT entities."""
        return self.has_context(text[max(0, start - CONTEXT_WINDOW) : end + 8])

    def trim_span(self, text: str, start: int, end: int) -> tuple[int, int]:
        """Where a matched span really starts and ends; most patterns match exactly the value."""
        return start, end

    def analyze_batch(self, texts: list[str], within: Joined | None = None) -> tuple[Matches, Matches]:
        """``analyze`` over many texts at once: (every pattern match, the spans analyze would return).

        Each pattern runs once over all texts (detectors/batchspans.py), the
        matched strings are validated column-wise (``validate_array``), and
        Python touches only texts with several spans or spans to trim or to
        check for context. Returned spans score ``STRENGTH``, as validated
        spans do in ``analyze``, and are deduplicated as Presidio's engine does.
        """
        raw = find_all(self.compiled_patterns(), texts, within)
        if not len(raw):
            return raw, raw
        pieces = pa.array([texts[i][s:e] for i, s, e in zip(raw.text.tolist(), raw.start.tolist(),
                                                              raw.end.tolist())], type=pa.string())
        valid = raw.take(np.asarray(self.validate_array(pieces), dtype=bool))
        if not len(valid):
            return raw, valid
        plain = type(self).trim_span is PiiRecognizer.trim_span and not self.NEEDS_HINT
        counts = np.bincount(valid.text, minlength=len(texts))
        fix = (counts[valid.text] > 1) if plain else np.ones(len(valid), dtype=bool)
        if not fix.any():
            return raw, valid
        done = valid.take(~fix)
        rows = [(i, s, e) for i, spans in _group(valid.take(fix)) for s, e in self._refine(texts[i], spans)]
        if rows:
            extra = np.asarray(rows, dtype=np.int64)
            done = Matches(np.concatenate([done.text, extra[:, 0]]), np.concatenate([done.start, extra[:, 1]]),
                           np.concatenate([done.end, extra[:, 2]]))
        return raw, done.take(np.lexsort((done.start, done.text)))

    def _refine(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """One text's validated spans as analyze and the engine leave them (dedup, context, trim, dedup)."""
        spans = drop_contained(spans)
        if self.NEEDS_HINT:
            spans = [(s, e) for s, e in spans if self.has_context_near(text, s, e)]
        return drop_contained([self.trim_span(text, s, e) for s, e in spans])


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

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """The checksum, date and province checks as numpy over the whole array."""
        return vz.resident_id_mask(values)


class BankCardRecognizer(PiiRecognizer):
    """Payment card numbers (UnionPay, Visa, Mastercard, ...), plain or grouped by four."""

    ENTITY = "BANK_CARD"
    PATTERNS = [
        # One separator throughout a card, so a differently grouped card next to it is not
        # swallowed; "card_16" is the 16-digit card before a trailing group (an expiry year),
        # which "card_grouped" takes in and Luhn then rejects as a whole.
        # (Spelled per separator, without back-references, so the fast ``re`` twin applies.)
        ("card_grouped", r"(?<![\d-])\d{4}(?:(?: \d{4}){2,3}(?: \d{1,4})?|(?:-\d{4}){2,3}(?:-\d{1,4})?)(?![\d-])", 0.3),
        ("card_16", r"(?<![\d-])\d{4}(?:(?: \d{4}){3}|(?:-\d{4}){3})(?!\d|-\d)", 0.3),
        ("card_plain", r"(?<![0-9A-Za-z])\d{13,19}(?![0-9A-Za-z])", 0.1),
    ]
    CELL_REGEX = r"^(?:\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?)$"
    TEXT_PREFILTER = r"\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d"
    CONTEXT = ["银行卡", "卡号", "账号", "card", "account", "yhk", "yhkh"]
    CHANCE = 0.1
    STRENGTH = 0.85

    @staticmethod
    def validate_value(value: str) -> bool:
        """13-19 digits passing Luhn, not an epoch timestamp."""
        return v.is_valid_bank_card(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Luhn as numpy over digit matrices, one per length."""
        return vz.luhn_mask(values)


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
    MIN_PREFIXES = 3

    @staticmethod
    def prefix(value: str) -> str:
        """The 1xx carrier prefix of the national number."""
        return (v.normalize_mobile(value) or "")[:3]

    @staticmethod
    def validate_value(value: str) -> bool:
        """11 digits on an allocated prefix."""
        return v.is_valid_cn_mobile(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Prefix membership over the normalized numbers, vectorized."""
        return vz.mobile_mask(values)

    def prefix_array(self, values: pa.Array) -> pa.Array:
        """The 1xx carrier prefixes, vectorized."""
        return pc.utf8_slice_codeunits(vz.normalized_mobiles(values), 0, 3)


class CnLandlineRecognizer(PiiRecognizer):
    """Mainland fixed-line numbers with area code, separators and extension."""

    ENTITY = "CN_LANDLINE_PHONE"
    PATTERNS = [
        (
            "cn_landline",
            # The local number may be split as the cell pattern allows (010-8000 6000), and the
            # trunk 0 may stand in brackets before the area code ((0)10-8888 6666).
            r"(?<![\d+])(?:\(0\d{2,3}\)|（0\d{2,3}）|\(0\)\d{2,3}|0\d{2,3})[ -]?(?:\d{7,8}|\d{3,4}[ -]\d{4})"
            r"(?:(?:-|转)\d{1,5})?(?!\d)",
            0.3,
        ),
    ]
    # The trunk 0 (or +86 in front) is what makes a landline: without it every mobile would be a candidate.
    CELL_REGEX = (
        r"^(?:(?:\+|00)86[ -]?(?:\(0?\d{2,3}\)|0?\d{2,3})|\(0\d{2,3}\)|（0\d{2,3}）|\(0\)\d{2,3}|0\d{2,3})[ -]?\d{3,4}[ -]?\d{3,4}"
        r"(?:\s*(?:-|转|ext\.?|x|#)\s*\d{1,5})?$"
    )
    TEXT_PREFILTER = r"0\)?\d{2,3}[)）]?[ -]?\d{3,4}[ -]?\d{4}"
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
            r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[Xx][Nn]--[A-Za-z0-9\-]{1,59}|[A-Za-z]{2,24})(?![A-Za-z0-9\-])",
            0.5,
        ),
    ]
    CELL_REGEX = r"^[A-Za-z0-9._%+\-!#$&'*/=?^`{|}~]+@[A-Za-z0-9.\-]+\.(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9\-]{1,59})$"
    TEXT_PREFILTER = r"@[A-Za-z0-9\-]+\."
    CONTEXT = ["邮箱", "email", "mail", "yx"]
    CHANCE = 0.05
    STRENGTH = 1.0

    @staticmethod
    def validate_value(value: str) -> bool:
        """RFC-shaped local part and a real-looking domain."""
        return v.is_valid_email(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """The same shape as one RE2 pattern over the whole array."""
        return vz.email_mask(values)


class IpAddressRecognizer(PiiRecognizer):
    """IPv4 and IPv6 addresses."""

    ENTITY = "IP_ADDRESS"
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


class CnUsccRecognizer(PiiRecognizer):
    """Unified social credit codes (GB 32100-2015) with their check character."""

    ENTITY = "CN_USCC"
    PATTERNS = [("uscc", r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}"
                         r"(?![0-9A-Za-z])", 0.3)]
    CELL_REGEX = r"^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$"
    TEXT_PREFILTER = r"[0-9A-Y]{2}\d{6}[0-9A-Y]{10}"
    CONTEXT = ["信用代码", "统一社会信用代码", "uscc", "credit code", "营业执照", "税号"]
    CHANCE = 1 / 31
    STRENGTH = 0.95

    @staticmethod
    def validate_value(value: str) -> bool:
        """Alphabet, division code and check character."""
        return v.is_valid_uscc(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """The check character as numpy over an alphabet lookup."""
        return vz.uscc_mask(values)


class UsSsnRecognizer(PiiRecognizer):
    """US social security numbers; bare 9 digits only under an SSN header."""

    ENTITY = "US_SSN"
    # Dots are a separator too (078.05.1123), but only as a pair: a sentence-final dot ends the span.
    PATTERNS = [("ssn", r"(?<![\d.-])\d{3}(?:[- ]\d{2}[- ]|\.\d{2}\.)\d{4}(?![\d-]|\.\d)", 0.4)]
    # A bare dotted cell (123.45.6789) is as common for other codes as a bare 9-digit one:
    # both need an SSN header; in free text the pattern is exact enough.
    CELL_REGEX = r"^\d{3}-\d{2}-\d{4}$|^\d{3} \d{2} \d{4}$"
    HINTED_CELL_REGEX = r"^\d{3}[-. ]?\d{2}[-. ]?\d{4}$"
    TEXT_PREFILTER = r"\d{3}[-. ]\d{2}[-. ]\d{4}"
    CONTEXT = ["ssn", "social security", "社会安全号"]
    CHANCE = 0.2
    STRENGTH = 0.85

    @staticmethod
    def validate_value(value: str) -> bool:
        """Area, group and serial ranges the SSA issues."""
        return v.is_valid_us_ssn(value)


class CnPassportRecognizer(PiiRecognizer):
    """PRC passport numbers: nine-character codes need a header or context."""

    ENTITY = "CN_PASSPORT"
    PATTERNS = [("cn_passport", r"(?<![0-9A-Za-z])(?:[Ee]\d{8}|[Ee][A-HJ-NP-Za-hj-np-z]\d{7}|[Gg]\d{8}|[DSPdsp][Ee]?\d{7,8})"
                                r"(?![0-9A-Za-z])", 0.2)]
    CELL_REGEX = r"^(?:[EeGg]\d{8}|[Ee][A-HJ-NP-Za-hj-np-z]\d{7}|[DSPdsp][Ee]?\d{7,8})$"
    TEXT_PREFILTER = r"[EGDSP][A-Z]?\d{7,8}"
    CONTEXT = ["护照", "passport", "hzh"]
    CHANCE = 0.5
    STRENGTH = 0.7
    NEEDS_HINT = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """Ordinary (E, G) and official (D, S, P) passport shapes."""
        return v.is_valid_cn_passport(value)


class CnTravelPermitRecognizer(PiiRecognizer):
    """Permits for HK/Macao/Taiwan travel, both directions; need a header or context."""

    ENTITY = "CN_TRAVEL_PERMIT"
    PATTERNS = [("cn_permit", r"(?<![0-9A-Za-z])(?:[Cc]\d{8}|[Cc][A-HJ-NP-Za-hj-np-z]\d{7}|[HMhm]\d{8}(?:\d{2})?)"
                              r"(?![0-9A-Za-z])", 0.2)]
    CELL_REGEX = r"^(?:[Cc]\d{8}|[Cc][A-HJ-NP-Za-hj-np-z]\d{7}|[HMhm]\d{8}(?:\d{2})?)$"
    HINTED_CELL_REGEX = r"^(?:[Cc]\d{8}|[Cc][A-HJ-NP-Za-hj-np-z]\d{7}|[HMhm]\d{8}(?:\d{2})?|\d{8})$"
    TEXT_PREFILTER = r"[CHM][A-Z]?\d{7,8}"
    CONTEXT = ["通行证", "回乡证", "台胞证", "港澳", "permit", "txz"]
    CHANCE = 0.5
    STRENGTH = 0.7
    NEEDS_HINT = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """C (mainland residents), H/M (HK/Macao residents), 8 digits (Taiwan residents)."""
        return v.is_valid_cn_travel_permit(value)


class CnLicensePlateRecognizer(PiiRecognizer):
    """Mainland vehicle plates, ordinary and new-energy."""

    ENTITY = "CN_LICENSE_PLATE"
    _P = v.PLATE_PROVINCES
    PATTERNS = [
        ("cn_plate", rf"(?<![A-Za-z0-9])[{_P}][A-HJ-NP-Za-hj-np-z][·•\s\-]?[A-HJ-NP-Za-hj-np-z0-9]{{4,5}}"
                     rf"[A-HJ-NP-Za-hj-np-z0-9挂学警港澳](?![A-Za-z0-9])", 0.4)
    ]
    CELL_REGEX = rf"^[{_P}][A-HJ-NP-Za-hj-np-z][·•\s\-]?[A-HJ-NP-Za-hj-np-z0-9]{{4,5}}[A-HJ-NP-Za-hj-np-z0-9挂学警港澳]$"
    TEXT_PREFILTER = rf"[{_P}][A-Z]"
    CONTEXT = ["车牌", "车辆", "plate", "vehicle", "cph"]
    CHANCE = 0.1
    STRENGTH = 0.9

    @staticmethod
    def validate_value(value: str) -> bool:
        """Province character, issuing letter and a 5/6-character tail of the right shape."""
        return v.is_valid_cn_plate(value)


class PersonNameRecognizer(PiiRecognizer):
    """Person names in cells: Chinese (surname list, compound first) or English (census name lists)."""

    ENTITY = "PERSON_NAME"
    PATTERNS = [
        ("en_name", r"(?<![A-Za-z])[A-Z][a-z'\-]+(?: [A-Z]\.)? [A-Z][a-z'\-]+(?![A-Za-z])", 0.2),
    ]
    CELL_REGEX = r"^[\p{Han}·]{2,16}$|^[A-Z][A-Za-z'\-]+(?: [A-Z]\.?)?(?: [A-Z][A-Za-z'\-]+){1,2}$|^[A-Z][A-Za-z'\-]+, [A-Z][A-Za-z'\-]+$"
    # English "First Last", or any Han text (jieba decides which words are names)
    TEXT_PREFILTER = r"[A-Z][a-z]+ [A-Z][a-z]+|\p{Han}{2}"
    CONTEXT = ["姓名", "先生", "女士", "name", "mr", "mrs", "ms", "dear", "联系人"]
    CHANCE = 0.3
    STRENGTH = 0.6
    MIN_DISTINCT = 0.3
    CELL_IS_TOKEN = False

    @staticmethod
    def validate_value(value: str) -> bool:
        """A Chinese or English person name."""
        return v.is_person_name(value)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Chinese names vectorized; English names (ASCII values) by the per-value path."""
        values = vz._plain(values)
        out = vz.chinese_name_mask(values)
        ascii_pos = np.flatnonzero(vz.regex_mask(values, r"^[A-Za-z][A-Za-z .,'\-]+$"))
        if len(ascii_pos):
            out[ascii_pos] = super().validate_array(values.take(pa.array(ascii_pos)))
        return out


class AddressRecognizer(PiiRecognizer):
    """Street-level postal addresses: Chinese (structure + cpca adcode) or English (number, street, suffix)."""

    ENTITY = "ADDRESS"
    PATTERNS = [
        (
            "cn_address",
            r"[\p{Han}]{2,}(?:省|自治区|市|区|县|旗)[\p{Han}0-9]{0,30}?"
            r"(?:[0-9一二三四五六七八九十]+(?:号|栋|幢|单元|室|弄|组)|路|街|道|巷|胡同|村|小区|大厦)"
            r"(?:[0-9A-Za-z\-]+(?:号楼|号|栋|幢|单元|室|层|楼)?)*",
            0.3,
        ),
        (
            "en_address",
            r"(?<![A-Za-z0-9])\d{1,6}\s+(?:[A-Z][A-Za-z0-9.'\-]*\s+){1,4}"
            r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace)\.?"
            r"(?:,\s*[A-Z][A-Za-z .'\-]+)?(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)?",
            0.3,
        ),
    ]
    CELL_REGEX = r"(?:省|自治区|市|区|县|旗|镇|乡|街道).*(?:号|栋|幢|单元|室|路|街|道|巷|弄|村|小区|大厦)|^\d{1,6}[A-Za-z]?\s+\S.*\s(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl)\b"
    TEXT_PREFILTER = r"(?:省|市|区|县).*(?:号|路|街|村)|\d+\s+[A-Z][a-z]+\s+(?:Street|St|Avenue|Ave|Road|Rd|Blvd|Lane|Ln|Drive|Dr)"
    CONTEXT = ["地址", "住址", "收货", "寄到", "address", "addr", "住在"]
    CHANCE = 0.2
    STRENGTH = 0.7
    MIN_DISTINCT = 0.3
    CELL_IS_TOKEN = False

    @staticmethod
    def validate_value(value: str) -> bool:
        """One address (cpca for the Chinese administrative part)."""
        return v.is_valid_address(value)

    @staticmethod
    def prefix(value: str) -> str:
        """The part of a value whose spread MIN_PREFIXES measures."""
        return value[:3]

    def validate_values(self, values: list[str]) -> list[bool]:
        """All of a column's candidates in one cpca call."""
        return v.validate_addresses(values)

    def validate_array(self, values: pa.Array) -> np.ndarray:
        """Shapes by RE2 over the array; cpca only on the distinct administrative prefixes."""
        values = vz._plain(values)
        english = vz.regex_mask(values, v.EN_STREET_RE2)
        length = np.asarray(pc.fill_null(pc.utf8_length(values), 0))
        chinese = (vz.regex_mask(values, v.CN_ADMIN_RE2) & vz.regex_mask(values, v.CN_DETAIL_RE2)
                   & (length >= 6) & (length <= 120) & ~english)
        ok = english.copy()
        pos = np.flatnonzero(chinese)
        if len(pos):
            prefixes = pc.struct_field(pc.extract_regex(values.take(pa.array(pos)), r"^(?P<p>[^0-9]{1,40})"), "p")
            distinct = pc.drop_null(pc.unique(prefixes))
            resolves = pa.array(v.chinese_addresses_resolve(distinct.to_pylist()), type=pa.bool_())
            known = distinct.filter(resolves)
            ok[pos] = np.asarray(pc.fill_null(pc.is_in(prefixes, value_set=known), False))
        return ok

    def trim_span(self, text: str, start: int, end: int) -> tuple[int, int]:
        """A span starts at the address proper (not at 寄到/住在)."""
        return start + v.address_start(text[start:end]), end


class DateOfBirthRecognizer(PiiRecognizer):
    """Birth dates: any date could be one, so a header/comment or context must say so."""

    ENTITY = "DATE_OF_BIRTH"
    PATTERNS = [
        ("date_iso", r"(?<!\d)(?:19|20)\d{2}[-/.年](?:0?[1-9]|1[0-2])[-/.月](?:0?[1-9]|[12]\d|3[01])日?(?!\d)", 0.1),
    ]
    CELL_REGEX = (
        r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T]00:00(?::00(?:\.0+)?)?)?$|^\d{4}年\d{1,2}月\d{1,2}日?$"
        r"|^(?:19|20)\d{6}$|^\d{1,2}/\d{1,2}/\d{4}$"
    )
    TEXT_PREFILTER = r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}"
    CONTEXT = ["出生", "生日", "birth", "born", "dob", "csrq"]
    CHANCE = 0.9
    STRENGTH = 0.6
    NEEDS_HINT = True

    @staticmethod
    def validate_value(value: str) -> bool:
        """A real calendar date between 1900 and today."""
        return v.is_plausible_birth_date(value)


class PhoneNumberRecognizer(PiiRecognizer):
    """Phone numbers outside the mainland, via libphonenumber."""

    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        # A one-digit group needs a separator before it (Athens: +30 21 0 1234567).
        ("intl_phone", r"(?<![\d+])\+(?!86)\d{1,3}[ .\-]?\(?\d{1,4}\)?(?:[ .\-]?\d{2,4}|[ .\-]\d){2,5}(?!\d)", 0.4),
        # North American shapes as exports write them: 1-/001- trunk, (286)638-4543, one
        # separator throughout (dots, dashes or spaces), an x/ext. extension.
        ("us_phone", r"(?<![\d+\-.])(?:(?:1|001)[ .\-]?)?(?:\(\d{3}\) ?\d{3}[.\-]\d{4}|\d{3}-\d{3}-\d{4}"
                     r"|\d{3}\.\d{3}\.\d{4}|\d{3} \d{3} \d{4})"
                     r"(?: ?(?:[Xx]|[Ee][Xx][Tt]\.?) ?\d{1,6})?(?![\d\-]|\.\d)", 0.4),
    ]
    CELL_REGEX = (
        r"^\+\d{1,3}[ .\-]?\(?\d{1,4}\)?(?:[ .\-]?\d{2,4}|[ .\-]\d){2,5}$"
        r"|^(?:(?:\+?1|001)[ .\-]?)?(?:\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4}|\d{3} \d{3} \d{4})"
        r"(?: ?(?:[Xx]|[Ee][Xx][Tt]\.?) ?\d{1,6})?$"
    )
    HINTED_CELL_REGEX = CELL_REGEX + r"|^\d{10}$"
    TEXT_PREFILTER = r"\+\d|\(\d{3}\)|\d{3}[-. ]\d{3}[-. ]\d{4}"
    CONTEXT = ["phone", "tel", "call", "电话", "mobile", "cell"]
    CHANCE = 0.3
    STRENGTH = 0.75

    @staticmethod
    def validate_value(value: str) -> bool:
        """A possible number by libphonenumber that is not a mainland one nor a business line."""
        return v.is_valid_intl_phone(value)


class CredentialRecognizer(PiiRecognizer):
    """Secrets in clear: vendor token formats anywhere, passwords in columns named so."""

    ENTITY = "CREDENTIAL"
    PATTERNS = [
        (
            "token",
            r"(?<![A-Za-z0-9])(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|"
            r"xox[abprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_\-]{35}|"
            r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
            0.5,
        ),
        ("password_assignment", r"(?i)(?<=(?:password|passwd|pwd|密码)\s*[=:：]\s*)[^\s,;'\"]{4,64}", 0.4),
    ]
    CELL_REGEX = (
        r"^(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9-]{10,}|"
        r"sk_live_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_\-]{35}|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})$"
        r"|^-----BEGIN [A-Z ]*PRIVATE KEY-----"
    )
    HINTED_CELL_REGEX = r"^\S{4,512}$"
    TEXT_PREFILTER = r"AKIA|gh[pousr]_|github_pat_|xox[abprs]-|sk_live_|AIza|eyJ|(?i)(?:password|passwd|pwd|密码)\s*[=:：]"
    CONTEXT = ["password", "passwd", "pwd", "secret", "token", "key", "密码", "口令", "密钥"]
    CHANCE = 0.5
    STRENGTH = 0.9

    @staticmethod
    def validate_value(value: str) -> bool:
        """A vendor token, or a value that is neither hashed nor masked."""
        return v.is_clear_credential(value)


class ChineseNameTextRecognizer(EntityRecognizer):
    """Chinese person names in free text: surname-anchored candidates read in context, and jieba's nr tags.

    detectors/cnnames.py says which: jieba alone glues names to their
    neighbours (客户王 / 洋 / 来电) and splits compound surnames (欧阳 / 娜娜).
    """

    ENTITY = "PERSON_NAME"

    def __init__(self, supported_language: str = "zh") -> None:
        super().__init__(supported_entities=[self.ENTITY], name=f"ChineseNameTextRecognizer_{supported_language}",
                         supported_language=supported_language)

    def load(self) -> None:
        """Nothing to load up front: jieba loads its dictionary on first use."""

    def analyze(self, text, entities, nlp_artifacts=None) -> list[RecognizerResult]:
        """Spans of validated Chinese names."""
        if self.ENTITY not in entities:
            return []
        import jieba.posseg

        from detectors.cnnames import name_spans

        v._jieba_tags()  # quiet, cached dictionary load
        tokens = [(t.word, t.flag) for t in jieba.posseg.cut(text)]
        return [RecognizerResult(self.ENTITY, start, end, 0.6,
                                 recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                       RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                for start, end in name_spans(text, tokens)]


RECOGNIZER_CLASSES: list[type[PiiRecognizer]] = [
    CnResidentIdRecognizer,
    BankCardRecognizer,
    CnMobileRecognizer,
    CnLandlineRecognizer,
    EmailRecognizer,
    IpAddressRecognizer,
    CnUsccRecognizer,
    UsSsnRecognizer,
    CnPassportRecognizer,
    CnTravelPermitRecognizer,
    CnLicensePlateRecognizer,
    PersonNameRecognizer,
    AddressRecognizer,
    DateOfBirthRecognizer,
    PhoneNumberRecognizer,
    CredentialRecognizer,
]


def _group(found: Matches):
    """(text index, [(start, end), ...]) for each text with matches, in text order."""
    texts, starts, ends = found.text.tolist(), found.start.tolist(), found.end.tolist()
    i = 0
    while i < len(texts):
        j = i
        while j < len(texts) and texts[j] == texts[i]:
            j += 1
        yield texts[i], list(zip(starts[i:j], ends[i:j]))
        i = j


def recognizers_for(language: str) -> list[EntityRecognizer]:
    """Every piiwarden recognizer for a language, ready for a Presidio RecognizerRegistry.

    Chinese and English recognizers are registered for both languages: a
    Chinese ID number inside English text is still a Chinese ID number.
    """
    recognizers: list[EntityRecognizer] = [cls(supported_language=language) for cls in RECOGNIZER_CLASSES]
    recognizers.append(ChineseNameTextRecognizer(supported_language=language))
    return recognizers
