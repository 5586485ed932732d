"""``fpe``: format-preserving encryption (same length and character classes, keyed).

An FPE'd mobile is still eleven digits, so schemas and validations downstream
keep working; which is also why ``verify`` treats its output as a surrogate.
"""

from __future__ import annotations

from scanner.anonymize.fpe import FormatPreserving
from scanner.anonymize.operators.base import AnonymizationOperator, NoParams
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import register


@register
class FpeOperator(AnonymizationOperator[NoParams]):
    """A keyed Feistel permutation under the key's ``fpe`` sub-key."""

    name = "fpe"
    keyed = True
    surrogate = True

    def apply_value(self, entity: str | None, value: str, params: NoParams, ctx: OpContext) -> str:
        """One value permuted within its format."""
        return ctx.keyed(self.name, lambda key: FormatPreserving(key.derive("fpe"))).encrypt(entity, value)
