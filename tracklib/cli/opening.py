"""Opening the store a verb reads: never create an empty ``./mlruns`` by looking at it."""

from __future__ import annotations

import os

from tracklib import settings
from tracklib.errors import NotFoundError
from tracklib.stores.file.experiments import is_store
from tracklib.tracking.client import Client

_URI_ADVICE = "Pass --tracking-uri (or set TRACKLIB_TRACKING_URI) to where your runs are."


def existing_store_path(uri: str, advice: str = _URI_ADVICE) -> str:
    """Return the folder of a local tracking URI that already holds a store.

    Raises:
        InvalidInputError: The URI is malformed or not a local one.
        NotFoundError: Nothing was ever logged there.
    """
    path = settings.local_path(uri)
    if is_store(path):
        return path
    if is_store(os.path.join(path, "mlruns")):
        hint = f"did you mean {os.path.join(uri, 'mlruns')}? (the store is the folder holding "
        hint += "the experiment folders)"
    elif not os.path.exists(path):
        hint = "no such folder"
    elif not os.path.isdir(path):
        hint = "that is a file; a store is a folder such as ./mlruns"
    else:
        hint = "the folder holds no experiments (nothing has been logged there)"
    raise NotFoundError(f"No tracking store at {path}: {hint}. {advice}")


def client_for(uri: str | None) -> Client:
    """A Client for a verb; a local store must exist already (reading never creates one).

    Raises:
        InvalidInputError: The URI is malformed.
        NotFoundError: A local URI where no store exists.
    """
    resolved = uri if uri is not None else settings.get_tracking_uri()
    if not resolved.startswith("memory:") and not settings.is_remote(resolved):
        existing_store_path(resolved)
    return Client(uri)
