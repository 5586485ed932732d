"""``drop``: the column is left out of the output; a span of the entity in free text is emptied.

A dropped column has no values to transform, but the same rule also applies
to spans found inside text columns, where there is no column to drop: there
it behaves as ``redact``.
"""

from __future__ import annotations

from scanner.anonymize.operators.redact import RedactOperator
from scanner.anonymize.operators.registry import register


@register
class DropOperator(RedactOperator):
    """The column goes; values met elsewhere are redacted."""

    name = "drop"
    drops_column = True
