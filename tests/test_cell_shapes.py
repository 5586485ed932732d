"""Scan classifies identifier columns written in other shapes, with the same normalizer anonymize and verify use.

Each column holds valid values of one entity written in one shape (spaced,
dashed, full-width, labelled, ``+86``, a control character); it must classify
under its natural header and under an opaque one. Hard negatives (numbers of
the same shape that fail the checksum, versions, dates, amounts) must not.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors import validators as v
from detectors.classify import ColumnProfile, decide
from detectors.shapes import ENTITY_SHAPES, normalize_array, normalize_value
from scanner.anonymize.shapes import clear_in_cell, judge

ROWS = 300
_PREFIXES = sorted(v.MOBILE_PREFIXES)
_PROVINCES = sorted(p for p in v.PROVINCE_CODES if p >= 11)


def _resident_id(rng: random.Random) -> str:
    body = (f"{rng.choice(_PROVINCES):02d}{rng.randint(1, 99):02d}{rng.randint(1, 99):02d}"
            f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}")
    return body + v.resident_id_check_char(body)


def _mobile(rng: random.Random) -> str:
    return f"{rng.choice(_PREFIXES)}{rng.randint(0, 99_999_999):08d}"


def _bank_card(rng: random.Random) -> str:
    partial = rng.choice(["622202", "621700", "436742", "522151"]) + "".join(rng.choices(string.digits, k=9))
    return partial + v.luhn_check_digit(partial)


def _uscc(rng: random.Random) -> str:
    head = rng.choice(["91", "92", "93", "11", "51"]) + f"{rng.choice(_PROVINCES):02d}{rng.randint(0, 9999):04d}"
    body = head + "".join(rng.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=9))
    return body + v.uscc_check_char(body)


def _ssn(rng: random.Random) -> str:
    while True:
        value = f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        if v.is_valid_us_ssn(value):
            return value


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    "CN_RESIDENT_ID": _resident_id, "CN_MOBILE_PHONE": _mobile, "BANK_CARD": _bank_card,
    "CN_USCC": _uscc, "US_SSN": _ssn,
}
NATURAL = {"CN_RESIDENT_ID": "身份证号", "CN_MOBILE_PHONE": "手机号", "BANK_CARD": "银行卡号",
           "CN_USCC": "统一社会信用代码", "US_SSN": "ssn"}
FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.digits + string.ascii_uppercase + "-"})


def _groups(value: str, sizes: tuple[int, ...], sep: str) -> str:
    out, at = [], 0
    for size in sizes:
        out.append(value[at:at + size])
        at += size
    out.append(value[at:])
    return sep.join(part for part in out if part)


def _bare(entity: str, value: str) -> str:
    return value.replace("-", "") if entity == "US_SSN" else value


# Shape transforms people use; each maps a canonical value to one written form.
SIZES = {"CN_RESIDENT_ID": (6, 8), "CN_MOBILE_PHONE": (3, 4), "BANK_CARD": (4, 4, 4),
         "CN_USCC": (2, 6), "US_SSN": (3, 2)}
SHAPES: dict[str, Callable[[str, str], str]] = {
    "spaced": lambda e, x: _groups(_bare(e, x), SIZES[e], " "),
    "dashed": lambda e, x: _groups(_bare(e, x), SIZES[e], "-"),
    "dotted": lambda e, x: _groups(_bare(e, x), SIZES[e], "."),
    "full_width": lambda e, x: x.translate(FULL_WIDTH),
    "labelled": lambda e, x: f"{NATURAL[e]}：{x}",
    "nul_ended": lambda e, x: x + "\x00",
    "zero_width": lambda e, x: x[:4] + "\u200b" + x[4:],
    "lower_case": lambda e, x: x.lower(),
}
COUNTRY = {"plus86": lambda x: f"+86 {x[:3]} {x[3:7]} {x[7:]}", "0086": lambda x: f"0086-{x}",
           "86_dotted": lambda x: f"+86.{x[:3]}.{x[3:7]}.{x[7:]}"}


def _classify(header: str, cells: list[str]) -> str | None:
    profile = ColumnProfile(header)
    profile.update(pa.array(cells, pa.string()))
    return decide(profile).primary_entity


def _column(entity: str, shape: Callable[[str], str], seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [shape(GENERATORS[entity](rng)) for _ in range(ROWS)]


@pytest.mark.parametrize("header", ["natural", "c2"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("entity", sorted(GENERATORS))
def test_identifier_columns_classify_in_any_accepted_shape(entity, shape, header):
    cells = _column(entity, lambda x: SHAPES[shape](entity, x))
    assert _classify(NATURAL[entity] if header == "natural" else header, cells) == entity


@pytest.mark.parametrize("header", ["手机号", "c2"])
@pytest.mark.parametrize("shape", sorted(COUNTRY))
def test_mobiles_with_a_country_code_classify(shape, header):
    assert _classify(header, _column("CN_MOBILE_PHONE", COUNTRY[shape])) == "CN_MOBILE_PHONE"


def test_a_mixed_column_of_shapes_classifies():
    rng = random.Random(3)
    shapes = sorted(SHAPES)
    cells = [SHAPES[shapes[i % len(shapes)]]("CN_RESIDENT_ID", _resident_id(rng)) for i in range(ROWS)]
    assert _classify("c7", cells) == "CN_RESIDENT_ID"


def _failing(make: Callable[[random.Random], str], ok: Callable[[str], bool], rng: random.Random) -> str:
    while True:
        value = make(rng)
        if not ok(value):
            return value


def _negatives() -> dict[str, list[str]]:
    rng = random.Random(11)
    orders = [_failing(lambda r: "".join(r.choices(string.digits, k=18)), v.is_valid_resident_id, rng)
              for _ in range(ROWS)]
    ids_444 = [_failing(lambda r: "".join(r.choices(string.digits, k=16)), v.is_valid_bank_card, rng)
               for _ in range(ROWS)]
    bad_ids = [_failing(_resident_id_wrong_check, v.is_valid_resident_id, rng) for _ in range(ROWS)]
    return {
        "order_numbers_spaced": [_groups(x, (6, 8), " ") for x in orders],
        "order_numbers_dashed": [_groups(x, (4, 4, 4, 4), "-") for x in orders],
        "ids_grouped_4444": [_groups(x, (4, 4, 4), " ") for x in ids_444],
        "id_shaped_bad_checksum_spaced": [_groups(x, (6, 8), " ") for x in bad_ids],
        "versions": [f"{rng.randint(1, 20)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}.{rng.randint(0, 99999)}"
                     for _ in range(ROWS)],
        "dates": [f"{rng.randint(1990, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                  f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}" for _ in range(ROWS)],
        "amounts": [f"{rng.randint(1_000_000, 99_999_999_999):,}.{rng.randint(0, 99):02d}" for _ in range(ROWS)],
        "amounts_spaced": [f"{rng.randint(1_000_000_000, 9_999_999_999_999):,}".replace(",", " ")
                           for _ in range(ROWS)],
    }


def _resident_id_wrong_check(rng: random.Random) -> str:
    good = _resident_id(rng)
    return good[:17] + rng.choice([c for c in "0123456789X" if c != good[17]])


@pytest.mark.parametrize("header", ["编号", "c3"])
@pytest.mark.parametrize("kind", sorted(_negatives()))
def test_hard_negatives_stay_unclassified(kind, header):
    assert _classify(header, _negatives()[kind]) is None


def test_a_normalized_cell_counts_only_once_and_only_if_it_validates():
    """A raw format match that fails is not counted again as a candidate when its normalized form is tried."""
    rng = random.Random(5)
    ids = [_resident_id(rng) for _ in range(50)]
    cells = [f"{x[:6]} {x[6:14]} {x[14:]}" for x in ids] + [_resident_id_wrong_check(rng) for _ in range(50)]
    profile = ColumnProfile("身份证号")
    profile.update(pa.array(cells, pa.string()))
    ev = profile.evidence["CN_RESIDENT_ID"]
    assert (ev.candidates, ev.validated) == (100, 50)


# --- the normalizer itself ------------------------------------------------------------------

_ENTITY = st.sampled_from(sorted(GENERATORS))


@settings(max_examples=150, deadline=None)
@given(entity=_ENTITY, shape=st.sampled_from(sorted(SHAPES)), seed=st.integers(0, 2**32 - 1))
def test_the_normalizer_returns_the_canonical_value_of_any_accepted_shape(entity, shape, seed):
    value = GENERATORS[entity](random.Random(seed))
    written = SHAPES[shape](entity, value)
    assert normalize_value(written, entity) == value.upper()
    assert judge(entity, written).kind == "entity"  # anonymize accepts what scan accepts
    assert clear_in_cell(entity, written)  # and verify sees it


@settings(max_examples=50, deadline=None)
@given(shape=st.sampled_from(sorted(COUNTRY)), seed=st.integers(0, 2**32 - 1))
def test_the_normalizer_strips_the_country_code_of_mobiles(shape, seed):
    value = _mobile(random.Random(seed))
    assert normalize_value(COUNTRY[shape](value), "CN_MOBILE_PHONE") == value


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(), max_size=8))
def test_the_normalizer_never_raises_on_arbitrary_text(texts):
    array = pa.array(texts, pa.string())
    for shape in set(ENTITY_SHAPES.values()):
        out = normalize_array(array, shape)
        assert len(out) == len(texts)
    for text in texts:
        normalize_value(text, "CN_RESIDENT_ID")
