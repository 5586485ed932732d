"""``encrypt``: AES-256-GCM tokens (``pwe1:…``) that ``piiwarden decrypt`` turns back.

Presidio's ``encrypt`` is AES-CBC without authentication; an AEAD token
cannot be altered unnoticed. A fresh nonce per value means equal cells give
different tokens, so the operator runs cell by cell (``randomized``), and a
cell in an unusual shape is encrypted whole so decryption gives it back
exactly as written (``ReversibleOperator``).
"""

from __future__ import annotations

from scanner.anonymize.crypto import TOKEN_PREFIX, Cipher, DecryptError
from scanner.anonymize.operators.base import NoParams, RevealError, ReversibleOperator
from scanner.anonymize.operators.context import OpContext
from scanner.anonymize.operators.registry import register


@register
class EncryptOperator(ReversibleOperator[NoParams]):
    """AES-256-GCM under the key's ``encrypt`` sub-key."""

    name = "encrypt"
    keyed = True
    randomized = True
    token_marker = TOKEN_PREFIX

    def apply_value(self, entity: str | None, value: str, params: NoParams, ctx: OpContext) -> str:
        """One value sealed into a token."""
        return self._cipher(ctx).encrypt(value)

    def reveal_text(self, text: str, ctx: OpContext) -> tuple[str, int]:
        """Every token inside a text decrypted, and how many."""
        try:
            return self._cipher(ctx).decrypt_text(text)
        except DecryptError as exc:
            raise RevealError(str(exc)) from None

    def _cipher(self, ctx: OpContext) -> Cipher:
        return ctx.keyed(self.name, lambda key: Cipher(key.derive("encrypt")))
