"""Decoding the text of documents that do not declare an encoding reliably (HTML, .txt, .csv).

Chinese file shares hold GBK/GB18030 next to UTF-8; decoding as UTF-8 with replacement would
turn every name in a GBK file into U+FFFD and hide it from detection.
"""

from __future__ import annotations


def decode(data: bytes, declared: str | None = None) -> str:
    """``data`` as text: the declared charset if it works, else UTF-8, else GB18030, else Latin-1."""
    for encoding in (declared, "utf-8-sig", "gb18030"):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")
