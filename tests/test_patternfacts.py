"""Cell-pattern facts (lengths, needed characters): the scan skips on them, so they must never exclude a match."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import labelled as g
from detectors.classify import ColumnProfile
from detectors.patternfacts import may_match, pattern_lengths, pattern_needs, present_bytes
from detectors.recognizers import RECOGNIZER_CLASSES

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


def _check(values: list[str]) -> None:
    array = pa.array(values, type=pa.string())
    lengths = pc.utf8_length(array).to_pylist()
    for cls in RECOGNIZER_CLASSES:
        for pattern in {cls.CELL_REGEX, cls.HINTED_CELL_REGEX or cls.CELL_REGEX}:
            low, high = pattern_lengths(pattern)
            needs = pattern_needs(pattern)
            matched = pc.match_substring_regex(array, pattern).to_pylist()
            for value, n, hit in zip(values, lengths, matched):
                if hit:
                    assert n >= low and (high is None or n <= high), (cls.ENTITY, value)
                    assert may_match(needs, present_bytes(pa.array([value]))), (cls.ENTITY, value)


def test_no_generated_match_falls_outside_its_pattern_range():
    _check(_variants(random.Random(9)))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789X- .@:abcEGHCDSP京粤A省市区路号", min_size=1, max_size=30))
def test_no_random_match_falls_outside_its_pattern_range(value):
    _check([value])


def test_known_ranges():
    assert pattern_lengths(r"^\d{17}[\dXx]$|^\d{15}$") == (15, 18)
    assert pattern_lengths(r"^\d+$") == (1, None)
    assert pattern_lengths(r"\d{4}") == (4, None)  # not anchored: longer values contain it
    assert pattern_lengths(r"^[\p{Han}·]{2,16}$") == (2, 16)
    assert pattern_lengths(r"^(?:unbalanced$") == (0, None)


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


def test_present_bytes_reads_only_the_array_s_own_values():
    array = pa.array(["@@@", "abc", "张三"]).slice(1, 1)  # a view: "@" and the Han bytes lie outside it
    present = present_bytes(array)
    assert present[ord("a")] and not present[ord("@")] and not present[128:].any()
    assert may_match(frozenset("abc"), present) and not may_match(frozenset("@"), present)
    assert not may_match(frozenset("\u4e00"), present)
    assert may_match(frozenset("\u4e00"), present_bytes(pa.array(["张三"])))
    assert may_match(None, np.zeros(256, dtype=bool))
    assert present_bytes(pa.array([], pa.string())).all()  # nothing to read: assume anything
    large = pa.array(["x@y"], type=pa.large_string())
    assert present_bytes(large)[ord("@")]
