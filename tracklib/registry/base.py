"""The RegistryStore protocol: what the file registry and the REST registry both implement.

Arguments reach a store already checked (:mod:`tracklib.registry.rules`); a store raises
``NotFoundError`` for a missing model, version or alias and ``AlreadyExistsError`` for a
taken name. Search returns one page and the next page's token (None on the last page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from tracklib.entities import ModelVersion, RegisteredModel

STAGES = ("None", "Staging", "Production", "Archived")
DELETED_STAGE = "Deleted_Internal"


class RegistryStore(Protocol):
    """Registered models and their versions, in one tracking store's registry."""

    #: MLflow's client sees version numbers from this store as text (REST) or ints (file);
    #: it shows in files MLflow writes, such as a downloaded model's registered_model_meta.
    versions_as_text: bool

    def create_registered_model(
        self, name: str, tags: Mapping[str, str], description: str | None
    ) -> RegisteredModel:
        """Create an empty model."""
        ...

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a model with its tags, aliases and latest versions."""
        ...

    def search_registered_models(
        self, filter_string: str, max_results: int, order_by: Sequence[str], page_token: str | None
    ) -> tuple[list[RegisteredModel], str | None]:
        """One page of models matching MLflow's registered-model filter grammar."""
        ...

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model (its versions follow)."""
        ...

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a model's description."""
        ...

    def delete_registered_model(self, name: str) -> None:
        """Delete a model and all its versions."""
        ...

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set a tag on a model."""
        ...

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a model tag (no error when it is absent)."""
        ...

    def get_latest_versions(self, name: str, stages: Sequence[str]) -> list[ModelVersion]:
        """The highest version in each stage (every stage when ``stages`` is empty)."""
        ...

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: Mapping[str, str],
        run_link: str | None,
        description: str | None,
    ) -> ModelVersion:
        """Add the next version of a model."""
        ...

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """Return one version (a deleted one is not found)."""
        ...

    def update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion:
        """Set a version's description."""
        ...

    def delete_model_version(self, name: str, version: int) -> None:
        """Delete a version (and the aliases pointing at it)."""
        ...

    def search_model_versions(
        self, filter_string: str, max_results: int, order_by: Sequence[str], page_token: str | None
    ) -> tuple[list[ModelVersion], str | None]:
        """One page of versions matching MLflow's model-version filter grammar."""
        ...

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set a tag on a version."""
        ...

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """Remove a version tag (no error when it is absent)."""
        ...

    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point an alias at a version (moving it if it pointed elsewhere)."""
        ...

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias."""
        ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at."""
        ...

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        """Where the version's files are (its storage location, else its source)."""
        ...
