"""RegistryClient: MlflowClient's model-registry methods, mixed into :class:`tracklib.Client`
(:func:`tracklib.register_model` is in :mod:`tracklib.registry.register`).

The registry lives with the tracking store: ``<root>/models/`` for a file store, the same
server for an http(s) URI. Every argument is checked here (MLflow's rules) before a store is
called, so both stores refuse bad input the same way and write nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tracklib import settings, validation
from tracklib.entities import FileInfo, ModelVersion, RegisteredModel, Run
from tracklib.errors import InvalidInputError
from tracklib.registry import rules
from tracklib.stores.base import Store

if TYPE_CHECKING:  # the Protocol costs import time on the start_run path
    from tracklib.registry.base import RegistryStore


class PagedList(list[Any]):
    """A page of search results; ``token`` fetches the next page (None on the last)."""

    def __init__(self, items: Sequence[Any], token: str | None) -> None:
        super().__init__(items)
        self.token = token


def open_registry(uri: str, store: Store) -> RegistryStore:
    """The registry beside a tracking store.

    Raises:
        InvalidInputError: The store has no registry (tracklib.testing's memory store).
    """
    from tracklib.stores.rest.store import RestStore

    if isinstance(store, RestStore):
        from tracklib.registry.rest import RestRegistry

        return RestRegistry(store)
    if uri.startswith("memory:"):
        raise InvalidInputError(
            "The model registry needs a file store or an MLflow server, not a memory: store."
        )
    from tracklib.registry.filestore import FileRegistry

    return FileRegistry(settings.local_path(uri))


class RegistryClient:
    """The model-registry half of :class:`tracklib.Client` (same names as MlflowClient's)."""

    tracking_uri: str
    store: Store

    if TYPE_CHECKING:  # provided by Client

        def get_run(self, run_id: str) -> Run: ...

        def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]: ...

    @property
    def registry(self) -> RegistryStore:
        """The registry store (opened on first use).

        Raises:
            InvalidInputError: The tracking store has no registry (a ``memory:`` store).
        """
        found: RegistryStore | None = self.__dict__.get("_registry")
        if found is None:
            found = self.__dict__["_registry"] = open_registry(self.tracking_uri, self.store)
        return found

    # ------------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        """Create a registered model with no versions.

        Raises:
            InvalidInputError: Bad name or tag.
            AlreadyExistsError: The name is taken.
        """
        del deployment_job_id  # Databricks deployment jobs: not supported, ignored
        return self.registry.create_registered_model(
            rules.model_name(name), rules.tags(tags), description
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a registered model with its tags, aliases and latest versions.

        Raises:
            NotFoundError: No model has this name.
        """
        return self.registry.get_registered_model(rules.model_name(name))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = rules.MODELS_PAGE_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """One page of registered models (``token`` fetches the next), e.g. with
        ``filter_string="name LIKE 'lstm%'"`` and ``order_by=["last_updated_timestamp DESC"]``.

        Raises:
            InvalidInputError: A malformed filter, order_by or page token, or a bad max_results.
        """
        size = rules.max_results(max_results, rules.MODELS_PAGE_LIMIT)
        found, token = self.registry.search_registered_models(
            filter_string or "", size, list(order_by or ()), page_token
        )
        return PagedList(found, token)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model; its versions and aliases follow.

        Raises:
            InvalidInputError: Bad name.
            NotFoundError: No model has ``name``.
            AlreadyExistsError: ``new_name`` is taken.
        """
        return self.registry.rename_registered_model(
            rules.model_name(name), rules.model_name(new_name, "new_name")
        )

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        """Set a registered model's description.

        Raises:
            NotFoundError: No model has this name.
        """
        del deployment_job_id
        return self.registry.update_registered_model(rules.model_name(name), description)

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model with all its versions and aliases.

        Raises:
            NotFoundError: No model has this name.
        """
        self.registry.delete_registered_model(rules.model_name(name))

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model.

        Raises:
            InvalidInputError: Bad key or value.
            NotFoundError: No model has this name.
        """
        self.registry.set_registered_model_tag(rules.model_name(name), *rules.tag(key, value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model.

        Raises:
            NotFoundError: No model has this name.
        """
        key, _ = rules.tag(key, "")
        self.registry.delete_registered_model_tag(rules.model_name(name), key)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The highest version in each stage (MLflow's deprecated stages; all by default).

        Raises:
            InvalidInputError: An unknown stage.
            NotFoundError: No model has this name.
        """
        return self.registry.get_latest_versions(rules.model_name(name), list(stages or ()))

    # ------------------------------------------------------------ versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = 300,
    ) -> ModelVersion:
        """Add the next version of a model, pointing at ``source`` (usually a run's artifact
        folder URI). Versions are READY at once, so ``await_creation_for`` is not used.

        Raises:
            InvalidInputError: Bad name, source or tag.
            NotFoundError: No model has this name.
        """
        del await_creation_for
        if not isinstance(source, str) or not source:
            raise InvalidInputError("create_model_version needs a source URI (e.g. a run's "
                                    "artifact folder); got an empty one.")  # fmt: skip
        return self.registry.create_model_version(
            rules.model_name(name), source, run_id, rules.tags(tags), run_link, description
        )

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """Return one version of a model.

        Raises:
            InvalidInputError: The version is not an integer.
            NotFoundError: No such model or version (or it was deleted).
        """
        return self.registry.get_model_version(
            rules.model_name(name), rules.version_number(version)
        )

    def get_model_version_download_uri(self, name: str, version: int | str) -> str:
        """Where a version's files are (its source).

        Raises:
            NotFoundError: No such model or version.
        """
        number = rules.version_number(version)
        return self.registry.get_model_version_download_uri(rules.model_name(name), number)

    def update_model_version(
        self, name: str, version: int | str, description: str | None = None
    ) -> ModelVersion:
        """Set a version's description.

        Raises:
            NotFoundError: No such model or version.
        """
        number = rules.version_number(version)
        return self.registry.update_model_version(rules.model_name(name), number, description)

    def delete_model_version(self, name: str, version: int | str) -> None:
        """Delete a version (its number is never reused) and the aliases pointing at it.

        Raises:
            NotFoundError: No such model or version.
        """
        self.registry.delete_model_version(rules.model_name(name), rules.version_number(version))

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = rules.VERSIONS_PAGE_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList:
        """One page of versions, e.g. ``filter_string="name='lstm'"`` or ``"run_id='...'"``.

        Raises:
            InvalidInputError: A malformed filter, order_by or page token, or a bad max_results.
        """
        size = rules.max_results(max_results, rules.VERSIONS_PAGE_LIMIT)
        found, token = self.registry.search_model_versions(
            filter_string or "", size, list(order_by or ()), page_token
        )
        return PagedList(found, token)

    def set_model_version_tag(self, name: str, version: int | str, key: str, value: Any) -> None:
        """Set a tag on a version.

        Raises:
            InvalidInputError: Bad key or value.
            NotFoundError: No such model or version.
        """
        number = rules.version_number(version)
        self.registry.set_model_version_tag(rules.model_name(name), number, *rules.tag(key, value))

    def delete_model_version_tag(self, name: str, version: int | str, key: str) -> None:
        """Remove a tag from a version.

        Raises:
            NotFoundError: No such model or version.
        """
        key, _ = rules.tag(key, "")
        number = rules.version_number(version)
        self.registry.delete_model_version_tag(rules.model_name(name), number, key)

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int | str) -> None:
        """Point ``alias`` (e.g. ``champion``) at a version, moving it if it pointed elsewhere.

        Raises:
            InvalidInputError: Bad alias (MLflow's rules; ``latest`` and ``v<N>`` are reserved).
            NotFoundError: No such model or version.
        """
        alias = rules.alias_name(alias, assigning=True)
        number = rules.version_number(version)
        self.registry.set_registered_model_alias(rules.model_name(name), alias, number)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias.

        Raises:
            NotFoundError: No model has this name.
        """
        self.registry.delete_registered_model_alias(rules.model_name(name), rules.alias_name(alias))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at.

        Raises:
            NotFoundError: No such model, or the alias is not set.
        """
        return self.registry.get_model_version_by_alias(
            rules.model_name(name), rules.alias_name(alias)
        )

    # ------------------------------------------------------------ URIs
    def download_uri(
        self, uri: str, path: str = "", dst_path: str | os.PathLike[str] | None = None
    ) -> str:
        """Download what a ``runs:/`` or ``models:/`` URI names (``path`` below it); return
        the local path. A model folder (one with an ``MLmodel`` file) fetched by a
        ``models:/`` URI gets MLflow's ``registered_model_meta`` file, as MLflow writes it.

        Raises:
            InvalidInputError: A malformed URI, or a source tracklib cannot fetch.
            NotFoundError: No such run, artifact, model, version or alias.
        """
        from tracklib.registry import uris  # not on the start_run import path

        if uri.startswith(uris.RUNS):
            run_id, sub = uris.parse_runs_uri(uri)
            return self._download_run_path(run_id, sub, path, dst_path)
        version = uris.resolve_version(self, uri)
        found = uris.run_artifact(self, version)
        if found is None:
            below = "/".join(p for p in (version.source.rstrip("/"), path.strip("/")) if p)
            local = uris.copy_local_source(below, dst_path)
        else:
            local = self._download_run_path(found[0], found[1], path, dst_path)
        if not path.strip("/"):
            uris.add_registered_model_meta(local, version, self.registry.versions_as_text)
        return local

    def _download_run_path(
        self, run_id: str, sub: str, path: str, dst_path: str | os.PathLike[str] | None
    ) -> str:
        full = "/".join(p for p in (sub, path.strip("/")) if p)
        return self.store.download_artifacts(validation.validate_run_id(run_id), full, dst_path)
