"""The one value-free error sanitizer: every exception becomes a user-visible line here.

Error lines reach the console, findings.json, the report, the history
database and the audit log, and are kept for years. Libraries and drivers
quote what they choked on (``Duplicate entry '13812345678'``, a CSV row, a
connection string with its password), so an exception's text is never shown
as is: it goes through ``describe_error``, which keeps the exception type
and a first line with every quoted part, digit run, e-mail address and
``password=...`` pair replaced by a placeholder.

The project's own exceptions (``ValueFreeError`` subclasses, e.g.
``SourceError``) are composed from names, counts and positions only, so
``error_message`` passes them through unchanged: running them through the
sanitizer again would turn byte offsets and row numbers into ``#``.
"""

from __future__ import annotations

import re

MAX_TEXT = 160

# What a library message may quote: a quoted literal, a run of digits (an ID, a card, a
# phone), an e-mail address, a key=value pair of a connection string.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|\u201c[^\u201d]*\u201d|\u2018[^\u2019]*\u2019")
_DIGITS = re.compile(r"\d(?:[\s\-]?\d){4,}[Xx]?")
_EMAIL = re.compile(r"[^\s@'\"]+@[^\s@'\"]+\.[A-Za-z]{2,}")
_SECRET_PAIR = re.compile(r"(?i)\b(password|passwd|pwd|secret|token)\s*[=:]\s*\S+")


class ValueFreeError(Exception):
    """Base of the project's errors whose message is composed without any data value or secret.

    Raise a subclass with a message built from file names, column names,
    counts and positions; ``error_message`` shows it as is.
    """


def first_line(text: str) -> str:
    """The first non-blank line's content (multi-line driver messages carry the SQL below)."""
    text = text.strip()
    return text.splitlines()[0] if text else ""


def blank_secrets(text: str, secrets: tuple[str, ...]) -> str:
    """Every secret replaced by ``***``, longest first (a password may contain a shorter one)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def scrub(text: str) -> str:
    """``text`` on one line with everything that could be a data value or a secret replaced.

    Quoted parts become ``'…'``, digit runs ``#``, e-mail addresses
    ``<email>``, ``password=...`` pairs ``password=***``; at most 160
    characters are kept. For callers that compose their own prefix (a
    reader's "CSV parse error: ..."); everyone else uses ``describe_error``.
    """
    text = _SECRET_PAIR.sub(lambda m: f"{m.group(1)}=***", text)
    text = _QUOTED.sub("'…'", text)
    text = _EMAIL.sub("<email>", text)
    text = _DIGITS.sub("#", text)
    return " ".join(text.split())[:MAX_TEXT]


def value_free(name: str, text: str) -> str:
    """``Name: message`` with the message scrubbed (see ``scrub``)."""
    text = scrub(text)
    return f"{name}: {text}" if text else name


def describe_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """A one-line, value-free description of a foreign exception, with every secret in ``secrets`` blanked.

    A database error is described by the driver's own exception (SQLAlchemy's
    wrapper adds the SQL and its parameters), PyMySQL's ``(code, message)``
    by its message. Decoder errors quote the offending bytes, so they are
    described by encoding and position only.
    """
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        exc = orig
    if isinstance(exc, UnicodeDecodeError):
        return f"cannot decode as {exc.encoding} at byte {exc.start}"
    args: tuple[object, ...] = getattr(exc, "args", ())
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        text = f"({args[0]}) {first_line(args[1])}"
    else:
        text = first_line(str(exc))
    return value_free(type(exc).__name__, blank_secrets(text, secrets))


def error_message(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """The line to show for any exception: the project's own message as is, anything else sanitized."""
    if isinstance(exc, ValueFreeError):
        return blank_secrets(first_line(str(exc)), secrets) or type(exc).__name__
    return describe_error(exc, secrets)
