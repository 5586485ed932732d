"""What operators share during one run: the user's key and the keyed helpers made from it.

Helpers (an HMAC, an AES-GCM cipher, an FPE permutation) are built on first
use and then reused for every value of the run, so a mask-only run never asks
for a key, and a keyed operator that is never applied never derives its
sub-key. Each operator names and builds its own helper (``ctx.keyed``), so a
new keyed operator needs no change here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from scanner.anonymize.keys import Key
from scanner.errors import ValueFreeError

T = TypeVar("T")


class MissingKey(ValueFreeError):
    """A keyed operator was asked for without a key."""


@dataclass
class OpContext:
    """The run's key and the keyed helpers made from it, one per operator, built on first use."""

    key: Key | None = None
    _made: dict[str, object] = field(default_factory=dict, repr=False)

    def need_key(self, op: str) -> Key:
        """The key, or ``MissingKey`` naming the operator and how to give one (never key material)."""
        if self.key is None:
            raise MissingKey(f"operator '{op}' needs a key: pass --key-file FILE or set PIIWARDEN_KEY")
        return self.key

    def keyed(self, op: str, build: Callable[[Key], T]) -> T:
        """The operator's helper for this run: ``build(key)`` the first time, the same object after."""
        if op not in self._made:
            self._made[op] = build(self.need_key(op))
        return cast(T, self._made[op])
