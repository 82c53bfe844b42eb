"""Ending runs that the program did not end: at interpreter exit and on SIGTERM.

Installed on the first ``start_run`` (never at import). At exit, open runs end FINISHED,
or FAILED when the interpreter is exiting because of an uncaught exception (KILLED for an
uncaught ``KeyboardInterrupt``). On SIGTERM they end KILLED, then the signal's default
action runs (the process terminates as it would have without tracklib). A SIGTERM handler
the program installed itself is left alone: that program has its own shutdown plan.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from tracklib.entities import RunStatus

_installed = False
_end_all: Callable[[RunStatus], None] | None = None


def install(end_all: Callable[[RunStatus], None]) -> None:
    """Register ``end_all`` to run at exit and on SIGTERM (once per process)."""
    global _installed, _end_all
    _end_all = end_all
    if _installed:
        return
    _installed = True
    atexit.register(_at_exit)
    if threading.current_thread() is threading.main_thread():
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):  # not the main interpreter, or no signals here
            pass


def exit_status() -> RunStatus:
    """The status for runs still open at exit, from how the interpreter is exiting."""
    # The interpreter stores an uncaught exception in sys.last_value (3.12: sys.last_exc)
    # before it runs atexit handlers.
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if exc is None:
        return RunStatus.FINISHED
    return RunStatus.KILLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED


def _at_exit() -> None:
    if _end_all is not None:
        try:
            _end_all(exit_status())
        except Exception as exc:  # exit must go on; say what was lost
            from tracklib.logger import get_logger

            get_logger().error("could not end the active run at exit: %s", exc)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    try:
        if _end_all is not None:
            _end_all(RunStatus.KILLED)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
