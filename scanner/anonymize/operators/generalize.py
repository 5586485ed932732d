"""``generalize``: coarsen a value (a date to its year, an age to a band, an address to its city).

Used on quasi-identifiers to raise k-anonymity. A value the entity's
generalizer cannot read is masked instead, never left in clear.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scanner.anonymize.generalize import generalize
from scanner.anonymize.masks import mask_one
from scanner.anonymize.operators.base import AnonymizationOperator, OperatorParams
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import register


class GeneralizeParams(OperatorParams):
    """The level to generalize to, and the width of an age band."""

    to: Literal["year", "month", "band", "province", "city", "district", "region_year"] | None = None
    band: int | None = Field(default=None, ge=1, le=100)


@register
class GeneralizeOperator(AnonymizationOperator[GeneralizeParams]):
    """The entity's generalizer, with the mask as fallback."""

    name = "generalize"
    params_model = GeneralizeParams

    def apply_value(self, entity: str | None, value: str, params: GeneralizeParams, ctx: OpContext) -> str:
        """One value generalized (or masked when it cannot be)."""
        got = generalize(entity, value, params.to, params.band)
        return got if got is not None else mask_one(entity, value)
