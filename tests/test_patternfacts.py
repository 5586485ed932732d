"""Cell-pattern facts (lengths, needed characters, per-value gates): the scan skips on them, so they must never exclude a match."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import labelled as g
from detectors.classify import ColumnProfile
from detectors.entities.registry import recognizer_classes
from detectors.patternfacts import may_fit, may_match, pattern_needs, value_facts, value_gate

GENERATORS = [g.resident_id, g.bank_card, g.mobile, g.landline, g.email, g.ipv4, g.uscc, g.plate, g.cn_name, g.en_name,
              g.cn_address, g.en_address, g.birth_date, g.ssn, g.passport, g.intl_phone, g.password, g.order_no,
              g.random16, g.random18, g.qq, g.waybill, g.version, g.sha, g.event_date, g.amount, g.chat]


def _variants(rng: random.Random) -> list[str]:
    """Generated values, and each one a character shorter and longer (near the range edges)."""
    out = []
    for gen in GENERATORS:
        for _ in range(40):
            value = gen(rng)
            out += [value, value[:-1], value + "0", "1" + value, value.replace("-", ""), value.replace(" ", "")]
    return out


def _facts(array: pa.Array):
    return value_facts(array, np.asarray(pc.utf8_length(array)))


def _check(values: list[str]) -> None:
    array = pa.array(values, type=pa.string())
    lengths = pc.utf8_length(array).to_pylist()
    facts = _facts(array)
    for cls in recognizer_classes():
        for pattern in {cls.CELL_REGEX, cls.HINTED_CELL_REGEX or cls.CELL_REGEX}:
            low, high = _lengths(pattern)
            needs = pattern_needs(pattern)
            matched = np.asarray(pc.match_substring_regex(array, pattern))
            fits = may_fit(value_gate(pattern), facts)
            assert not (matched & ~fits).any(), (cls.ENTITY, [v for v, m in zip(values, matched & ~fits) if m])
            for value, n, hit in zip(values, lengths, matched.tolist()):
                if hit:
                    assert n >= low and (high is None or n <= high), (cls.ENTITY, value)
                    assert may_match(needs, _facts(pa.array([value])).present()), (cls.ENTITY, value)


def test_no_generated_match_falls_outside_its_pattern_range():
    _check(_variants(random.Random(9)))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789Xx- .@:/+()（）abcfkEGHCDSPT京粤A省市区路号年月日·_\t\u212a", min_size=1, max_size=30))
def test_no_random_match_falls_outside_its_pattern_range(value):
    _check([value])


def _lengths(pattern: str) -> tuple[int, int | None]:
    """The shortest and longest value any alternative of the pattern's gate admits (None: no bound)."""
    gate = value_gate(pattern)
    if gate is None:
        return 0, None
    highs = [alt.high for alt in gate]
    return min(alt.low for alt in gate), None if None in highs else max(highs)


def test_known_ranges():
    assert _lengths(r"^\d{17}[\dXx]$|^\d{15}$") == (15, 18)
    assert _lengths(r"^\d+$") == (1, None)
    assert _lengths(r"\d{4}") == (4, None)  # not anchored: longer values contain it
    assert _lengths(r"^[\p{Han}·]{2,16}$") == (2, 16)
    assert _lengths(r"^(?:unbalanced$") == (0, None)


def test_values_skipped_by_length_are_still_counted_as_values():
    profile = ColumnProfile("col")
    profile.update(pa.array(["110101199003077777", "粤B12345", "x"]))
    assert profile.values == 3
    assert profile.evidence["CN_LICENSE_PLATE"].candidates == 1


def test_needed_characters():
    assert pattern_needs(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,24}$") == frozenset("@")
    assert pattern_needs(r"^\d{3}-\d{2}-\d{4}$|^\d{3} \d{2} \d{4}$") == frozenset("- ")
    assert pattern_needs(r"(?i)^ab$") == frozenset("aA") or pattern_needs(r"(?i)^ab$") == frozenset("bB")
    assert pattern_needs(r"^.*$") is None and pattern_needs(r"^\S+$") is None
    assert pattern_needs(r"^(?:x)?\d$") == frozenset("0123456789")  # the optional group needs nothing


