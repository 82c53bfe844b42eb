"""Exceptions raised by tracklib.

Every exception tracklib raises on purpose derives from :class:`TracklibError`::

    TracklibError
     ├── InvalidInputError (also ValueError)   bad key, bad value, path escaping the store,
     │                                         param conflict, unsupported URI
     ├── RunStateError (also RuntimeError)     no active run, run already ended, run deleted
     ├── NotFoundError (also KeyError)         experiment / run / artifact does not exist
     ├── AlreadyExistsError                    experiment name taken
     └── StoreError                            storage or server failure
          └── StoreUnavailableError            cannot reach the server (explicit reads only)

Programming errors (the first four) are raised at once, before anything is written. A
``StoreError`` never reaches a training loop from a ``log_*`` call on a remote run.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExistsError",
    "InvalidInputError",
    "NotFoundError",
    "RunStateError",
    "StoreError",
    "StoreUnavailableError",
    "TracklibError",
]


class TracklibError(Exception):
    """Base class of every error tracklib raises on purpose."""


class InvalidInputError(TracklibError, ValueError):
    """A caller passed something tracklib (or MLflow) cannot accept; nothing was written.

    Attributes:
        position: For a malformed filter or order_by, the 0-based index of the character
            the parser stopped at (None otherwise); ``tracklib ui`` puts a caret there.
    """

    position: int | None = None


class RunStateError(TracklibError, RuntimeError):
    """The operation does not fit the run's state (no active run, run deleted, ...)."""


class NotFoundError(TracklibError, KeyError):
    """An experiment, run or artifact does not exist."""

    def __str__(self) -> str:
        # KeyError quotes its argument; a message reads better unquoted.
        return str(self.args[0]) if self.args else ""


class AlreadyExistsError(TracklibError):
    """An experiment with that name already exists (possibly deleted, in ``.trash``)."""


class StoreError(TracklibError):
    """The storage backend or server failed.

    Attributes:
        status: HTTP status code, when the failure came from a server.
        error_code: MLflow's ``error_code`` (e.g. ``RESOURCE_DOES_NOT_EXIST``), when known.
    """

    def __init__(
        self, message: str, *, status: int | None = None, error_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class StoreUnavailableError(StoreError):
    """The tracking server cannot be reached (raised only from explicit reads)."""
