"""The scope in which database engines are shared: a scan's, kept apart from SQLAlchemy.

``api.scan`` opens it around everything it does, so that every table of a
database reuses one engine and connection per process
(``connectors/sql/base.py`` keeps those engines). Opening the scope must
not load SQLAlchemy, since a scan of files never needs it; the engine
registry hands over its clean-up (``on_close``) when it is first imported,
which is also the first time there can be anything to clean up.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

_STATE = {"depth": 0, "pid": os.getpid()}  # pid: the process that opened the scope (workers are forks of it)
_ON_CLOSE: list[Callable[[], None]] = []


def active() -> bool:
    """Whether a ``shared_engines()`` block is open in this process (or was when it was forked)."""
    return _STATE["depth"] > 0


def owner_pid() -> int:
    """The process whose scope it is: engines made in any other process are a worker's own."""
    return _STATE["pid"]


def on_close(callback: Callable[[], None]) -> None:
    """Run ``callback`` whenever the outermost ``shared_engines()`` block ends (registered once)."""
    if callback not in _ON_CLOSE:
        _ON_CLOSE.append(callback)


@contextlib.contextmanager
def shared_engines() -> Iterator[None]:
    """Reuse one engine (and its connection) per database URL and process until the block ends."""
    _STATE["depth"] += 1
    try:
        yield
    finally:
        _STATE["depth"] -= 1
        if _STATE["depth"] <= 0:
            for callback in list(_ON_CLOSE):
                callback()
