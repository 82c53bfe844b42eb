"""Local artifact repository: a run's artifact folder on disk, guarded against escapes.

Every target path is checked twice: lexically (no ``..``, not absolute, see
:func:`tracklib.validation.artifact_subpath`) and physically (after resolving symlinks it
must still be inside the run's artifact folder), so a symlink planted in the artifact tree
cannot redirect a write elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from collections.abc import Iterator
from urllib.parse import urlparse

from tracklib.entities import FileInfo
from tracklib.errors import InvalidInputError, NotFoundError, StoreError
from tracklib.settings import local_path
from tracklib.stores.file.disk import replace_file, write_new
from tracklib.validation import artifact_subpath


def artifact_root(artifact_uri: str) -> str:
    """Return the local folder of a ``file:`` (or plain path) artifact URI.

    Raises:
        StoreError: The URI is not local (e.g. ``s3://``), so this store cannot write it.
    """
    if urlparse(artifact_uri).scheme not in ("", "file"):
        raise StoreError(
            f"Artifact location {artifact_uri!r} is not a local folder; the file store can "
            "only write artifacts to file: locations."
        )
    return local_path(artifact_uri)


def _inside(root: str, subpath: str, what: str) -> str:
    """Return ``root/subpath``, refusing a path that a symlink below ``root`` leads out of.

    ``subpath`` is already free of ``..`` and absolute parts, so only symlinks can lead
    out; the existing components are checked one ``lstat`` each (no full ``realpath``).
    """
    target = root
    for part in subpath.split("/") if subpath else ():
        target = os.path.join(target, part)
        try:
            mode = os.lstat(target).st_mode
        except (FileNotFoundError, NotADirectoryError):
            break  # nothing below a missing component exists yet
        if stat.S_ISLNK(mode):
            real_root, real = os.path.realpath(root), os.path.realpath(target)
            if real != real_root and not real.startswith(real_root + os.sep):
                raise InvalidInputError(
                    f"Invalid {what} {subpath!r}: it resolves (through a symlink) to {real}, "
                    "outside the run's artifact folder."
                )
    return os.path.join(root, *subpath.split("/")) if subpath else root


def check_source(local: str | os.PathLike[str], want_dir: bool) -> str:
    path = os.fspath(local)
    if want_dir and not os.path.isdir(path):
        raise InvalidInputError(f"log_artifacts: {path!r} is not an existing folder.")
    if not want_dir and not os.path.isfile(path):
        hint = " (it is a folder: use log_artifacts)" if os.path.isdir(path) else ""
        raise InvalidInputError(f"log_artifact: no file at {path!r}{hint}.")
    return path


def copy_file(root: str, local: str | os.PathLike[str], artifact_path: str | None) -> None:
    """Copy one local file to ``<root>/<artifact_path>/<basename>``.

    Raises:
        InvalidInputError: The file is missing, the target escapes ``root``, or a file and
            a folder would share a path.
    """
    source = check_source(local, want_dir=False)
    sub = artifact_subpath(artifact_path)
    folder = _inside(root, sub, "artifact_path")
    rel = "/".join(p for p in (sub, os.path.basename(source)) if p)
    target = _inside(root, rel, "path")
    with _clash_as_input_error(rel):
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(source, target)


def copy_tree(root: str, local_dir: str | os.PathLike[str], artifact_path: str | None) -> None:
    """Copy the content of a local folder into ``<root>/<artifact_path>/``.

    Raises:
        InvalidInputError: The folder is missing, or the target escapes ``root``.
    """
    source = check_source(local_dir, want_dir=True)
    folder = _inside(root, artifact_subpath(artifact_path), "artifact_path")
    os.makedirs(folder, exist_ok=True)
    shutil.copytree(source, folder, dirs_exist_ok=True)


def write_bytes(root: str, artifact_file: str, data: bytes) -> None:
    """Write ``data`` to ``<root>/<artifact_file>`` atomically.

    Raises:
        InvalidInputError: ``artifact_file`` is empty or escapes ``root``.
    """
    sub = artifact_subpath(artifact_file, "artifact_file")
    if not sub:
        raise InvalidInputError("artifact_file must name a file, e.g. 'notes/readme.txt'.")
    target = _inside(root, sub, "artifact_file")
    with _clash_as_input_error(sub):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:  # a new file needs no temp file: no reader has seen a version of it
            write_new(target, data)
        except FileExistsError:
            replace_file(target, data)  # an existing one is replaced whole


@contextlib.contextmanager
def _clash_as_input_error(path: str) -> Iterator[None]:
    """Turn "a file where a folder must be" (and the reverse) into a clear error."""
    try:
        yield
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        raise InvalidInputError(
            f"Artifact path {path!r} clashes with an existing artifact: a file and a folder "
            f"cannot have the same path ({exc.strerror})."
        ) from None


def list_files(root: str, path: str | None) -> list[FileInfo]:
    """List the entries directly under ``<root>/<path>`` with run-relative paths, sorted."""
    sub = artifact_subpath(path, "path")
    folder = _inside(root, sub, "path")
    if not os.path.isdir(folder):
        return []
    infos = []
    for entry in os.scandir(folder):
        rel = f"{sub}/{entry.name}" if sub else entry.name
        if entry.is_dir():
            infos.append(FileInfo(rel, True, None))
        else:
            infos.append(FileInfo(rel, False, entry.stat().st_size))
    return sorted(infos, key=lambda info: info.path)


def download(root: str, path: str | None, dst_path: str | os.PathLike[str] | None) -> str:
    """Return a local path holding artifact ``path`` (copied into ``dst_path`` if given).

    Raises:
        NotFoundError: There is no such artifact.
    """
    sub = artifact_subpath(path, "path")
    source = _inside(root, sub, "path")
    if not os.path.exists(source):
        raise NotFoundError(f"No artifact at {sub!r} in {root}.")
    if dst_path is None:
        return source
    dst = os.path.join(os.fspath(dst_path), os.path.basename(source) if sub else "artifacts")
    if os.path.isdir(source):
        shutil.copytree(source, dst, dirs_exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        shutil.copyfile(source, dst)
    return dst
