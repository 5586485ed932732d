"""The default masks of ``scanner/anonymize/masks.py`` spelled as SQL expressions (PostgreSQL, MySQL/MariaDB).

A masking view must show a role ``138******78`` where ``anonymize`` writes
``138******78``: two spellings of one mask that disagree would teach people
that masked values are unreliable, or worse, leak a digit the Python mask
hides. So every expression here is a transcription of ``mask_one`` with the
entity's default parameters (``detectors.masking.default_keep`` /
``mask_style``: nothing is named per entity), built from a handful of SQL
primitives each dialect spells (``MaskSql``, implemented in
``scanner/connectors/sql/<dialect>.py``). Tests run both on the real servers
and compare them value by value.

Where SQL cannot say what Python says, the SQL errs on the hidden side:

* "a letter or digit" (``str.isalnum``) is, in SQL, any character that is not
  in ``separator_codepoints()`` (ASCII punctuation, spaces, Latin-1, general,
  CJK and full-width punctuation and symbols, arrows, box drawing, emoji, all
  checked with ``isalnum`` when the class is built). A rarer symbol Python
  keeps is masked in SQL;
* an IPv6 address is masked whole (Python keeps its first two groups);
* PostgreSQL's regular expressions take the longest (or, when the first
  quantifier is lazy, the shortest) match, not the first one found as
  Python's do, so the administrative prefix of a Chinese address is matched
  part by part (``admin_prefix``): each part's pattern ends at its first
  suffix exactly as the lazy Python pattern does (``东区区`` keeps ``东区``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Protocol

from detectors.entities.spec import (
    HASH_DIGITS,
    HASH_LOWER,
    HASH_PHONE,
    HASH_UPPER,
    MASK_ADDRESS,
    MASK_EMAIL,
    MASK_IP,
    MASK_NATIONAL,
    MASK_SECRET,
)
from detectors.masking import default_keep, mask_style
from scanner.anonymize.address import CITY, DISTRICT, MUNICIPALITY, PROVINCE, STREET_WORDS
from scanner.anonymize.crypto import DEFAULT_HASH_HEX, hash_norm

MASK_CHAR = "*"
HAN_FIRST, HAN_LAST = 0x4E00, 0x9FFF  # scanner/anonymize/address.py has_han
# Blocks whose non-alphanumeric characters count as separators in SQL (kept, like Python keeps them).
_SEPARATOR_BLOCKS = ((0x01, 0xFF), (0x2000, 0x206F), (0x2100, 0x23FF), (0x2500, 0x27BF), (0x3000, 0x303F),
                     (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x1F000, 0x1FAFF))
# Characters with a meaning inside a bracket expression (in PostgreSQL's, PCRE's or ICU's), always escaped.
_BRACKET_SPECIAL = frozenset("\\[]^-&~:.=")
# normalize_mobile's separators besides whitespace (detectors/validators.py _SEPARATORS).
_MOBILE_SEPARATORS = "-()（）"


class MaskSql(Protocol):
    """The SQL primitives a dialect spells for masking views (``# --- masking views ---`` in its file)."""

    def mv_literal(self, text: str) -> str:
        """A string literal holding ``text`` exactly."""

    def mv_regex_char(self, codepoint: int) -> str:
        """One character, escaped for use inside a regular expression (bracket expressions included)."""

    def mv_regex_replace(self, expr: str, pattern: str, replacement: str) -> str:
        """``expr`` with every match of the pattern (an SQL expression) replaced by the text ``replacement``."""

    def mv_regex_substr(self, expr: str, pattern: str) -> str:
        """The first (leftmost) match of the pattern (an SQL expression) in ``expr``, '' when there is none."""

    def mv_regex_like(self, expr: str, pattern: str) -> str:
        """A boolean: whether the pattern (an SQL expression) matches somewhere in ``expr``."""

    def mv_strpos(self, needle: str, expr: str) -> str:
        """1-based position of the literal ``needle`` in ``expr``, 0 when absent."""

    def mv_text(self, column: str) -> str:
        """The column's value as text (what a scan reads as the value's string form)."""


# ----------------------------------------------------------------------------- character classes ----


@functools.lru_cache(maxsize=1)
def separator_codepoints() -> tuple[int, ...]:
    """Characters SQL keeps like Python keeps a non-alphanumeric one (everything else is masked)."""
    return tuple(cp for lo, hi in _SEPARATOR_BLOCKS for cp in range(lo, hi + 1) if not chr(cp).isalnum())


@functools.lru_cache(maxsize=1)
def whitespace_codepoints() -> tuple[int, ...]:
    """Python's ``\\s`` / ``str.isspace`` (all of them lie below U+3001)."""
    return tuple(cp for cp in range(1, 0x3001) if chr(cp).isspace())


def _ranges(codepoints: Iterable[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in sorted(set(codepoints)):
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def _member(sql: MaskSql, codepoint: int) -> str:
    """A bracket-expression member: printable characters as they are (short SQL), the rest escaped."""
    ch = chr(codepoint)
    plain = codepoint <= 0xFFFF and ch.isprintable() and not ch.isspace() and ch not in _BRACKET_SPECIAL
    return ch if plain else sql.mv_regex_char(codepoint)


def char_class(sql: MaskSql, codepoints: Iterable[int], negate: bool = False) -> str:
    """A bracket expression of the code points (metacharacters and invisible characters escaped)."""
    body = "".join(_member(sql, lo) if lo == hi else f"{_member(sql, lo)}-{_member(sql, hi)}"
                   for lo, hi in _ranges(codepoints))
    return f"[{'^' if negate else ''}{body}]"


def _escaped(sql: MaskSql, text: str) -> str:
    """Literal text inside a pattern (each character escaped)."""
    return "".join(sql.mv_regex_char(ord(ch)) if not ("\u4e00" <= ch <= "\u9fff") else ch for ch in text)


# ------------------------------------------------------------------------------------ the masks ----


def mask_expression(sql: MaskSql, entity: str | None, column: str) -> str:
    """The SQL of ``mask_one(entity, value)`` (default parameters) over ``column``; NULL stays NULL."""
    x = sql.mv_text(column)
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE {_styled(sql, entity, x)} END"


def _styled(sql: MaskSql, entity: str | None, x: str) -> str:
    style = mask_style(entity)
    if style == MASK_SECRET:
        return sql.mv_regex_replace(x, sql.mv_literal(char_class(sql, whitespace_codepoints(), negate=True)), MASK_CHAR)
    if style == MASK_ADDRESS:
        return _address(sql, x)
    if style == MASK_EMAIL:
        return _email(sql, x)
    if style == MASK_IP:
        return _ip(sql, x)
    first, last = default_keep(entity)
    if style == MASK_NATIONAL:
        return _national(sql, x, first, last)
    return mask_chars_sql(sql, x, first, last)


def mask_chars_sql(sql: MaskSql, x: str, keep_first: int, keep_last: int) -> str:
    """``mask_chars(x, keep_first, keep_last)`` in SQL.

    What is kept depends on how many letters/digits x has (at least a third,
    and at least one, is always hidden), so the counts are computed from that
    number and spliced into the patterns that cut the kept head and tail:
    one expression for every length.
    """
    sep = char_class(sql, separator_codepoints())
    alnum = char_class(sql, separator_codepoints(), negate=True)
    n = f"CHAR_LENGTH({sql.mv_regex_replace(x, sql.mv_literal(sep), '')})"
    budget = f"({n} - GREATEST(1, FLOOR({n} / 3)))"
    first = f"LEAST({keep_first}, {budget})"
    last = f"LEAST({keep_last}, GREATEST({budget} - {keep_first}, 0))"  # budget - first, with n spelled once
    close, close_end = sql.mv_literal("}"), sql.mv_literal("}$")
    head = sql.mv_regex_substr(x, f"CONCAT({sql.mv_literal(f'^(?:{sep}*{alnum}){{')}, {first}, {close})")
    tail = sql.mv_regex_substr(x, f"CONCAT({sql.mv_literal(f'(?:{alnum}{sep}*){{')}, {last}, {close_end})")
    middle = (f"SUBSTR({x}, CHAR_LENGTH({head}) + 1, "
              f"CHAR_LENGTH({x}) - CHAR_LENGTH({head}) - CHAR_LENGTH({tail}))")
    masked = sql.mv_regex_replace(middle, sql.mv_literal(alnum), MASK_CHAR)
    return (f"CASE WHEN {x} = '' THEN {x} WHEN NOT {sql.mv_regex_like(x, sql.mv_literal(sep))} "
            f"THEN {_keep_plain(x, keep_first, keep_last)} "
            f"WHEN {n} = 0 THEN {x} ELSE CONCAT({head}, {masked}, {tail}) END")


def _keep_plain(x: str, keep_first: int, keep_last: int) -> str:
    """The common case, a value without separators (every character counts): plain string functions, no regex."""
    n = f"CHAR_LENGTH({x})"
    budget = f"({n} - GREATEST(1, ({n} - MOD({n}, 3)) / 3))"  # an integer in both dialects (FLOOR is not)
    first = f"LEAST({keep_first}, {budget})"
    last = f"LEAST({keep_last}, GREATEST({budget} - {keep_first}, 0))"
    return f"CONCAT(LEFT({x}, {first}), REPEAT('{MASK_CHAR}', {n} - {first} - {last}), RIGHT({x}, {last}))"


def _national(sql: MaskSql, x: str, first: int, last: int) -> str:
    """A +86/0086/86 prefix stays outside the kept counts (masks.py ``mask_one``, MASK_NATIONAL)."""
    separators = char_class(sql, [*whitespace_codepoints(), *map(ord, _MOBILE_SEPARATORS)])
    compact = sql.mv_regex_replace(x, sql.mv_literal(separators), "")
    prefixed = sql.mv_regex_like(compact, sql.mv_literal(f"^(?:{_escaped(sql, '+86')}|0086|86)1[0-9]{{10}}$"))
    national = sql.mv_regex_substr(x, sql.mv_literal("[0-9](?:[^0-9]*[0-9]){10}[^0-9]*$"))
    head = f"LEFT({x}, CHAR_LENGTH({x}) - CHAR_LENGTH({national}))"
    return (f"CASE WHEN {prefixed} THEN CONCAT({head}, {mask_chars_sql(sql, national, first, last)}) "
            f"ELSE {mask_chars_sql(sql, x, first, last)} END")


def _email(sql: MaskSql, x: str) -> str:
    """``z***@qq.com``: the local part's first character, three mask characters, the domain."""
    at = sql.mv_strpos("@", x)
    stars = sql.mv_literal(MASK_CHAR * 3 + "@")
    return (f"CASE WHEN {at} > 0 AND {at} < CHAR_LENGTH({x}) "
            f"THEN CONCAT(LEFT({x}, LEAST({at} - 1, 1)), {stars}, SUBSTR({x}, {at} + 1)) "
            f"ELSE {mask_chars_sql(sql, x, 1, 0)} END")


def _ip(sql: MaskSql, x: str) -> str:
    """An IPv4 address keeps its network half (``240.193.*.*``); anything else is masked whole."""
    space = char_class(sql, whitespace_codepoints())
    trimmed = sql.mv_regex_replace(x, sql.mv_literal(f"^{space}+|{space}+$"), "")
    octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
    dot = sql.mv_regex_char(ord("."))
    ipv4 = sql.mv_regex_like(trimmed, sql.mv_literal(f"^{octet}(?:{dot}{octet}){{3}}$"))
    network = sql.mv_regex_substr(trimmed, sql.mv_literal(f"^[0-9]+{dot}[0-9]+{dot}"))
    return (f"CASE WHEN {ipv4} THEN CONCAT({network}, {sql.mv_literal(MASK_CHAR + '.' + MASK_CHAR)}) "
            f"ELSE {mask_chars_sql(sql, x, 0, 0)} END")


def admin_pattern(sql: MaskSql, pattern: str) -> str:
    """A part of ``scanner/anonymize/address.py``'s province/city/district split in the dialect's spelling.

    The lookahead that keeps street words out of a body becomes a bracket
    expression of the Han block minus those words (PostgreSQL has no
    lookahead inside a quantified group).
    """
    han = range(HAN_FIRST, HAN_LAST + 1)
    body = char_class(sql, [cp for cp in han if chr(cp) not in STREET_WORDS])
    pattern = pattern.replace(f"(?:(?![{STREET_WORDS}])[\u4e00-\u9fff])", "\0BODY\0")
    pattern = pattern.replace("[\\u4e00-\\u9fff]", "\0HAN\0")
    return pattern.replace("\0BODY\0", body).replace("\0HAN\0", char_class(sql, han))


def admin_prefix(sql: MaskSql, x: str) -> str:
    """The province, city and district at the start of ``x``, as ``address.split_address`` finds them.

    One regular expression per part, each on what the parts before it left:
    a whole-prefix pattern would be matched longest-first by PostgreSQL
    (``东区区`` whole, where Python's lazy district stops at ``东区``). The
    city and district patterns start with a lazy quantifier, which makes
    PostgreSQL take their shortest match: Python's first suffix. A
    municipality is asked for before the other provinces, as Python's
    alternation tries it first.
    """
    def part(expr: str, pattern: str) -> str:
        return sql.mv_regex_substr(expr, sql.mv_literal("^(?:" + admin_pattern(sql, pattern) + ")"))

    municipality = sql.mv_literal("^(?:" + admin_pattern(sql, MUNICIPALITY) + ")")
    province = (f"(CASE WHEN {sql.mv_regex_like(x, municipality)} THEN {part(x, MUNICIPALITY)} "
                f"ELSE {part(x, PROVINCE)} END)")
    after_province = f"SUBSTR({x}, CHAR_LENGTH({province}) + 1)"
    city = part(after_province, CITY)
    after_city = f"SUBSTR({after_province}, CHAR_LENGTH({city}) + 1)"
    return f"CONCAT({province}, {city}, {part(after_city, DISTRICT)})"


def _address(sql: MaskSql, x: str) -> str:
    """Chinese: keep province/city/district, mask the rest; others: mask up to the first comma."""
    alnum = sql.mv_literal(char_class(sql, separator_codepoints(), negate=True))
    prefix = admin_prefix(sql, x)
    rest = sql.mv_regex_replace(f"SUBSTR({x}, CHAR_LENGTH({prefix}) + 1)", alnum, MASK_CHAR)
    han = sql.mv_regex_like(x, sql.mv_literal(char_class(sql, range(HAN_FIRST, HAN_LAST + 1))))
    comma = sql.mv_strpos(",", x)
    return (f"CASE WHEN {han} THEN (CASE WHEN CHAR_LENGTH({prefix}) > 0 THEN CONCAT({prefix}, {rest}) "
            f"ELSE {mask_chars_sql(sql, x, 2, 0)} END) "
            f"WHEN {comma} > 0 THEN CONCAT({sql.mv_regex_replace(f'LEFT({x}, {comma} - 1)', alnum, MASK_CHAR)}, "
            f"SUBSTR({x}, {comma})) "
            f"ELSE {sql.mv_regex_replace(x, alnum, MASK_CHAR)} END")


# ------------------------------------------------------------------------------------------ keyed hash ----


class KeyedHashSql(MaskSql, Protocol):
    """A dialect with a keyed HMAC-SHA256 in SQL (PostgreSQL with pgcrypto)."""

    def mv_hmac_hex(self, message: str, key: str, schema: str) -> str:
        """Lower-case hex HMAC-SHA256 of the text ``message`` (UTF-8) under the bytes ``key``.

        ``schema`` is where the HMAC function lives (pgcrypto's schema).
        """


def hash_expression(sql: KeyedHashSql, entity: str | None, column: str, key: str, schema: str,
                    length: int = DEFAULT_HASH_HEX) -> str:
    """The SQL of the ``hash`` operator (``Hasher.hash``): normalized as ``normalize_for_hash``, keyed, cut."""
    x = sql.mv_text(column)
    digest = sql.mv_hmac_hex(_hash_normalized(sql, entity, x), key, schema)
    return f"CASE WHEN {column} IS NULL THEN NULL ELSE LEFT({digest}, {length}) END"


def _hash_normalized(sql: MaskSql, entity: str | None, x: str) -> str:
    """``scanner/anonymize/crypto.py`` ``normalize_for_hash``: strip, then the entity's normalization."""
    space = char_class(sql, whitespace_codepoints())
    v = sql.mv_regex_replace(x, sql.mv_literal(f"^{space}+|{space}+$"), "")
    norm = hash_norm(entity)
    if norm == HASH_PHONE:
        separators = char_class(sql, [*whitespace_codepoints(), *map(ord, _MOBILE_SEPARATORS)])
        compact = sql.mv_regex_replace(v, sql.mv_literal(separators), "")
        mobile = sql.mv_regex_like(compact, sql.mv_literal(f"^(?:{_escaped(sql, '+86')}|0086|86)?1[0-9]{{10}}$"))
        return f"CASE WHEN {mobile} THEN RIGHT({compact}, 11) ELSE {v} END"
    if norm == HASH_DIGITS:
        digits = sql.mv_regex_replace(v, sql.mv_literal("[^0-9]"), "")
        return f"CASE WHEN {digits} = '' THEN {v} ELSE {digits} END"
    if norm == HASH_UPPER:
        return f"UPPER({v})"
    if norm == HASH_LOWER:
        return f"LOWER({v})"
    return v
