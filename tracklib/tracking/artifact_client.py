"""ArtifactClient: the artifact methods of :class:`tracklib.Client`, like MlflowClient's."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tracklib import validation
from tracklib.entities import FileInfo
from tracklib.errors import InvalidInputError
from tracklib.jsonform import encode_dict
from tracklib.registry.client import RegistryClient


class ArtifactClient(RegistryClient):
    """The artifact half of :class:`tracklib.Client` (and, through RegistryClient, the
    model registry's, whose ``models:/`` URIs :meth:`download_artifacts` also takes)."""

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local file into a run's artifacts.

        Raises:
            InvalidInputError: The file is missing or the target escapes the artifact folder.
        """
        self.store.log_artifact(validation.validate_run_id(run_id), local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local folder's content into a run's artifacts.

        Raises:
            InvalidInputError: The folder is missing or the target escapes the artifact folder.
        """
        self.store.log_artifacts(validation.validate_run_id(run_id), local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Save text as an artifact file of a run.

        Raises:
            InvalidInputError: ``text`` is not a str, or ``artifact_file`` escapes the
                artifact folder.
        """
        if not isinstance(text, str):
            raise InvalidInputError(
                f"log_text takes text (a str), got {type(text).__name__}; use str(value), or "
                "log_dict for a dict."
            )
        self.store.log_bytes(
            validation.validate_run_id(run_id), text.encode("utf-8"), artifact_file
        )

    def log_dict(self, run_id: str, dictionary: Mapping[str, Any], artifact_file: str) -> None:
        """Save a dict as JSON (or YAML for ``.yaml``/``.yml``) artifact file of a run.

        Raises:
            InvalidInputError: The dict cannot be serialised or the path escapes.
        """
        data = encode_dict(validation.check_mapping(dictionary, "log_dict"), artifact_file)
        self.store.log_bytes(validation.validate_run_id(run_id), data, artifact_file)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List a run's artifacts directly under ``path`` (run-relative paths).

        Raises:
            NotFoundError: No run has this id.
        """
        return self.store.list_artifacts(validation.validate_run_id(run_id), path)

    def download_artifacts(
        self, run_id: str, path: str = "", dst_path: str | os.PathLike[str] | None = None
    ) -> str:
        """Return a local path holding a run's artifact (copied into ``dst_path`` if given).

        ``run_id`` may also be a ``runs:/<run_id>/<path>`` or ``models:/<name>/<version>`` /
        ``models:/<name>@<alias>`` URI (``path`` is then below it).

        Raises:
            NotFoundError: No such run, artifact, model, version or alias.
        """
        if run_id.startswith(("runs:/", "models:/")):  # model registry (issue 12): URIs
            return self.download_uri(run_id, path, dst_path)
        return self.store.download_artifacts(validation.validate_run_id(run_id), path, dst_path)
