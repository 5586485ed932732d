"""``hash``: a keyed HMAC-SHA256 of the normalized value, in hex (joinable, not reversible).

Presidio's own ``hash`` is unkeyed and salted per run; a keyed one gives the
same token for the same value across runs and files (so tables still join)
while nobody without the key can test a guess.
"""

from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from scanner.anonymize.crypto import Hasher
from scanner.anonymize.operators.base import AnonymizationOperator, OperatorParams
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import register


class HashParams(OperatorParams):
    """How many hex characters of the digest to keep."""

    length: int | None = Field(default=None, ge=8, le=64)


@register
class HashOperator(AnonymizationOperator[HashParams]):
    """HMAC-SHA256 under the key's ``hash`` sub-key."""

    name = "hash"
    params_model = HashParams
    keyed = True

    def apply_value(self, entity: str | None, value: str, params: HashParams, ctx: OpContext) -> str:
        """One value's token."""
        return self._hasher(ctx).hash(entity, value, params.length)

    def apply_array(self, entity: str | None, values: pa.Array, params: HashParams, ctx: OpContext) -> pa.Array:
        """A column's tokens, normalized and hashed in bulk."""
        return self._hasher(ctx).hash_array(entity, values, params.length)

    def _hasher(self, ctx: OpContext) -> Hasher:
        return ctx.keyed(self.name, lambda key: Hasher(key.derive("hash")))
