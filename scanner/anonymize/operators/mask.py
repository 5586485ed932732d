"""``mask``: hide part of a value with a character, keeping its shape (the default operator).

Which characters stay depends on the entity (a mobile keeps its first three
and last two digits, an e-mail its domain); ``keep_first``/``keep_last``/
``char`` override that. Columns go through ``masks.mask_array``'s pyarrow
fast paths, which give ``mask_one``'s output row by row.
"""

from __future__ import annotations

import pyarrow as pa
from pydantic import Field

from scanner.anonymize.masks import mask_array, mask_one
from scanner.anonymize.operators.base import AnonymizationOperator, OperatorParams
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import register


class MaskParams(OperatorParams):
    """How much of the value stays visible, and the character that hides the rest."""

    keep_first: int | None = Field(default=None, ge=0, le=64)
    keep_last: int | None = Field(default=None, ge=0, le=64)
    char: str | None = Field(default=None, min_length=1, max_length=1)


@register
class MaskOperator(AnonymizationOperator[MaskParams]):
    """Partial masking with the entity's own shape rules."""

    name = "mask"
    params_model = MaskParams

    def apply_value(self, entity: str | None, value: str, params: MaskParams, ctx: OpContext) -> str:
        """One value masked."""
        return mask_one(entity, value, params.keep_first, params.keep_last, params.char)

    def apply_array(self, entity: str | None, values: pa.Array, params: MaskParams, ctx: OpContext) -> pa.Array:
        """A column masked by pyarrow compute where the shape allows it."""
        return mask_array(values, entity, params.keep_first, params.keep_last, params.char)
