"""How many different people a column holds, estimated in one vectorized pass (HyperLogLog).

The PI inventory and the 72-hour breach notice ask "how many people are
affected?", which is a distinct count over identifier columns. An exact
count needs every value (or its hash) in memory and cannot be combined
across the batches of a stream, the workers of a parallel scan or two
scans of the same estate. A HyperLogLog sketch can: ``2**p`` one-byte
registers (16 KiB at the default precision), a register-wise maximum to
merge, a standard error of ``1.04 / sqrt(2**p)`` (0.8 % at p = 14), and a
compressed text form of a few kilobytes for findings.json and history.

Hashing is the hot loop, so it runs in numpy over the Arrow string buffer
itself: every value is read as little-endian 64-bit words (masked to its
length) and mixed with the MurmurHash3 finalizer. The function is fixed
(no per-process seed), so sketches built by different processes, machines
or releases merge. Values longer than ``_WIDE_BYTES`` (no identifier is)
are hashed one by one with BLAKE2b instead of widening the whole batch.

The estimate uses Ertl's improved raw estimator ("New cardinality
estimation algorithms for HyperLogLog sketches", 2017), which needs neither
HLL++'s empirical bias tables nor a switch to linear counting for small
counts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import zlib
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_PRECISION = 14
MIN_PRECISION = 4
MAX_PRECISION = 18
TEXT_PREFIX = "hll1:"  # a sketch's text form: prefix + base64(version, p, zlib(registers))
_FORMAT_VERSION = 1
_WIDE_BYTES = 64  # values longer than this are hashed one by one (no identifier is this long)

_U64 = np.uint64
_M1 = _U64(0xFF51AFD7ED558CCD)
_M2 = _U64(0xC4CEB9FE1A85EC53)
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MASK64 = (1 << 64) - 1
# _LOW_BYTES[k]: a mask keeping the low k bytes of a little-endian word (k = 0..8).
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


class SketchError(ValueError):
    """A sketch text that cannot be read, or two sketches that cannot be merged (one line, no values)."""


def _fmix(h: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, in place (temporaries would triple its cost): every bit reaches every bit."""
    np.right_shift(h, _U64(33), out=tmp)
    h ^= tmp
    h *= _M1
    np.right_shift(h, _U64(33), out=tmp)
    h ^= tmp
    h *= _M2
    np.right_shift(h, _U64(33), out=tmp)
    h ^= tmp
    return h


def _as_binary(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One chunk of non-null values as (large_)binary, so the buffers are bytes with offsets."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if values.null_count:
        values = values.drop_null()
    if pa.types.is_string(values.type) or pa.types.is_binary(values.type):
        return values.cast(pa.binary())
    if pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type):
        return values.cast(pa.large_binary())
    return pc.cast(values, pa.string()).cast(pa.binary())  # numbers: their decimal text, like a CSV cell


