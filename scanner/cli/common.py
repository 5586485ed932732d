"""What every ``piiwarden`` command shares: consoles, exit codes, one-line usage errors, loading input files.

Why one module: scan, anonymize and history each had their own copy of
these, and a fix to one (say, the wording of a missing policy file) did not
reach the others. Everything here is light to import: the loaders import
what they parse with only when called, so ``piiwarden --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from detectors.entities.spec import EntitySpec
    from scanner.anonymize.keys import Key
    from scanner.anonymize.rules import Rules
    from scanner.config import ScanConfig, Settings
    from scanner.connectors.common import ReadOptions
    from scanner.console import SafeConsole
    from scanner.policy.model import Policy

# 0 done/clean, 1 a violation at or above --fail-on (verify: clear identifiers left; audit verify: tampering),
# 2 usage or configuration error (nothing written), 3 finished but some sources failed.
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_SOURCE_ERRORS = 0, 1, 2, 3
EXIT_VIOLATION = EXIT_FAIL
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143



class LazyConsole:
    """A ``scanner.console`` console made on first use: Rich costs a tenth of a second that --help does not need."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: SafeConsole | None = None

    @property
    def real(self) -> SafeConsole:
        """The console itself (for Rich progress bars, which need a real one)."""
        if self._console is None:
            from scanner.console import make_console

            self._console = make_console(stderr=self._stderr)
        return self._console

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.real.print(*objects, **kwargs)


err = LazyConsole(stderr=True)
out = LazyConsole()


class Level(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class Lang(str, Enum):
    zh = "zh"
    en = "en"


class LogFormat(str, Enum):
    text = "text"
    json = "json"


class OnBadRows(str, Enum):
    skip = "skip"
    fail = "fail"


ENTITIES_HELP = "Custom entities YAML (CONTRACT.md \"Custom entities\"): your own customer numbers, employee IDs."
FOLLOW_HELP = ("Follow symlinks (to files and folders) while crawling, each folder once; without it they are "
               "skipped with a note.")


def usage_error(message: str) -> typer.Exit:
    """Print one clear line and return the exit for a usage/configuration error (raise it)."""
    err.print(f"piiwarden: error: {message}", markup=False)
    return typer.Exit(EXIT_USAGE)


def spark_problem() -> str | None:
    """Why ``--engine spark`` cannot run here (pyspark or Java missing), or None."""
    from scanner.spark_engine import spark_problem as problem

    return problem()


def read_options(st: Settings) -> ReadOptions:
    """The file readers' options from the effective settings."""
    from scanner.connectors.common import ReadOptions

    return ReadOptions(on_bad_rows=st.on_bad_rows, max_cell_bytes=st.max_cell_bytes,
                       follow_symlinks=st.follow_symlinks)


def load_config(path: Path | None) -> ScanConfig | None:
    """The ``--config`` file, or None; a bad one is a usage error naming file, line and key."""
    from scanner.config import ConfigError
    from scanner.config import load_config as load

    if path is None:
        return None
    try:
        return load(path)
    except ConfigError as exc:
        raise usage_error(str(exc)) from None


def load_policy(path: Path | None) -> Policy | None:
    """The ``--policy`` file, or None; a missing or invalid one is a usage error."""
    from scanner.policy.model import PolicyError
    from scanner.policy.model import load_policy as load

    if path is None:
        return None
    if not path.exists():
        raise usage_error(f"policy file not found: {path}")
    try:
        return load(path)
    except PolicyError as exc:
        raise usage_error(str(exc)) from None


def load_entities(path: Path | None) -> list[EntitySpec]:
    """The ``--entities`` file's custom entities (none without one); a missing or bad file is a usage error.

    The error names file:line:field (``entities.yaml:7: entities.EMPLOYEE_ID.pattern: ...``),
    so a scheduled scan fails before reading any data, with a line the author can fix.
    """
    from detectors.entities.custom import EntitiesFileError
    from detectors.entities.custom import load_entities_file as load

    if path is None:
        return []
    if not path.exists():
        raise usage_error(f"entities file not found: {path}")
    try:
        return load(path)
    except EntitiesFileError as exc:
        raise usage_error(str(exc)) from None


@contextlib.contextmanager
def custom_entities(path: Path | None) -> Iterator[None]:
    """Register the ``--entities`` file's entities for the duration of one command."""
    from detectors.entities import registry

    specs = load_entities(path)
    if not specs:
        yield
        return
    with registry.scoped(specs):
        yield


def load_rules(path: Path | None) -> Rules:
    """The ``--rules`` file, or the default rules; a missing or invalid one is a usage error."""
    from scanner.anonymize.rules import Rules, RulesError
    from scanner.anonymize.rules import load_rules as load

    if path is None:
        return Rules()
    if not path.exists():
        raise usage_error(f"rules file not found: {path}")
    try:
        return load(path)
    except RulesError as exc:
        raise usage_error(str(exc)) from None


def load_key(key_file: Path | None) -> Key | None:
    """The key from ``--key-file`` or PIIWARDEN_KEY (None when neither); an unusable one is a usage error."""
    from scanner.anonymize.keys import KeyProblem
    from scanner.anonymize.keys import load_key as load

    try:
        return load(key_file)
    except KeyProblem as exc:
        raise usage_error(str(exc)) from None


def missing_sources(sources: list[str]) -> None:
    """Usage error naming every SOURCE that is no file, folder or matching glob."""
    from scanner.sources import missing_sources as missing

    if gone := missing(sources):
        raise usage_error(f"no such file, directory or matching glob: {', '.join(gone)}")


def check_credentials(sources: list[str], what: str = "", *, typed: bool = True) -> None:
    """Usage error for a database URL holding a typed password (or a ${VAR} that is not set)."""
    if not any("://" in source for source in sources):
        return  # no URL: the database connector (and SQLAlchemy) need not load
    from scanner.connectors.urls import credential_problem

    for source in sources:
        if problem := credential_problem(source, what, typed=typed):
            raise usage_error(problem)


def parse_day(value: str | None, option: str = "--as-of") -> dt.date:
    """A ``YYYY-MM-DD`` option as a date (today when not given); a usage error naming the option."""
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise usage_error(f"{option} must be a date YYYY-MM-DD, got {value!r}") from None
