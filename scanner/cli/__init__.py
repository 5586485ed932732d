"""The `piiwarden` command line (CONTRACT.md "Commands" and exit codes): the app, its commands, ``main``.

The commands are thin: each parses its flags, calls ``scanner.api`` and
renders the result (``scan.py``, ``report.py``, ``anonymize.py``,
``history.py``; shared pieces in ``common.py``). They import the library
inside their bodies, so ``piiwarden --help`` loads no detection.

Exit codes: 0 clean (no violation at or above --fail-on), 1 a violation at or
above --fail-on, 2 usage or configuration error (nothing written), 3 the scan
finished but some sources failed. When both 1 and 3 apply, 1 wins: a release
gate must stop on a definite violation even if another source was unreadable.
An interrupted run exits 130 (SIGINT, "piiwarden: interrupted") or 143
(SIGTERM, "piiwarden: terminated") after releasing the history lock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType
from typing import Any, NoReturn

import click
import typer
from typer.core import TyperGroup

try:  # Typer >= 0.20 vendors its own Click: its exceptions are not click's
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - older Typer on plain Click
    import click.exceptions as _cx  # type: ignore[no-redef]

from scanner.cli import anonymize, history, inventory, maskviews, purge, report, scan, subject
from scanner.cli.common import EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE, err

# What signal.signal returns: the previous handler (a function, SIG_DFL / SIG_IGN), or None off the main thread.
SignalHandler = Callable[[int, FrameType | None], Any] | int | None
_ABORTS = tuple({typer.Abort, getattr(_cx, "Abort", typer.Abort), click.exceptions.Abort})


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every ``with`` block unwinds (history lock, temp files).

    A BaseException, like KeyboardInterrupt: no ``except Exception`` on the way may swallow it.
    """


class OneLineErrors(TyperGroup):
    """The root command: a usage error is one ``piiwarden: error: ...`` line (exit 2), like every other error.

    Click and Typer would print a five-line box (usage, hint, framed message)
    that a scheduler's log cannot grep. Interrupts end with one line too:
    SIGINT exits 130, SIGTERM 143, after the run has unwound (the history
    lock is released; outputs are written atomically, so none is half-written).
    """

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        previous = _on_sigterm()
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _cx.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else "")
            code = EXIT_USAGE
        except _cx.ClickException as exc:
            err.print(f"piiwarden: error: {_one_line(exc)}", markup=False)
            code = EXIT_USAGE
        except (*_ABORTS, KeyboardInterrupt):
            code = EXIT_INTERRUPTED
        except _Terminated:
            err.print("piiwarden: terminated", markup=False)
            code = EXIT_TERMINATED
        finally:
            _restore_sigterm(previous)
        code = code if isinstance(code, int) else EXIT_OK
        if code == EXIT_INTERRUPTED:  # Typer turns KeyboardInterrupt into a silent Exit(130)
            err.print("piiwarden: interrupted", markup=False)
        if standalone_mode:
            sys.exit(code)
        return code


def _one_line(exc: Exception) -> str:
    """Click's message on one line, with the command it concerns (``scan: No such option: --x``)."""
    message = " ".join(exc.format_message().replace("Value error, ", "").split())  # type: ignore[attr-defined]
    names, ctx = [], getattr(exc, "ctx", None)
    while ctx is not None and ctx.parent is not None:  # the root's name is the program's, not a command
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    command = " ".join(reversed(names))
    return f"{command}: {message}" if command else message


def _on_sigterm() -> SignalHandler:
    """Turn SIGTERM into an exception in this (main) process; forked workers keep the default."""
    if threading.current_thread() is not threading.main_thread():
        return None
    main_pid = os.getpid()

    def terminate(signum: int, frame: FrameType | None) -> None:  # noqa: ARG001
        if os.getpid() != main_pid:  # a forked worker: die as SIGTERM asks, without unwinding twice
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise _Terminated

    return signal.signal(signal.SIGTERM, terminate)


def _restore_sigterm(previous: SignalHandler) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


app = typer.Typer(add_completion=False, no_args_is_help=True, help="Find, grade and report personal data.",
                  cls=OneLineErrors, rich_markup_mode=None, pretty_exceptions_enable=False)


app.command("scan")(scan.scan)
app.command("report")(report.report)
app.command("inventory")(inventory.inventory)
anonymize.register(app)
history.register(app)
app.command("mask-views")(maskviews.mask_views)
subject.register(app)
app.command("purge")(purge.purge)


def main() -> None:
    """Console-script entry point (errors, SIGINT and SIGTERM are handled by ``OneLineErrors``).

    An interrupted or terminated run has already unwound (history lock
    released, outputs atomic) when it gets here, but a native thread of a
    reader (Arrow's read-ahead, a driver's socket thread) may still be alive:
    a normal interpreter exit would run C++ static destructors under it and
    abort ("terminate called without an active exception", exit -6 instead
    of 143). So those two exits flush and leave with ``os._exit``.
    """
    try:
        app()
    except SystemExit as exc:
        if exc.code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
            _hard_exit(int(exc.code))
        raise


def _hard_exit(code: int) -> NoReturn:
    """Flush what the run printed and logged, then exit without interpreter teardown."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
