"""The operators, on presidio-anonymizer's operator model.

Every piiwarden operator is a ``presidio_anonymizer.operators.Operator``
subclass registered with an ``AnonymizerEngine`` (``anonymizer_engine``), so
free-text spans are rewritten by Presidio itself; Presidio's own ``redact`` and
``keep`` are used as they are. Presidio's ``hash`` (unkeyed, salted per run)
and ``encrypt`` (AES-CBC) do not give keyed determinism or AEAD, hence custom
ones. The same value-level functions (``apply_value``) back the column-wise
path in ``columns.py``, so a value gets the same output whether it sits in a
structured column or inside a sentence.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.operators import Operator, OperatorType

from scanner.anonymize.crypto import Cipher, Hasher
from scanner.anonymize.fpe import FormatPreserving
from scanner.anonymize.generalize import generalize
from scanner.anonymize.keys import Key
from scanner.anonymize.masks import mask_one
from scanner.anonymize.rules import Rule
from scanner.anonymize.surrogates import Pseudonymizer


class MissingKey(Exception):
    """A keyed operator was asked for without a key."""


@dataclass
class OpContext:
    """Keyed helpers for one run, created on first use (so mask-only runs need no key)."""

    key: Key | None = None
    _made: dict[str, Any] = field(default_factory=dict, repr=False)

    def _need(self, op: str) -> Key:
        if self.key is None:
            raise MissingKey(f"operator '{op}' needs a key: pass --key-file FILE or set PIIWARDEN_KEY")
        return self.key

    @property
    def hasher(self) -> Hasher:
        """HMAC-SHA256 under the hash sub-key."""
        if "hash" not in self._made:
            self._made["hash"] = Hasher(self._need("hash").derive("hash"))
        return self._made["hash"]

    @property
    def cipher(self) -> Cipher:
        """AES-256-GCM under the encrypt sub-key."""
        if "encrypt" not in self._made:
            self._made["encrypt"] = Cipher(self._need("encrypt").derive("encrypt"))
        return self._made["encrypt"]

    @property
    def fpe(self) -> FormatPreserving:
        """Format-preserving permutation under the fpe sub-key."""
        if "fpe" not in self._made:
            self._made["fpe"] = FormatPreserving(self._need("fpe").derive("fpe"))
        return self._made["fpe"]

    @property
    def pseudonymizer(self) -> Pseudonymizer:
        """Surrogate generator under the pseudonym sub-keys."""
        if "pseudonym" not in self._made:
            key = self._need("pseudonym")
            self._made["pseudonym"] = Pseudonymizer(key.derive("pseudonym"), FormatPreserving(key.derive("pseudonym-fpe")))
        return self._made["pseudonym"]


def apply_value(rule: Rule, entity: str | None, value: str, ctx: OpContext) -> str:
    """One value through one rule (``drop`` at value level empties, like ``redact``)."""
    op = rule.op
    if op == "mask":
        return mask_one(entity, value, rule.keep_first, rule.keep_last, rule.char)
    if op == "hash":
        return ctx.hasher.hash(entity, value, rule.length)
    if op == "encrypt":
        return ctx.cipher.encrypt(value)
    if op == "fpe":
        return ctx.fpe.encrypt(entity, value)
    if op == "pseudonym":
        return ctx.pseudonymizer.surrogate(entity, value)
    if op == "generalize":
        got = generalize(entity, value, rule.to, rule.band)
        return got if got is not None else mask_one(entity, value)
    if op in ("redact", "drop"):
        return ""
    return value  # keep


class _PiiwardenOperator(Operator):
    """Base for piiwarden's custom operators: params carry the rule and the run's OpContext."""

    OP: str = ""

    def operate(self, text: str, params: dict | None = None) -> str:
        """Rewrite one span; Presidio adds ``entity_type`` to the params."""
        params = params or {}
        return apply_value(params["pw_rule"], params.get("entity_type"), text, params["pw_ctx"])

    def validate(self, params: dict | None = None) -> None:
        """Presidio calls this before ``operate``: the rule and context must be there."""
        if not params or "pw_rule" not in params or "pw_ctx" not in params:
            raise ValueError(f"{self.OP}: missing pw_rule/pw_ctx params")

    def operator_name(self) -> str:
        return f"pw_{self.OP}"

    def operator_type(self) -> OperatorType:
        return OperatorType.Anonymize


def _make(op: str) -> type[_PiiwardenOperator]:
    return type(f"Pw{op.capitalize()}Operator", (_PiiwardenOperator,), {"OP": op, "__doc__": f"piiwarden {op}."})


CUSTOM_OPERATORS: dict[str, type[_PiiwardenOperator]] = {
    op: _make(op) for op in ("mask", "hash", "encrypt", "fpe", "pseudonym", "generalize")
}
BUILTIN = {"redact": "redact", "drop": "redact", "keep": "keep"}


@functools.lru_cache(maxsize=1)
def anonymizer_engine() -> AnonymizerEngine:
    """Presidio's AnonymizerEngine with piiwarden's operators registered (built once)."""
    engine = AnonymizerEngine()
    for cls in CUSTOM_OPERATORS.values():
        engine.add_anonymizer(cls)
    return engine


def operator_config(rule: Rule, ctx: OpContext) -> OperatorConfig:
    """The Presidio OperatorConfig that applies a rule to a span."""
    if rule.op in BUILTIN:
        return OperatorConfig(BUILTIN[rule.op], {})
    return OperatorConfig(f"pw_{rule.op}", {"pw_rule": rule, "pw_ctx": ctx})
