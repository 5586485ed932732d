"""Format-preserving encryption: same length, same character class at every position.

A keyed, balanced-ish Feistel network over radix-r strings (ten rounds, the
round function an HMAC-SHA256 of the round number, tweak and the other half),
applied separately to the digits, the upper-case letters, the lower-case
letters and the Han characters of a value; everything else (separators,
punctuation) stays where it is. It is deterministic for a key and a bijection
per (class, length, tweak), so joins still work and distinct values stay
distinct. It follows the structure of NIST SP 800-38G FF1 but is NOT a
validated FF1 implementation; use it for test data and analytics copies, not
where a certified FPE is required.

A resident ID keeps its shape exactly: the first 17 digits are encrypted and
the check character recomputed, so the result is 17 digits plus ``[0-9X]``.
"""

from __future__ import annotations

import hmac

from detectors.entities import registry

ROUNDS = 10
DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
HAN_FIRST, HAN_LAST = 0x4E00, 0x9FA5  # the CJK Unified Ideographs block as GB-encodable text uses it
HAN_RADIX = HAN_LAST - HAN_FIRST + 1


def _class_of(ch: str) -> str | None:
    if "0" <= ch <= "9":
        return "d"
    if "A" <= ch <= "Z":
        return "u"
    if "a" <= ch <= "z":
        return "l"
    if HAN_FIRST <= ord(ch) <= HAN_LAST:
        return "h"
    return None


def _to_num(ch: str, cls: str) -> int:
    if cls == "d":
        return ord(ch) - 48
    if cls == "u":
        return ord(ch) - 65
    if cls == "l":
        return ord(ch) - 97
    return ord(ch) - HAN_FIRST


def _to_char(n: int, cls: str) -> str:
    if cls == "d":
        return chr(48 + n)
    if cls == "u":
        return chr(65 + n)
    if cls == "l":
        return chr(97 + n)
    return chr(HAN_FIRST + n)


_RADIX = {"d": 10, "u": 26, "l": 26, "h": HAN_RADIX}


class Feistel:
    """The keyed Feistel permutation of digit sequences in one radix."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _round(self, i: int, tweak: bytes, half: list[int], radix: int, modulus: int) -> int:
        msg = bytes([i]) + tweak + b"|" + ",".join(map(str, half)).encode() + b"|" + str(radix).encode()
        return int.from_bytes(hmac.digest(self._key, msg, "sha256"), "big") % modulus

    def encrypt(self, nums: list[int], radix: int, tweak: bytes) -> list[int]:
        """Permute a sequence of base-``radix`` digits (length kept)."""
        n = len(nums)
        if n == 0:
            return nums
        if n == 1:
            return [(nums[0] + self._round(0, tweak, [], radix, radix)) % radix]
        u = n // 2
        a, b = nums[:u], nums[u:]
        for i in range(ROUNDS):
            m = len(a)
            c = (_num(a, radix) + self._round(i, tweak, b, radix, radix**m)) % radix**m
            a, b = b, _digits(c, m, radix)
        return a + b

    def decrypt(self, nums: list[int], radix: int, tweak: bytes) -> list[int]:
        """Inverse of ``encrypt`` (used by tests and by anyone holding the key)."""
        n = len(nums)
        if n == 0:
            return nums
        if n == 1:
            return [(nums[0] - self._round(0, tweak, [], radix, radix)) % radix]
        u = n // 2
        # After an even number of rounds the halves are back in their places.
        a, b = nums[:u], nums[u:]
        for i in reversed(range(ROUNDS)):
            m = len(b)
            c = (_num(b, radix) - self._round(i, tweak, a, radix, radix**m)) % radix**m
            a, b = _digits(c, m, radix), a
        return a + b


def _num(digits: list[int], radix: int) -> int:
    out = 0
    for d in digits:
        out = out * radix + d
    return out


def _digits(value: int, length: int, radix: int) -> list[int]:
    out = [0] * length
    for i in range(length - 1, -1, -1):
        value, out[i] = divmod(value, radix)
    return out


class FormatPreserving:
    """Class-preserving FPE of whole values, cached per distinct value."""

    def __init__(self, key: bytes) -> None:
        self._feistel = Feistel(key)
        self._cache: dict[tuple[str | None, str], str] = {}

    def encrypt(self, entity: str | None, value: str) -> str:
        """Same length, same class per position; a resident ID keeps a valid-shaped check char."""
        got = self._cache.get((entity, value))
        if got is None:
            got = self._encrypt(entity, value)
            if len(self._cache) < 1_000_000:
                self._cache[(entity, value)] = got
        return got

    def _encrypt(self, entity: str | None, value: str) -> str:
        return self._checked(entity, value, decrypt=False)

    def decrypt(self, entity: str | None, value: str) -> str:
        """Inverse of ``encrypt`` (a resident ID's check char is recomputed)."""
        return self._checked(entity, value, decrypt=True)

    def _checked(self, entity: str | None, value: str, decrypt: bool) -> str:
        """Permute a value; one with a check character (EntitySpec.check_char) gets it recomputed."""
        spec = registry.find(entity)
        check = spec.check_char if spec is not None else None
        if check is not None and check.applies(value):
            body = self.permute(value[:-1], decrypt=decrypt)
            return body + check.compute(body)
        return self.permute(value, decrypt=decrypt)

    def permute(self, value: str, decrypt: bool) -> str:
        """Apply the Feistel permutation to each character class of a value separately."""
        positions: dict[str, list[int]] = {}
        for i, ch in enumerate(value):
            cls = _class_of(ch)
            if cls is not None:
                positions.setdefault(cls, []).append(i)
        chars = list(value)
        for cls, where in positions.items():
            nums = [_to_num(value[i], cls) for i in where]
            tweak = f"{cls}{len(value)}".encode()
            fn = self._feistel.decrypt if decrypt else self._feistel.encrypt
            for i, n in zip(where, fn(nums, _RADIX[cls], tweak)):
                chars[i] = _to_char(n, cls)
        return "".join(chars)
