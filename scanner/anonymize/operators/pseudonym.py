"""``pseudonym``: a realistic, keyed, deterministic surrogate (a valid ID, a Luhn-valid card, a name).

The same value always gets the same surrogate under the same key, so joins
and counts survive; the surrogate passes the entity's validators by design,
which is why ``verify`` accepts such columns when the signed record says so.
"""

from __future__ import annotations

from scanner.anonymize.fpe import FormatPreserving
from scanner.anonymize.keys import Key
from scanner.anonymize.operators.base import AnonymizationOperator, NoParams
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import register
from scanner.anonymize.surrogates import Pseudonymizer


def _pseudonymizer(key: Key) -> Pseudonymizer:
    return Pseudonymizer(key.derive("pseudonym"), FormatPreserving(key.derive("pseudonym-fpe")))


@register
class PseudonymOperator(AnonymizationOperator[NoParams]):
    """Surrogates under the key's ``pseudonym`` and ``pseudonym-fpe`` sub-keys."""

    name = "pseudonym"
    keyed = True
    surrogate = True

    def apply_value(self, entity: str | None, value: str, params: NoParams, ctx: OpContext) -> str:
        """One value's surrogate."""
        return ctx.keyed(self.name, _pseudonymizer).surrogate(entity, value)
