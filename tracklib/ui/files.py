"""A run's artifacts for the browser: one folder level at a time, and single files.

Every path is confined to the run's artifact root, three ways: lexically (no ``..``, not
absolute, no NUL or backslash tricks), by the store (which refuses a symlink leading out),
and here once more after resolving the local file (``realpath`` inside the root's
``realpath``), so a planted symlink cannot expose a file outside the run. Whatever fails
is answered as "not found", never with the reason, so nothing about the disk leaks.

A remote store's file is fetched into a temporary folder that is removed once served.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from tracklib import validation
from tracklib.errors import InvalidInputError, NotFoundError, StoreError
from tracklib.settings import is_remote
from tracklib.tracking.client import Client

# Text-like files are sent as text/plain: never as HTML, so a file cannot run script.
_TEXT = frozenset(
    {
        ".txt", ".log", ".json", ".yaml", ".yml", ".csv", ".tsv", ".md", ".py", ".cfg",
        ".ini", ".toml", ".diff", ".patch", ".sh", ".html", ".htm", ".xml", ".js", ".ipynb",
        "",
    }
)  # fmt: skip
_IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
_NAMED_TEXT = frozenset({"MLmodel", "requirements.txt", "conda.yaml", "git.diff"})


def safe_subpath(path: str | None) -> str:
    """The run-relative path in POSIX form ('' for the root).

    Raises:
        NotFoundError: The path is absolute, holds ``..``, a NUL byte or a backslash.
    """
    if path and "\\" in path:
        raise NotFoundError("No such artifact.")
    try:
        return validation.artifact_subpath(path, "path")
    except InvalidInputError:
        raise NotFoundError("No such artifact.") from None


def list_folder(client: Client, run_id: str, path: str | None) -> dict[str, Any]:
    """The ``/api/runs/<id>/artifacts`` answer: the entries directly under ``path``.

    Raises:
        NotFoundError: No such run, or the path escapes the run's artifacts.
    """
    sub = safe_subpath(path)
    try:
        infos = client.list_artifacts(run_id, sub or None)
    except InvalidInputError:  # the store found a symlink leading out
        raise NotFoundError("No such artifact.") from None
    return {
        "path": sub,
        "files": [{"path": i.path, "is_dir": i.is_dir, "file_size": i.file_size} for i in infos],
    }


def content_type(path: str) -> tuple[str, bool]:
    """The Content-Type to send a file with, and whether it must be an attachment.

    SVG can hold script, so it is sent as an attachment (an ``<img>`` still shows it);
    anything not known to be text or a bitmap image is an octet-stream attachment.
    """
    name = os.path.basename(path)
    ext = os.path.splitext(name)[1].lower()
    if ext in _IMAGES:
        return _IMAGES[ext], False
    if ext == ".svg":
        return "image/svg+xml", True
    if ext in _TEXT or name in _NAMED_TEXT:
        return "text/plain; charset=utf-8", False
    return "application/octet-stream", True


@contextmanager
def open_artifact(client: Client, run_id: str, path: str | None) -> Iterator[tuple[Any, int]]:
    """Open one artifact file for reading; yields (binary file, size).

    Raises:
        NotFoundError: No such run or file, a folder, or a path leading out of the run.
    """
    sub = safe_subpath(path)
    if not sub:
        raise NotFoundError("No such artifact.")
    validation.validate_run_id(run_id)
    scratch = tempfile.mkdtemp(prefix="tracklib-ui-") if is_remote(client.tracking_uri) else None
    try:
        f = _open_confined(client, run_id, sub, scratch)
        with f:
            yield f, os.fstat(f.fileno()).st_size
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _open_confined(client: Client, run_id: str, sub: str, scratch: str | None) -> BinaryIO:
    """Open the artifact's local file after checking it resolves inside its root.

    Raises:
        NotFoundError: Missing, a folder, outside the root, or not readable.
    """
    try:
        if scratch is not None:  # a server's artifact: a copy in a fresh folder
            root = scratch
            local = client.download_artifacts(run_id, sub, scratch)
        else:  # the file store hands out its own paths: "" is the run's artifact root
            root = client.download_artifacts(run_id, "")
            local = client.download_artifacts(run_id, sub)
        real, real_root = os.path.realpath(local), os.path.realpath(root)
        if not real.startswith(real_root + os.sep) or not os.path.isfile(real):
            raise NotFoundError("No such artifact.")
        return open(real, "rb")
    except (InvalidInputError, StoreError, OSError):
        raise NotFoundError("No such artifact.") from None
