"""Carry a local store's registered models to the target of ``tracklib sync PATH --to URL``.

Runs are synced first; then each model is created on the target (tags, description), each
live version is created there pointing at the synced run (its server id, and the same
artifact path under the server run's artifact location), and the aliases follow. A carried
version is tagged ``tracklib.sourceVersion`` = ``<local version>:<its creation time>``, so a
second sync (or a sync from a copy of the store) finds it and does not create it again.
A version whose run is not on the target (deleted locally, or refused) is skipped with a
warning; so is an alias pointing at a skipped version.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

from tracklib import tags
from tracklib.entities import ModelVersion
from tracklib.errors import AlreadyExistsError, NotFoundError
from tracklib.registry import layout
from tracklib.registry.base import RegistryStore
from tracklib.registry.filestore import FileRegistry
from tracklib.stores.base import Store

SOURCE_VERSION_TAG = tags.SOURCE_VERSION


@dataclass
class CarryStats:
    """What was (or, in a dry run, would be) carried."""

    models: int = 0
    versions: int = 0
    warnings: list[str] = field(default_factory=list)


def _key(version: ModelVersion) -> str:
    return f"{version.version}:{version.creation_timestamp}"


class ModelCarrier:
    """Copies the registry of the file store at ``root`` to ``target``.

    Args:
        root: The local store.
        target: The target's tracking store (its registry is beside it).
        target_uri: The target's URI without credentials (names the run checkpoints).
        dry_run: Count only.
    """

    def __init__(self, root: str, target: Store, target_uri: str, dry_run: bool) -> None:
        from tracklib.registry.client import open_registry

        self.local = FileRegistry(root)
        self.runs = target
        self.target: RegistryStore = open_registry(target_uri, target)
        self.target_uri = target_uri
        self.dry_run = dry_run
        self.stats = CarryStats()

    def carry_all(self) -> CarryStats:
        """Carry every registered model.

        Raises:
            StoreError: The target failed; what it acknowledged stays (a rerun resumes).
        """
        for name in layout.model_names(self.local.root):
            self.carry(name)
        return self.stats

    def carry(self, name: str) -> None:
        """Carry one model, its live versions and its aliases."""
        model = self.local.get_registered_model(name)
        versions = layout.read_versions(os.path.join(self.local.models_dir, name))
        self.stats.models += 1
        if self.dry_run:
            self.stats.versions += len(versions)
            return
        with contextlib.suppress(AlreadyExistsError):
            self.target.create_registered_model(name, model.tags, model.description)
        done = self._carried(name)
        mapping: dict[int, int] = {}
        for version in versions:
            number = done.get(_key(version)) or self._create(version)
            if number is not None:
                mapping[version.version] = number
        for alias, local_number in sorted(model.aliases.items()):
            if local_number in mapping:
                self.target.set_registered_model_alias(name, alias, mapping[local_number])
            else:
                self.stats.warnings.append(f"alias {name}@{alias}: version not carried")

    def _carried(self, name: str) -> dict[str, int]:
        """Target versions already carried: source key -> target version number."""
        found: dict[str, int] = {}
        token: str | None = None
        while True:
            quote = '"' if "'" in name else "'"  # values are taken verbatim between quotes
            page, token = self.target.search_model_versions(
                f"name = {quote}{name}{quote}", 1000, [], token
            )
            for version in page:
                key = version.tags.get(SOURCE_VERSION_TAG)
                if key:
                    found[key] = version.version
            if not token:
                return found

    def _create(self, version: ModelVersion) -> int | None:
        run_id, source = self._remote_source(version)
        if run_id is None and version.run_id:
            self.stats.warnings.append(
                f"{version.name} version {version.version}: run {version.run_id} is not on "
                "the target; not carried"
            )
            return None
        tags = {**version.tags, SOURCE_VERSION_TAG: _key(version)}
        created = self.target.create_model_version(
            version.name, source, run_id, tags, version.run_link, version.description
        )
        self.stats.versions += 1
        return created.version

    def _remote_source(self, version: ModelVersion) -> tuple[str | None, str]:
        """(target run id, source under the target run's artifacts) of a version."""
        if not version.run_id:
            return None, version.source
        from tracklib.remote.replicator import load_state
        from tracklib.stores import open_store
        from tracklib.stores.file.store import FileStore

        store = open_store(self.local.root)
        assert isinstance(store, FileStore)
        try:
            run_dir = store.run_dir(version.run_id)
        except NotFoundError:
            return None, version.source
        remote = load_state(run_dir, self.target_uri).get("run_id") or None  # synced there?
        if remote is None:
            return None, version.source
        local_root = store.get_run(version.run_id).info.artifact_uri.rstrip("/")
        source = version.source
        if source == local_root or source.startswith(local_root + "/"):
            remote_root = self.runs.get_run(remote).info.artifact_uri.rstrip("/")
            source = remote_root + source[len(local_root) :]
        return remote, source