def test_value_facts_read_only_the_array_s_own_values():
    array = pa.array(["@@@", "abc", "张三"]).slice(1, 1)  # a view: "@" and the Han bytes lie outside it
    present = _facts(array).present()
    assert present[ord("a")] and not present[ord("@")] and not present[128:].any()
    assert may_match(frozenset("abc"), present) and not may_match(frozenset("@"), present)
    assert not may_match(frozenset("\u4e00"), present)
    assert may_match(frozenset("\u4e00"), _facts(pa.array(["张三"])).present())
    assert may_match(None, np.zeros(256, dtype=bool))
    large = pa.array(["x@y", "", None, "张"], type=pa.large_string())
    facts = _facts(large)
    assert facts.present()[ord("@")]
    assert facts.first.tolist()[:3] == [ord("x"), 0, 0] and facts.last[0] == ord("y") and facts.last[3] >= 128
    assert facts.signature[1] == facts.signature[2] == 0  # empty and null values hold nothing


def test_value_gates_skip_values_a_pattern_cannot_match():
    values = pa.array(["110101199003077777", "13800138000", "a.b@example.com", "粤B12345", "192.168.1.1",
                       "6222021308580965123", "张三", "2024-01-31", "123-45-6789"])
    facts = _facts(values)
    fits = {cls.ENTITY: may_fit(value_gate(cls.CELL_REGEX), facts).tolist() for cls in recognizer_classes()}
    assert fits["CN_RESIDENT_ID"] == [True] + [False] * 8
    assert fits["EMAIL_ADDRESS"] == [False, False, True] + [False] * 6
    assert fits["CN_LANDLINE_PHONE"] == [False] * 9  # none starts with 0, +, ( or （
    assert fits["US_SSN"] == [False] * 8 + [True]
    assert not fits["DATE_OF_BIRTH"][0] and fits["DATE_OF_BIRTH"][7]  # 18 digits hold no date separator
    assert fits["PERSON_NAME"][6] and not fits["PERSON_NAME"][0]


def test_gates_read_alternatives_apart():
    gate = value_gate(r"^\d{3}-\d{2}-\d{4}$|^\d{3} \d{2} \d{4}$")  # the parser factors out "^\d{3}"
    assert gate is not None and len(gate) == 2 and all(alt.high == 11 for alt in gate)
    gate = value_gate(r"^(?:\d{17}[\dXx]|\d{15})$")
    assert sorted((alt.low, alt.high) for alt in gate) == [(15, 15), (18, 18)]
    unanchored = value_gate(r"(?:省|市).*(?:号|路)")
    assert unanchored[0].high is None and unanchored[0].first is None and unanchored[0].alphabet is None
    assert value_gate(r"^(?:unbalanced$") is None
    facts = _facts(pa.array(["k", "\u212a"]))  # Kelvin sign: RE2 folds it into k when case is ignored
    assert may_fit(value_gate(r"(?i)^k$"), facts).tolist() == [True, True]
    assert may_fit(value_gate(r"^k$"), facts).tolist() == [True, False]


def _as_python(pattern: str) -> str:
    """A cell pattern in Python's dialect with RE2's meaning: ASCII \\d and \\s, \\p{Han} as the Han block."""
    meaning = {"d": "0-9", "s": " \t\n\f\r", "p{Han}": "\u4e00-\u9fff"}
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        key = next((k for k in meaning if pattern.startswith("\\" + k, i)), None)
        if key is not None:
            out.append(meaning[key] if in_class else f"[{meaning[key]}]")
            i += 1 + len(key)
            continue
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        in_class = (in_class or c == "[") and not (in_class and c == "]")
        out.append(c)
        i += 1
    return "".join(out)


_CELL_PATTERNS = sorted({p for cls in recognizer_classes() for p in (cls.CELL_REGEX, cls.HINTED_CELL_REGEX) if p})


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_strings_drawn_from_a_pattern_pass_its_gate(data):
    """Values generated from the cell patterns themselves (hypothesis' from_regex), mixed in one batch: whatever RE2
    matches, the gate lets through, whether the batch summaries or the per-value tests decide."""
    patterns = data.draw(st.lists(st.sampled_from(_CELL_PATTERNS), min_size=1, max_size=4))
    values = [data.draw(st.from_regex(_as_python(p), fullmatch=True)).strip() for p in patterns]
    values += data.draw(st.lists(st.text(alphabet="0123456789-.@ aX张", max_size=12), max_size=3))
    array = pa.array(values, type=pa.string())
    facts = _facts(array)
    for pattern in _CELL_PATTERNS:
        matched = np.asarray(pc.fill_null(pc.match_substring_regex(array, pattern), False))
        assert not (matched & ~may_fit(value_gate(pattern), facts)).any(), (pattern, values)