def hash64(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A fixed 64-bit hash of every non-null value's UTF-8 bytes (nulls are skipped).

    The length seeds the state, so ``"a"`` and ``"a\\0"`` differ although the
    masked words are equal; each word goes through the finalizer before the
    next is mixed in, so equal words at different positions do not cancel.
    """
    arr = _as_binary(values)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    width = np.int64 if pa.types.is_large_binary(arr.type) else np.int32
    _validity, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=width)[arr.offset: arr.offset + n + 1].astype(np.int64)
    starts, lengths = offsets[:-1], np.diff(offsets)
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    end = int(offsets[-1])
    padded = np.zeros(end + 8, dtype=np.uint8)  # room to read a whole word past the last value
    padded[:end] = data[:end]
    out = np.empty(n, dtype=np.uint64)
    narrow = lengths <= _WIDE_BYTES
    if narrow.all():
        out[:] = _hash_narrow(padded, starts, lengths)
    else:
        out[narrow] = _hash_narrow(padded, starts[narrow], lengths[narrow])
        wide = np.flatnonzero(~narrow)
        out[wide] = _hash_wide(arr.take(pa.array(wide)).to_pylist())
    return out


def _hash_narrow(padded: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The word-wise hash of values of at most ``_WIDE_BYTES`` bytes, all at once.

    ``padded`` is the data buffer with eight zero bytes after it, so a word
    can be read from any value's start.
    """
    # words[i]: the little-endian 8 bytes from byte i (an unaligned, overlapping view: no copy).
    words = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    tmp = np.empty(len(starts), dtype=np.uint64)
    h = lengths.astype(np.uint64)
    h += _U64(1)
    h *= _GOLDEN
    _fmix(h, tmp)
    shortest, longest = (int(lengths.min()), int(lengths.max())) if len(lengths) else (0, 0)
    contiguous = 0 < shortest == longest and int(starts[-1] - starts[0]) == (len(starts) - 1) * longest
    for k in range(-(-longest // 8)):
        salt = _U64(((k + 1) * int(_GOLDEN)) & _MASK64)
        if contiguous:
            h ^= _fixed_width_word(padded, int(starts[0]), len(starts), longest, k)
            h ^= salt
            _fmix(h, tmp)
        elif shortest > 8 * k:  # every value still has bytes from word k on
            word = words[starts + 8 * k].astype(np.uint64)
            if shortest < 8 * (k + 1):  # some values end inside this word: keep only their own bytes
                word &= _LOW_BYTES[np.minimum(lengths - 8 * k, 8)]
            h ^= word
            h ^= salt
            _fmix(h, tmp)
        else:  # values that ended before word k take no more rounds
            live = np.flatnonzero(lengths > 8 * k)
            word = words[starts[live] + 8 * k].astype(np.uint64)
            word &= _LOW_BYTES[np.minimum(lengths[live] - 8 * k, 8)]
            part = h[live]
            part ^= word
            part ^= salt
            h[live] = _fmix(part, np.empty_like(part))
    return h


def _fixed_width_word(padded: np.ndarray, base: int, n: int, width: int, k: int) -> np.ndarray:
    """Word ``k`` of every one of ``n`` equal-length values laid end to end (normalized identifiers mostly are).

    A strided view over the buffer reads them without a copy (the gathers
    of the general path cost several times more); a word that runs past a
    value's end keeps only that value's own bytes.
    """
    words = np.ndarray(shape=(n,), dtype="<u8", buffer=padded, offset=base + 8 * k, strides=(width,))
    left = width - 8 * k
    return words if left >= 8 else words & _LOW_BYTES[left]


def _hash_wide(values: list[bytes]) -> np.ndarray:
    """Long values, one BLAKE2b each (rare: free text, never an identifier)."""
    digests = b"".join(hashlib.blake2b(v, digest_size=8, person=b"piiwarden hll").digest() for v in values)
    return np.frombuffer(digests, dtype="<u8").astype(np.uint64)


def _bit_length(x: np.ndarray, bits: int = 64) -> np.ndarray:
    """Bit length of each uint64 (0 for 0), exact: float64 holds 53-bit integers without rounding.

    ``bits`` bounds the values' width: up to 53 one conversion is exact
    (a register's remainder at the default precision has 51 bits); wider
    values are split into 32-bit halves, at five times the cost.
    """
    if bits <= 53:
        return np.frexp(x.astype(np.float64))[1].astype(np.int64)
    hi = np.frexp((x >> _U64(32)).astype(np.float64))[1]
    lo = np.frexp((x & _U64(0xFFFFFFFF)).astype(np.float64))[1]
    return np.where(hi > 0, hi + 32, lo).astype(np.int64)


class DistinctSketch:
    """A HyperLogLog sketch of how many distinct values have been added.

    Mutable on purpose: a scan adds batch after batch. ``merged`` returns a
    new sketch; ``update`` merges in place (a worker's sketch into the
    dataset's).
    """

    __slots__ = ("p", "registers")

    def __init__(self, p: int = DEFAULT_PRECISION, registers: np.ndarray | None = None) -> None:
        if not MIN_PRECISION <= p <= MAX_PRECISION:
            raise SketchError(f"precision must be between {MIN_PRECISION} and {MAX_PRECISION}, got {p}")
        self.p = p
        if registers is None:
            registers = np.zeros(1 << p, dtype=np.uint8)
        elif registers.shape != (1 << p,) or registers.dtype != np.uint8:
            raise SketchError(f"a sketch of precision {p} has {1 << p} one-byte registers")
        elif int(registers.max(initial=0)) > self.max_rank:
            raise SketchError(f"register value above {self.max_rank} in a sketch of precision {p}")
        self.registers = registers

    @property
    def max_rank(self) -> int:
        """The largest register value possible: 64 - p hash bits, plus one."""
        return 65 - self.p

    def add(self, values: pa.Array | pa.ChunkedArray) -> DistinctSketch:
        """Count the non-null values of an Arrow array (string, binary, or anything castable to string)."""
        return self.add_hashes(hash64(values))

    def add_hashes(self, hashes: np.ndarray) -> DistinctSketch:
        """Count values already hashed with ``hash64``; returns self for chaining."""
        if len(hashes) == 0:
            return self
        h = hashes.astype(np.uint64, copy=False)
        q = 64 - self.p
        index = (h >> _U64(q)).astype(np.intp)
        # The low q bits, with a stop bit under them so an all-zero remainder ranks q + 1, not 65.
        rest = ((h << _U64(self.p)) >> _U64(self.p)) << _U64(1) | _U64(1)
        rank = (q + 2 - _bit_length(rest, q + 1)).astype(np.uint8)
        np.maximum.at(self.registers, index, rank)
        return self

    def update(self, other: DistinctSketch) -> DistinctSketch:
        """Merge another sketch into this one (the union of both value sets); returns self."""
        if other.p != self.p:
            raise SketchError(f"cannot merge sketches of precision {self.p} and {other.p}")
        np.maximum(self.registers, other.registers, out=self.registers)
        return self

    def merged(self, other: DistinctSketch) -> DistinctSketch:
        """A new sketch of the union of both value sets."""
        return self.copy().update(other)

    def copy(self) -> DistinctSketch:
        return DistinctSketch(self.p, self.registers.copy())

    def estimate(self) -> int:
        """The estimated number of distinct values added (Ertl's improved raw estimator)."""
        m = 1 << self.p
        q = 64 - self.p
        counts = np.bincount(self.registers, minlength=q + 2).astype(np.float64)
        z = m * _tau(1.0 - counts[q + 1] / m)
        for k in range(q, 0, -1):
            z = 0.5 * (z + counts[k])
        z += m * _sigma(counts[0] / m)
        if math.isinf(z):
            return 0
        return int(round(m * m / (2.0 * math.log(2.0)) / z))

    def to_bytes(self, level: int = 9) -> bytes:
        """Version, precision and the zlib-compressed registers (a few KiB when full, bytes when empty).

        ``level`` is zlib's: 9 for what is kept, 1 for a sketch that only
        crosses a process pool (level 9 costs up to 8 ms on a full sketch).
        """
        return bytes([_FORMAT_VERSION, self.p]) + zlib.compress(self.registers.tobytes(), level)

    @classmethod
    def from_bytes(cls, raw: bytes) -> DistinctSketch:
        """The sketch ``to_bytes`` wrote; SketchError for anything else."""
        if len(raw) < 3 or raw[0] != _FORMAT_VERSION:
            raise SketchError("not a piiwarden distinct-count sketch (unknown version)")
        p = raw[1]
        if not MIN_PRECISION <= p <= MAX_PRECISION:
            raise SketchError(f"sketch precision {p} out of range")
        try:
            inflater = zlib.decompressobj()
            registers = inflater.decompress(raw[2:], (1 << p) + 1)  # bounded: no zip bomb
        except zlib.error:
            raise SketchError("sketch registers are corrupt") from None
        if len(registers) != 1 << p or not inflater.eof or inflater.unused_data:
            raise SketchError("sketch registers have the wrong size")
        return cls(p, np.frombuffer(registers, dtype=np.uint8).copy())

    def to_text(self) -> str:
        """``hll1:`` + base64: the form findings.json and the history keep."""
        return TEXT_PREFIX + base64.b64encode(self.to_bytes()).decode("ascii")

    @classmethod
    def from_text(cls, text: str) -> DistinctSketch:
        """The sketch ``to_text`` wrote; SketchError for anything else."""
        if not isinstance(text, str) or not text.startswith(TEXT_PREFIX):
            raise SketchError(f"a sketch text starts with {TEXT_PREFIX!r}")
        try:
            raw = base64.b64decode(text[len(TEXT_PREFIX):].encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise SketchError("sketch text is not base64") from None
        return cls.from_bytes(raw)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DistinctSketch):
            return NotImplemented
        return self.p == other.p and bool(np.array_equal(self.registers, other.registers))

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"DistinctSketch(p={self.p}, estimate={self.estimate()})"


def _sigma(x: float) -> float:
    """Ertl's sigma: the correction for empty registers (infinite when every register is empty)."""
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        z_old = z
        z += x * y
        y += y
        if z == z_old:
            return z


def _tau(x: float) -> float:
    """Ertl's tau: the correction for registers at the maximum rank."""
    if x in (0.0, 1.0):
        return 0.0
    y, z = 1.0, 1.0 - x
    while True:
        x = math.sqrt(x)
        z_old = z
        y *= 0.5
        z -= (1.0 - x) ** 2 * y
        if z == z_old:
            return z / 3.0


def sketch_of(values: pa.Array | pa.ChunkedArray, p: int = DEFAULT_PRECISION) -> DistinctSketch:
    """A new sketch of one array's non-null values."""
    return DistinctSketch(p).add(values)


def union(sketches: Iterable[DistinctSketch]) -> DistinctSketch | None:
    """The merge of many sketches (batches, workers, scans); None when there are none."""
    out: DistinctSketch | None = None
    for sketch in sketches:
        out = sketch.copy() if out is None else out.update(sketch)
    return out


def subjects_estimate(identifier_sketches: Iterable[DistinctSketch]) -> int | None:
    """Distinct people in a dataset from the sketches of its identifier columns: the largest count.

    Not the union: a person's resident ID and mobile number are different
    values, so a union would count each person once per identifier column.
    The largest column count is a lower bound that is exact when one column
    identifies everybody (the usual key column). None without identifier
    columns (the dataset says nothing about how many people it holds).
    """
    counts = [s.estimate() for s in identifier_sketches]
    return max(counts) if counts else None
