"""Names from data reach the terminal inert: no escape sequence, bidi override or Rich markup is obeyed."""

from __future__ import annotations

import io
import json

from rich.console import Console

from scanner.console import json_line, make_console
from scanner.progress import Reporter

HOSTILE = "a\x1b[2J\u202egpj.exe[bold red]x[/]\x9b.csv"


def _bars_reporter() -> tuple[Reporter, io.StringIO]:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=200, highlight=False)
    return Reporter("bars", console), buf


def test_progress_bar_shows_a_hostile_id_without_obeying_it():
    reporter, buf = _bars_reporter()
    reporter.start(1)
    reporter.dataset_started(HOSTILE)  # "[/]" alone would raise a MarkupError if parsed as markup
    reporter.dataset_done(HOSTILE, 10)
    reporter.close()
    text = buf.getvalue()
    assert "\\x1b[2J" in text and "\\u202e" in text and "\\x9b" in text
    assert "\u202e" not in text and "\x9b" not in text
    assert "[bold red]x[/]" in text


def test_plain_lines_spell_control_characters():
    buf = io.StringIO()
    console = make_console(stderr=True)
    console.file = buf
    Reporter("plain", console).error(HOSTILE, "cannot read")
    text = buf.getvalue()
    assert "\x1b" not in text and "\u202e" not in text and "\\u202e" in text


def test_json_lines_escape_and_decode_to_the_same_data():
    line = json_line({"dataset": HOSTILE})
    assert "\x1b" not in line and "\u202e" not in line and "\x9b" not in line
    assert json.loads(line)["dataset"] == HOSTILE


def _handlers() -> tuple[object, object]:
    import signal

    return signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)


def test_pool_workers_leave_interrupts_to_the_main_process():
    """Ctrl-C reaches the whole process group: workers must not each print a KeyboardInterrupt traceback."""
    import signal

    from scanner.parallel import _pool

    with _pool(1) as pool:
        sigint, sigterm = pool.submit(_handlers).result(timeout=60)
    assert sigint == signal.SIG_IGN and sigterm == signal.SIG_DFL
