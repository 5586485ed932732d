"""Text from data made inert for display: control and bidi characters shown, not obeyed.

Dataset ids, column names and error messages come from files that strangers
wrote. HTML escaping stops markup, but a terminal escape (ESC [ ...) still
recolours or clears the screen of whoever ``cat``s the report, and a bidi
override (U+202E) makes ``gpj.exe`` read as ``exe.jpg``. Every such character
is replaced by its visible ``\\xNN`` / ``\\uNNNN`` spelling, so an auditor sees
that it is there and what it is.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

# C0 controls except tab/newline/carriage return, DEL, C1 controls, and the bidi controls.
_INERT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _spell(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def neutralize(text: str) -> str:
    """``text`` with every control or bidi character spelled out."""
    return _INERT.sub(_spell, text)


def finalize(value: Any) -> Any:
    """Jinja ``finalize`` hook: plain strings are neutralized; Markup (our own SVG) is left alone."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return neutralize(value)
    return value


def json_text(text: str) -> str:
    """JSON text made inert the same way, as valid JSON escapes (``\\u202e``) that decode to the same data.

    ``json.dumps`` already escapes C0 controls; with ``ensure_ascii=False`` it
    leaves DEL, C1 and the bidi controls raw, and a log shipper's terminal obeys them.
    """
    return _INERT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
