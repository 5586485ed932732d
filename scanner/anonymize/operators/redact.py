"""``redact``: the value becomes empty (the cell stays, empty; a span disappears from its sentence)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from scanner.anonymize.operators.base import AnonymizationOperator, NoParams
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import register


@register
class RedactOperator(AnonymizationOperator[NoParams]):
    """Every value to the empty string."""

    name = "redact"

    def apply_value(self, entity: str | None, value: str, params: NoParams, ctx: OpContext) -> str:
        """Nothing left."""
        return ""

    def apply_array(self, entity: str | None, values: pa.Array, params: NoParams, ctx: OpContext) -> pa.Array:
        """Empty strings of the array's type, without a Python loop."""
        return pc.utf8_slice_codeunits(values, 0, 0)
