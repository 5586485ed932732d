"""The distinct-subject sketch: accuracy, merging, the fixed hash and the text form."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.lifecycle.distinct import (
    DistinctSketch,
    SketchError,
    hash64,
    sketch_of,
    subjects_estimate,
    union,
)

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def _fmix(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    return h ^ (h >> 33)


def reference_hash(value: bytes) -> int:
    """The documented hash, one value at a time in plain Python: what every release must keep computing."""
    if len(value) > 64:
        return int.from_bytes(hashlib.blake2b(value, digest_size=8, person=b"piiwarden hll").digest(), "little")
    h = _fmix(((len(value) + 1) * GOLDEN) & MASK)
    for k in range(0, len(value), 8):
        word = int.from_bytes(value[k: k + 8], "little")
        h = _fmix(h ^ word ^ (((k // 8 + 1) * GOLDEN) & MASK))
    return h


def digit_strings(n: int, seed: int, width: int = 18) -> pa.Array:
    """n random digit strings of one width (about n distinct for width 18), built without Python loops."""
    rng = np.random.default_rng(seed)
    matrix = rng.integers(48, 58, size=(n, width), dtype=np.uint8)
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(matrix.tobytes()))


def exact_distinct(values: pa.Array) -> int:
    return len(set(values.to_pylist()))


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_estimate_within_two_percent_on_a_million_values(seed):
    values = digit_strings(1_000_000, seed)
    truth = exact_distinct(values)
    estimate = sketch_of(values).estimate()
    assert abs(estimate - truth) / truth < 0.02, (estimate, truth)


@pytest.mark.parametrize("seed", [11, 12])
def test_estimate_counts_people_not_rows(seed):
    """A million rows of 200,000 people (mobile-like values repeated) estimate 200,000."""
    people = digit_strings(200_000, seed, width=11)
    rows = people.take(pa.array(np.random.default_rng(seed).integers(0, 200_000, 1_000_000)))
    truth = exact_distinct(rows)
    estimate = sketch_of(rows).estimate()
    assert abs(estimate - truth) / truth < 0.02, (estimate, truth)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 50, 300, 5_000, 40_000])
def test_small_counts_are_near_exact(n):
    values = digit_strings(n, 99)
    truth = exact_distinct(values)
    assert abs(sketch_of(values).estimate() - truth) <= max(1, 0.02 * truth)


def test_variable_length_values_and_nulls():
    """E-mail-like values of many lengths take the word-gather path; nulls are not counted."""
    rng = np.random.default_rng(7)
    values = [f"user{int(i)}@example{int(i) % 97}.com" for i in rng.permutation(120_000)]
    arr = pa.array(values + [None] * 1000)
    estimate = sketch_of(arr).estimate()
    assert abs(estimate - 120_000) / 120_000 < 0.02


def test_merge_equals_the_sketch_of_the_union():
    a, b = digit_strings(300_000, 21), digit_strings(300_000, 22)
    overlap = pa.concat_arrays([a.slice(0, 100_000), b])  # shares 100,000 values with a
    merged = sketch_of(a).merged(sketch_of(overlap))
    assert merged == sketch_of(pa.concat_arrays([a, overlap]))
    batches = DistinctSketch()
    for start in range(0, 300_000, 65_536):  # a stream, batch by batch
        batches.add(a.slice(start, 65_536))
    assert batches == sketch_of(a)
    assert union([sketch_of(a), sketch_of(overlap)]) == merged
    assert union([]) is None


def test_merge_refuses_different_precisions():
    with pytest.raises(SketchError):
        DistinctSketch(12).update(DistinctSketch(14))


def test_chunked_dictionary_and_numeric_columns_hash_as_their_text():
    strings = pa.array(["13812345678", "13912345678", "13812345678"])
    chunked = pa.chunked_array([strings.slice(0, 1), strings.slice(1)])
    assert list(hash64(chunked)) == list(hash64(strings))
    assert list(hash64(strings.dictionary_encode())) == list(hash64(strings))
    assert list(hash64(pa.array([13812345678, 13912345678, 13812345678]))) == list(hash64(strings))
    assert list(hash64(pa.array(["x"], pa.large_string()))) == list(hash64(pa.array(["x"])))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=90), max_size=40))
def test_vectorized_hash_is_the_documented_hash(values):
    """Mixed lengths (word gathers), equal lengths (one reshape) and long values (BLAKE2b) agree with the reference."""
    expected = [reference_hash(v.encode("utf-8")) for v in values]
    assert [int(h) for h in hash64(pa.array(values, pa.string()))] == expected
    for width in {len(v.encode("utf-8")) for v in values}:
        same = [v for v in values if len(v.encode("utf-8")) == width]
        assert [int(h) for h in hash64(pa.array(same, pa.string()))] == [reference_hash(v.encode()) for v in same]


def test_sliced_arrays_hash_their_own_values():
    values = pa.array(["a", "bb", "ccc", "dddd", "eeeeeeeeeeee", "f"])
    assert [int(h) for h in hash64(values.slice(2, 3))] == [reference_hash(v) for v in (b"ccc", b"dddd", b"eeeeeeeeeeee")]
    fixed = digit_strings(10, 3)
    assert [int(h) for h in hash64(fixed.slice(4, 3))] == [reference_hash(v.encode()) for v in fixed.slice(4, 3).to_pylist()]


@settings(max_examples=100, deadline=None)
@given(st.integers(4, 18), st.integers(0, 2**32 - 1), st.floats(0.0, 1.0))
def test_text_form_round_trips(p, seed, fill):
    """Any register contents (empty, sparse, full, at the maximum rank) survive the text form."""
    rng = np.random.default_rng(seed)
    registers = np.where(rng.random(1 << p) < fill, rng.integers(0, 66 - p, 1 << p), 0).astype(np.uint8)
    sketch = DistinctSketch(p, registers)
    text = sketch.to_text()
    assert text.startswith("hll1:") and text.isascii()
    assert DistinctSketch.from_text(text) == sketch
    assert DistinctSketch.from_bytes(sketch.to_bytes()) == sketch


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.builds(lambda b: bytes([1, 14]) + b, st.binary(max_size=300))))
def test_garbage_is_a_sketch_error_never_a_crash(raw):
    import base64

    for text in ("hll1:" + base64.b64encode(raw).decode(), raw.decode("latin-1")):
        try:
            sketch = DistinctSketch.from_text(text)
        except SketchError:
            continue
        assert DistinctSketch.from_text(sketch.to_text()) == sketch  # what parses is a real sketch


def test_text_form_is_small_and_refuses_bad_registers():
    full = sketch_of(digit_strings(1_000_000, 8))
    assert len(full.to_text()) < 12_000
    assert len(DistinctSketch().to_text()) < 100
    import zlib

    too_high = bytes([1, 4]) + zlib.compress(bytes([62] * 16))
    with pytest.raises(SketchError):
        DistinctSketch.from_bytes(too_high)
    with pytest.raises(SketchError):
        DistinctSketch.from_bytes(bytes([1, 14]) + zlib.compress(bytes(100)))
    with pytest.raises(SketchError):
        DistinctSketch.from_text("hll2:AAAA")


def test_subjects_estimate_is_the_largest_identifier_column():
    ids, mobiles = sketch_of(digit_strings(5_000, 31)), sketch_of(digit_strings(3_000, 32, width=11))
    assert subjects_estimate([ids, mobiles]) == ids.estimate()
    assert subjects_estimate([]) is None


def reference_registers(hashes: list[int], p: int) -> list[int]:
    """HyperLogLog's registers in plain Python: the top p bits pick one, the rank is 1 + the rest's leading zeros."""
    registers = [0] * (1 << p)
    q = 64 - p
    for h in hashes:
        rest = h & ((1 << q) - 1)
        rank = q - rest.bit_length() + 1
        registers[h >> q] = max(registers[h >> q], rank)
    return registers


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=MASK), max_size=300), st.sampled_from([4, 11, 12, 14, 18]))
def test_registers_are_the_textbook_ranks_at_every_precision(hashes, p):
    """The one-conversion bit length (precision 12 and up) and the split one (below) agree with int.bit_length."""
    edge = [0, 1, (1 << (64 - p)) - 1, 1 << (63 - p), MASK]  # all-zero, one-bit and all-one remainders
    values = hashes + edge
    sketch = DistinctSketch(p).add_hashes(np.array(values, dtype=np.uint64))
    assert sketch.registers.tolist() == reference_registers(values, p)
