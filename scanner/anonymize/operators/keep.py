"""``keep``: leave the values as they are (a column the detectors flag that is fine to share)."""

from __future__ import annotations

import pyarrow as pa

from scanner.anonymize.operators.base import AnonymizationOperator, NoParams
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import register


@register
class KeepOperator(AnonymizationOperator[NoParams]):
    """The identity."""

    name = "keep"
    identity = True

    def apply_value(self, entity: str | None, value: str, params: NoParams, ctx: OpContext) -> str:
        """The value itself."""
        return value

    def apply_array(self, entity: str | None, values: pa.Array, params: NoParams, ctx: OpContext) -> pa.Array:
        """The array itself."""
        return values
