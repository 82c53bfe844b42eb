"""A run's artifacts kept in memory (path -> bytes), for :mod:`tracklib.testing`.

Paths are checked like the file store's (:func:`tracklib.validation.artifact_subpath`), and
a file and a folder cannot share a path, as on disk.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping

from tracklib.entities import FileInfo
from tracklib.errors import InvalidInputError, NotFoundError
from tracklib.stores.file.artifacts import check_source
from tracklib.validation import artifact_subpath


def check_clash(kind: str, existing: Iterable[str], key: str) -> None:
    """Refuse ``a`` next to ``a/b``: on disk a key with ``/`` is a folder, so both cannot be.

    Raises:
        InvalidInputError: ``key`` and an existing key clash.
    """
    for old in existing:
        if old.startswith(key + "/") or key.startswith(old + "/"):
            raise InvalidInputError(
                f"The {kind} key {key!r} clashes with the {kind} key {old!r}: 'a' and 'a/b' "
                "cannot both exist, because keys with '/' are stored as folders."
            )


class ArtifactTree:
    """One run's artifact files, by run-relative POSIX path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    @staticmethod
    def read_file(
        local_path: str | os.PathLike[str], artifact_path: str | None
    ) -> dict[str, bytes]:
        """A local file as ``{<artifact_path>/<basename>: bytes}``.

        Raises:
            InvalidInputError: The file is missing or ``artifact_path`` escapes the run.
        """
        source = check_source(local_path, want_dir=False)
        target = "/".join(
            p for p in (artifact_subpath(artifact_path), os.path.basename(source)) if p
        )
        with open(source, "rb") as f:
            return {target: f.read()}

    @staticmethod
    def read_folder(
        local_dir: str | os.PathLike[str], artifact_path: str | None
    ) -> dict[str, bytes]:
        """A local folder's files (recursively) as ``{<artifact_path>/<relative path>: bytes}``.

        Raises:
            InvalidInputError: The folder is missing or ``artifact_path`` escapes the run.
        """
        source = check_source(local_dir, want_dir=True)
        prefix = [p for p in artifact_subpath(artifact_path).split("/") if p]
        files = {}
        for folder, _, names in os.walk(source, followlinks=True):
            rel = os.path.relpath(folder, source)
            parts = [*prefix, *([] if rel == "." else rel.split(os.sep))]
            for name in names:
                with open(os.path.join(folder, name), "rb") as f:
                    files["/".join([*parts, name])] = f.read()
        return files

    @staticmethod
    def one_file(data: bytes, artifact_file: str) -> dict[str, bytes]:
        """``{artifact_file: data}`` after checking the path.

        Raises:
            InvalidInputError: ``artifact_file`` is empty or escapes the run.
        """
        sub = artifact_subpath(artifact_file, "artifact_file")
        if not sub:
            raise InvalidInputError("artifact_file must name a file, e.g. 'notes/readme.txt'.")
        return {sub: bytes(data)}

    def put(self, files: Mapping[str, bytes]) -> None:
        """Add or replace files.

        Raises:
            InvalidInputError: A file and a folder would share a path.
        """
        for path in files:
            check_clash("artifact", self.files, path)
        self.files.update(files)

    def _select(self, path: str | None) -> tuple[str, bytes | None, dict[str, bytes]]:
        """Return (subpath, its bytes if it is a file, {path below it: bytes})."""
        sub = artifact_subpath(path, "path")
        prefix = f"{sub}/" if sub else ""
        below = {k[len(prefix) :]: v for k, v in self.files.items() if k.startswith(prefix)}
        return sub, self.files.get(sub), below

    def list(self, path: str | None) -> list[FileInfo]:
        """The entries directly under ``path`` (run-relative paths, sorted)."""
        sub, _, below = self._select(path)
        entries = {}
        for rel, data in below.items():
            head, is_dir, _ = rel.partition("/")
            full = f"{sub}/{head}" if sub else head
            entries[full] = FileInfo(full, bool(is_dir), None if is_dir else len(data))
        return sorted(entries.values(), key=lambda info: info.path)

    def download(
        self, path: str | None, dst_path: str | os.PathLike[str] | None, run_id: str
    ) -> str:
        """Write a file or folder into ``dst_path`` (default: a new temporary folder).

        Returns:
            ``<dst>/<basename of path>``, or ``<dst>/artifacts`` for the whole run.

        Raises:
            NotFoundError: There is no such artifact.
        """
        sub, single, below = self._select(path)
        files = below if single is None else {"": single}
        if sub and not files:
            raise NotFoundError(f"No artifact at {sub!r} in run {run_id}.")
        dst = tempfile.mkdtemp(prefix="tracklib-") if dst_path is None else os.fspath(dst_path)
        target = os.path.join(dst, os.path.basename(sub) if sub else "artifacts")
        os.makedirs(target if single is None else dst, exist_ok=True)
        for rel, data in files.items():
            file_path = os.path.join(target, *rel.split("/")) if rel else target
            os.makedirs(os.path.dirname(file_path), exist_ok=True)
            with open(file_path, "wb") as f:
                f.write(data)
        return target
