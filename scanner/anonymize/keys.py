"""The user's secret key: loading, per-purpose derivation and a public fingerprint.

One key serves every keyed operator, so each operator gets its own sub-key
(HKDF-SHA256 with a purpose label): an HMAC pseudonym can never be turned into
an AES key stream, and rotating the key changes every output at once. The
key itself never leaves this module; anonymization.json records only its
fingerprint, so an auditor can tell which key produced a copy without being
able to use it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from scanner.errors import ValueFreeError
from scanner.smallfile import KEY_FILE_LIMIT, SmallFileError, read_small

ENV_VAR = "PIIWARDEN_KEY"
MIN_KEY_BYTES = 16


class KeyProblem(ValueFreeError):
    """A key that cannot be used; the message is one line and never quotes the key."""


@dataclass(frozen=True)
class Key:
    """Master key material and its derived sub-keys (cached per purpose)."""

    material: bytes = field(repr=False)
    origin: str = ""  # "--key-file PATH" or "PIIWARDEN_KEY", for messages

    def derive(self, purpose: str) -> bytes:
        """A 32-byte sub-key for one purpose (``hash``, ``encrypt``, ``fpe``, ``pseudonym``)."""
        return _derive(self.material, purpose)

    @property
    def fingerprint(self) -> str:
        """A short public identifier of the key: HMAC of a fixed label, never the key."""
        tag = hmac.new(self.material, b"piiwarden key fingerprint v1", hashlib.sha256).hexdigest()
        return f"hmac-sha256:{tag[:16]}"

    def __repr__(self) -> str:  # never show key material, even in a traceback
        return f"Key(fingerprint={self.fingerprint!r})"


def _derive(material: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"piiwarden", info=f"piiwarden {purpose} v1".encode()
    ).derive(material)


def parse_key(raw: bytes, origin: str) -> Key:
    """Key bytes from a file or variable: 64 hex digits, base64 of 32 bytes, or >= 16 raw bytes.

    Text keys are stripped of surrounding whitespace (a trailing newline in a
    key file must not change the key).
    """
    text = raw.strip()
    if not text:
        raise KeyProblem(f"the key from {origin} is empty")
    if len(text) == 64:
        try:
            return Key(bytes.fromhex(text.decode("ascii")), origin)
        except (ValueError, UnicodeDecodeError):
            pass
    if len(text) in (43, 44):
        try:
            decoded = base64.b64decode(text + b"=" * (-len(text) % 4), altchars=b"-_", validate=False)
            if len(decoded) == 32:
                return Key(decoded, origin)
        except (binascii.Error, ValueError):
            pass
    if len(text) < MIN_KEY_BYTES:
        raise KeyProblem(f"the key from {origin} is too short (need at least {MIN_KEY_BYTES} bytes; "
                        "generate one with: openssl rand -hex 32)")
    return Key(text, origin)


def load_key(key_file: Path | None, environ: dict[str, str] | None = None) -> Key | None:
    """The key from ``--key-file`` (preferred) or ``PIIWARDEN_KEY``; None when neither is set."""
    env = os.environ if environ is None else environ
    if key_file is not None:
        try:
            raw = read_small(key_file, KEY_FILE_LIMIT)
        except SmallFileError as exc:
            raise KeyProblem(f"cannot use key file {key_file}: {exc}") from None
        except OSError as exc:
            raise KeyProblem(f"cannot read key file {key_file} ({type(exc).__name__})") from None
        return parse_key(raw, f"--key-file {key_file}")
    value = env.get(ENV_VAR)
    if value:
        return parse_key(value.encode("utf-8"), ENV_VAR)
    return None
