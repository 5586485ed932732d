"""Cell-pattern length ranges: the column scan skips values outside them, so they must never exclude a match."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from bench import labelled as g
from detectors.classify import ColumnProfile
from detectors.recognizers import RECOGNIZER_CLASSES, pattern_lengths

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
            matched = pc.match_substring_regex(array, pattern).to_pylist()
            for value, n, hit in zip(values, lengths, matched):
                if hit:
                    assert n >= low and (high is None or n <= high), (cls.ENTITY, value)


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
