"""Password, key or token (CREDENTIAL): one entity, one file.

Secrets in clear: vendor token formats anywhere, passwords in columns named so. Everything piiwarden
knows about this entity (grade, recognizer, header words, anonymization shapes) is in this file;
generic code reads it through ``detectors.entities.registry``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from detectors import validators as v
from detectors.entities.spec import MASK_SECRET, STRONG, WEAK, EntitySpec, HeaderWords
from detectors.recognizers import PiiRecognizer

NAME = "CREDENTIAL"


class CredentialRecognizer(PiiRecognizer):
    """Secrets in clear: vendor token formats anywhere, passwords in columns named so."""

    ENTITY = NAME
    PATTERNS = [
        (
            "token",
            r"(?<![A-Za-z0-9])(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|"
            r"xox[abprs]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_\-]{35}|"
            r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
            0.5,
        ),
        ("password_assignment", r"(?i)(?<=(?:password|passwd|pwd|密码)\s*[=:：]\s*)[^\s,;'\"]{4,64}", 0.4),
    ]
    CELL_REGEX = (
        r"^(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9-]{10,}|"
        r"sk_live_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_\-]{35}|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})$"
        r"|^-----BEGIN [A-Z ]*PRIVATE KEY-----"
        r"|^" + v.PASSWORD_CHARS + r"*[" + v.PASSWORD_SPECIALS + r"]" + v.PASSWORD_CHARS + r"*$"
    )
    HINTED_CELL_REGEX = r"^\S{4,512}$"
    TEXT_PREFILTER = r"AKIA|gh[pousr]_|github_pat_|xox[abprs]-|sk_live_|AIza|eyJ|(?i)(?:password|passwd|pwd|密码)\s*[=:：]"
    CONTEXT = ["password", "passwd", "pwd", "secret", "token", "key", "密码", "口令", "密钥"]
    CHANCE = 0.5
    STRENGTH = 0.9

    @staticmethod
    def validate_value(value: str) -> bool:
        """A vendor token, or a value that is neither hashed nor masked."""
        return v.is_clear_credential(value)

    def validate_cells(self, values: pa.Array, hinted: bool) -> np.ndarray:
        """Under a password header anything in clear; without one, vendor tokens and generated passwords only.

        A generated password mixes all four character kinds and a symbol
        (``_IZ32@Cx6S``); random tokens, UUIDs, hashes, base64 and versions
        have no such symbol, so they are never even candidates.
        """
        if hinted:
            return self.validate_array(values)
        return np.asarray([v.is_known_token(x) or v.is_generated_password(x) for x in values.to_pylist()], dtype=bool)


SPEC = EntitySpec(
    name=NAME,
    level=4,
    category="credential",
    label_zh="口令/密钥",
    label_en="Password, key or token",
    recognizer=CredentialRecognizer,
    rank=150,
    sensitive=True,
    headers=HeaderWords(
        zh=(
            ("密码", STRONG), ("口令", STRONG), ("密钥", STRONG), ("令牌", STRONG),
        ),
        en=(
            ("password", STRONG), ("passwd", STRONG), ("pwd", STRONG), ("secret", STRONG),
            ("token", STRONG), ("apikey", STRONG), ("passcode", STRONG),
        ),
        phrases=(
            (("api", "key"), STRONG), (("access", "key"), STRONG), (("private", "key"), STRONG),
            (("secret", "key"), STRONG),
        ),
        pinyin=(
            ("mm", WEAK),
        ),
    ),
    mask=(0, 0),
    mask_style=MASK_SECRET,
    whole_cell=True,
    secret=True,
)
