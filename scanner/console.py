"""The terminal consoles every command prints through.

Dataset ids, file names, column names and error text come from data that
strangers wrote. A terminal obeys what it is sent: an ESC sequence in a file
name recolours or clears the operator's screen, a bidi override reverses what
they read, and Rich markup (``[bold]``, ``[/]``) in a name would be
interpreted or raise. So every string printed goes through the same
neutralization as the HTML report (``reports.safe_text``), in one place.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from reports.safe_text import json_text, neutralize


class SafeConsole(Console):
    """A Rich console that shows control and bidi characters of printed strings instead of obeying them."""

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: D102 - same contract as Console.print
        super().print(*(neutralize(o) if isinstance(o, str) else o for o in objects), **kwargs)


def make_console(stderr: bool = False) -> SafeConsole:
    """The console the CLI uses: no highlighting (it would colour digits of ids), soft wrapping."""
    return SafeConsole(stderr=stderr, highlight=False, soft_wrap=True)


def json_line(record: dict[str, Any]) -> str:
    """One JSON log line, UTF-8 kept readable, with control and bidi characters as JSON escapes."""
    return json_text(json.dumps(record, ensure_ascii=False))
