"""Database URLs as the user types them: which carry a typed secret, and how they may be shown.

Kept apart from the SQL connector (``sqldb.py``) because every command
touches these questions (is this SOURCE a URL, mask it for the console,
findings, history and audit log) while only database scans need
SQLAlchemy's engine: a file scan never loads SQLAlchemy. A string without
``://`` is not a URL and is returned or judged without parsing; URLs are
parsed with SQLAlchemy's ``make_url``, imported on first use.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

_ENV_REF = re.compile(r"^\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$")
_ENV_ANY = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
# Query parameters that carry a secret (matched against the lower-cased name, "-" read as "_").
_CREDENTIAL_KEY = re.compile(
    r"pass(word|wd|phrase)?$|pwd|secret|token|api_?key|access_?key|private_?key|credential|auth_?key|sig(nature)?$"
)
_MASK = "***"


def is_credential_key(name: str) -> bool:
    """Whether a URL query parameter carries a secret (``password``, ``sslpassword``, ``api_key``, ``token``...).

    Drivers accept credentials in the query string as well as in the userinfo
    part, so both must be refused when typed and masked wherever shown.
    """
    return bool(_CREDENTIAL_KEY.search(name.lower().replace("-", "_")))


def literal_credentials(source: str) -> list[str]:
    """The credential fields of a URL SOURCE typed in clear rather than as ``${VAR}``.

    Passwords must not come from the command line (shell history, ``ps``):
    ``postgresql+psycopg://app:${PGPASSWORD}@db/crm`` (or ``?password=${PGPASSWORD}``)
    is the accepted form. Returns field names only, never their values.
    """
    if "://" not in source:
        return []
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(source)
    except (ArgumentError, ValueError):
        return []
    found = ["password"] if parsed.password and not _ENV_REF.match(str(parsed.password)) else []
    for key, value in parsed.query.items():
        values = value if isinstance(value, tuple) else (value,)
        if is_credential_key(key) and any(v and not _ENV_REF.match(v) for v in values):
            found.append(f"?{key}")
    return found


def has_literal_password(source: str) -> bool:
    """Whether a URL SOURCE carries a typed password or credential parameter instead of ``${VAR}``."""
    return bool(literal_credentials(source))


def unset_variables(source: str) -> list[str]:
    """``$VAR``/``${VAR}`` references in a URL SOURCE whose variable is not set (names only).

    ``os.path.expandvars`` leaves an unset reference as written, which would
    then be sent to the server as the password itself.
    """
    if "://" not in source:
        return []
    names = (m.group(1) or m.group(2) for m in _ENV_ANY.finditer(source))
    return list(dict.fromkeys(n for n in names if n not in os.environ))


def credential_problem(source: str, what: str = "", typed: bool = True) -> str | None:
    """Why a URL cannot be used as given (one line, names only, never a value), or None.

    ``typed``: the URL came from the command line, where no credential may be
    written in clear. Any URL: every ``${VAR}`` it references must be set.
    """
    label = what or mask_source(source)
    literal = literal_credentials(source) if typed else []
    if literal:
        return (f"a password on the command line is refused ({label}: {', '.join(literal)}); "
                "write it as ${ENV_VAR} in the URL and export the variable")
    unset = unset_variables(source)
    if unset:
        names = ", ".join(unset)
        return f"environment variable {names} used in {label} is not set; export it or fix the URL"
    return None


def url_secrets(url: URL) -> tuple[str, ...]:
    """Every secret an (expanded) URL carries: its password and credential query values."""
    found = [str(url.password)] if url.password else []
    for key, value in url.query.items():
        if is_credential_key(key):
            found += [v for v in (value if isinstance(value, tuple) else (value,)) if v]
    return tuple(found)


def mask_url(url: str | URL) -> str:
    """The URL as it may be shown or stored: password and credential query values replaced by ``***``.

    The one masking function for every place a URL appears (console, findings,
    report, history, audit, error lines).
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url) if isinstance(url, str) else url
    hidden = {k: _MASK for k in parsed.query if is_credential_key(k)}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    return parsed.render_as_string(hide_password=True).replace(quote_plus(_MASK), _MASK)


def mask_source(source: str) -> str:
    """A URL SOURCE argument safe to record; unparsable ones keep only their scheme."""
    if "://" not in source:
        return source
    from sqlalchemy.exc import ArgumentError

    try:
        return mask_url(source)
    except (ArgumentError, ValueError):
        return source.split("://", 1)[0] + "://***"


