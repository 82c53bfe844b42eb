"""The ``tracklib`` logger: every message tracklib prints goes through it.

Users see the messages on stderr by default, as ``tracklib: <message>``, and can filter or
redirect them like any library's: ``logging.getLogger("tracklib").setLevel(logging.ERROR)``
silences the warnings; an application that configures logging (a handler on the root
logger) gets them through its own handlers instead, never twice.
"""

from __future__ import annotations

import logging
import sys

NAME = "tracklib"


class _WhenUnconfigured(logging.Filter):
    """Lets the default handler print only while the application has no root handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not logging.getLogger().handlers


def get_logger() -> logging.Logger:
    """Return the ``tracklib`` logger, with its default stderr handler on first use."""
    log = logging.getLogger(NAME)
    if not getattr(log, "_tracklib_default", False):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("tracklib: %(message)s"))
        handler.addFilter(_WhenUnconfigured())
        log.addHandler(handler)
        if log.level == logging.NOTSET:
            log.setLevel(logging.INFO)  # status lines (waits, offline starts) are INFO
        log._tracklib_default = True  # type: ignore[attr-defined]
    return log
