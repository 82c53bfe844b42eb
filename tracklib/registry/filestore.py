"""The model registry of a file store: ``<root>/models/`` in MLflow 3.17's layout.

Crash safety and concurrency without a lock file (MLflow's layout has none):

* A version is built complete (meta.yaml and tags) in a ``.tracklib-tmp-*`` folder inside the
  model folder, then renamed to ``version-<N>``. Renaming a folder onto a non-empty folder
  fails, so when two processes pick the same N, one wins and the other takes N+1: numbers
  are distinct and consecutive, and no reader ever sees a ``version-N`` without its
  meta.yaml (MLflow's reader fails on one: ``search_model_versions`` would break).
* Every meta.yaml, tag and alias file is replaced atomically (temporary file + rename).
* A model is created by ``mkdir`` (exclusive: the name is claimed once) and its meta.yaml is
  published right after; deleting a model removes its versions first and meta.yaml last.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from tracklib import tags
from tracklib.entities import ModelVersion, RegisteredModel
from tracklib.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from tracklib.registry import layout, query
from tracklib.registry.base import DELETED_STAGE, STAGES
from tracklib.registry.layout import ALIASES, META, TAGS, VERSION_PREFIX
from tracklib.stores.file.disk import (
    TMP_PREFIX,
    create_file,
    dump_yaml,
    load_yaml,
    replace_file,
    write_yaml,
)

PROMPT_TAG = tags.PROMPT  # MLflow keeps prompts out of model searches


def _now() -> int:
    return int(time.time() * 1000)


class FileRegistry:
    """The registry under ``<root>/models``.

    Args:
        root: The file store's root folder (the one holding ``0/`` and ``models/``).
    """

    versions_as_text = False

    def __init__(self, root: str) -> None:
        self.root = root
        self.models_dir = os.path.join(root, layout.MODELS)

    def __repr__(self) -> str:
        return f"FileRegistry({self.root!r})"

    # ------------------------------------------------------------ paths and small writes
    def _model_dir(self, name: str) -> str:
        """The folder of an existing model. Raises NotFoundError."""
        path = os.path.join(self.models_dir, name)
        if not os.path.isfile(os.path.join(path, META)):
            raise NotFoundError(f"Registered Model with name={name} not found")
        return path

    def _version_meta(self, name: str, version: int) -> tuple[str, dict[str, Any]]:
        """(folder, meta) of a live version. Raises NotFoundError (also for a deleted one)."""
        folder = os.path.join(self._model_dir(name), f"{VERSION_PREFIX}{version}")
        try:
            meta = load_yaml(os.path.join(folder, META))
        except (FileNotFoundError, NotADirectoryError):
            meta = {}
        if not meta or meta.get("current_stage") == DELETED_STAGE:
            raise NotFoundError(f"Model Version (name={name}, version={version}) not found")
        return folder, meta

    def _touch(self, model_dir: str, now: int, **changes: Any) -> None:
        """Rewrite a model's meta.yaml with a new update time, as MLflow does after every
        change, refreshing its informational copy of the aliases."""
        meta = load_yaml(os.path.join(model_dir, META))
        meta.update(changes, last_updated_timestamp=now)
        meta["aliases"] = {a: str(v) for a, v in sorted(layout.read_aliases(model_dir).items())}
        write_yaml(os.path.join(model_dir, META), meta)

    @staticmethod
    def _write_value(model_dir: str, path: str, value: str) -> None:
        # The temporary file sits in the model folder, where MLflow's reader looks at no file.
        os.makedirs(os.path.dirname(path), exist_ok=True)
        replace_file(path, value.encode("utf-8"), tmp_dir=model_dir)

    # ------------------------------------------------------------ registered models
    def create_registered_model(
        self, name: str, tags: Mapping[str, str], description: str | None
    ) -> RegisteredModel:
        """Create an empty model (AlreadyExistsError if the name is taken)."""
        os.makedirs(self.models_dir, exist_ok=True)
        path = os.path.join(self.models_dir, name)
        try:
            os.mkdir(path)
        except FileExistsError:
            if os.path.exists(os.path.join(path, META)):
                raise AlreadyExistsError(
                    f"Registered Model (name={name}) already exists."
                ) from None
        now = _now()
        try:
            data = dump_yaml(layout.model_meta(name, now, description))
            create_file(os.path.join(path, META), data, tmp_dir=path)
        except FileExistsError:  # another process claimed the leftover folder first
            raise AlreadyExistsError(f"Registered Model (name={name}) already exists.") from None
        for key, value in tags.items():
            self._write_value(path, os.path.join(path, TAGS, key), value)
        if tags:
            self._touch(path, _now())
        return layout.read_model(path)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a model with its tags, aliases and latest versions."""
        return layout.read_model(self._model_dir(name))

    def search_registered_models(
        self, filter_string: str, max_results: int, order_by: Sequence[str], page_token: str | None
    ) -> tuple[list[RegisteredModel], str | None]:
        """One page of models matching a filter, in MLflow's order."""
        models = []
        for name in layout.model_names(self.root):
            with contextlib.suppress(NotFoundError):  # deleted while we list
                model = layout.read_model(os.path.join(self.models_dir, name))
                if model.tags.get(PROMPT_TAG, "").lower() != "true":
                    models.append(model)
        chosen = query.select(models, filter_string, order_by, query.MODELS)
        return query.page(chosen, max_results, page_token)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model: one folder rename, then the names inside the meta files."""
        old = self._model_dir(name)
        new = os.path.join(self.models_dir, new_name)
        taken = AlreadyExistsError(f"Registered Model (name={new_name}) already exists.")
        if os.path.exists(os.path.join(new, META)):
            raise taken
        try:
            # Atomic; fails on a non-empty folder (a model created meanwhile). An empty one
            # (a crashed create) is replaced, so no folder without meta.yaml is left behind.
            os.rename(old, new)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise taken from None
            raise
        now = _now()
        for number in layout.version_numbers(new):
            meta_path = os.path.join(new, f"{VERSION_PREFIX}{number}", META)
            with contextlib.suppress(FileNotFoundError):
                meta = load_yaml(meta_path)
                meta.update(name=new_name, last_updated_timestamp=now)
                write_yaml(meta_path, meta)
        self._touch(new, now, name=new_name)
        return layout.read_model(new)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a model's description."""
        path = self._model_dir(name)
        self._touch(path, _now(), description=description)
        return layout.read_model(path)

    def delete_registered_model(self, name: str) -> None:
        """Delete a model: versions first (each renamed away, then removed), meta.yaml last."""
        path = self._model_dir(name)
        for number in layout.version_numbers(path):
            doomed = os.path.join(path, f"{TMP_PREFIX}deleted-{uuid.uuid4().hex}")
            os.rename(os.path.join(path, f"{VERSION_PREFIX}{number}"), doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        for sub in (TAGS, ALIASES):
            shutil.rmtree(os.path.join(path, sub), ignore_errors=True)
        os.unlink(os.path.join(path, META))
        shutil.rmtree(path, ignore_errors=True)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set a model tag."""
        path = self._model_dir(name)
        self._write_value(path, os.path.join(path, TAGS, key), value)
        self._touch(path, _now())

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a model tag (nothing happens when it is absent)."""
        path = self._model_dir(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(path, TAGS, key))
            self._touch(path, _now())

    def get_latest_versions(self, name: str, stages: Sequence[str]) -> list[ModelVersion]:
        """The highest version per stage (all four stages when ``stages`` is empty)."""
        canonical = {s.lower(): s for s in STAGES}
        wanted: list[str] = []
        for stage in stages or STAGES:
            if stage.lower() not in canonical:
                raise InvalidInputError(
                    f"Invalid Model Version stage: {stage}. Valid stages: {', '.join(STAGES)}."
                )
            wanted.append(canonical[stage.lower()])
        versions = layout.read_versions(self._model_dir(name))
        return layout.latest_per_stage(versions, tuple(wanted))

    # ------------------------------------------------------------ versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: Mapping[str, str],
        run_link: str | None,
        description: str | None,
    ) -> ModelVersion:
        """Publish the next version (see the module docstring for how numbers stay unique)."""
        path = self._model_dir(name)
        work = os.path.join(path, f"{TMP_PREFIX}version-{uuid.uuid4().hex}")
        os.mkdir(work)
        try:
            for key, value in tags.items():
                self._write_value(work, os.path.join(work, TAGS, key), value)
            now = _now()
            number = self._publish(path, work, name, now, (source, run_id, run_link, description))
        finally:
            shutil.rmtree(work, ignore_errors=True)  # gone already unless publishing failed
        self._touch(path, now)
        version = layout.read_version(path, number, layout.read_aliases(path))
        assert version is not None
        return version

    @staticmethod
    def _publish(path: str, work: str, name: str, now: int, fields: tuple[Any, ...]) -> int:
        source, run_id, run_link, description = fields
        while True:
            numbers = layout.version_numbers(path)
            number = (numbers[-1] if numbers else 0) + 1
            meta = layout.version_meta(name, number, now, source, run_id, run_link, description)
            replace_file(os.path.join(work, META), dump_yaml(meta), tmp_dir=work)
            try:
                os.rename(work, os.path.join(path, f"{VERSION_PREFIX}{number}"))
                return number
            except OSError as exc:  # another process published this number first
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """Return a live version (NotFoundError for a missing or deleted one)."""
        self._version_meta(name, version)
        path = self._model_dir(name)
        found = layout.read_version(path, version, layout.read_aliases(path))
        if found is None:
            raise NotFoundError(f"Model Version (name={name}, version={version}) not found")
        return found

    def update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion:
        """Set a version's description."""
        folder, meta = self._version_meta(name, version)
        meta.update(description=description, last_updated_timestamp=_now())
        write_yaml(os.path.join(folder, META), meta)
        return self.get_model_version(name, version)

    def delete_model_version(self, name: str, version: int) -> None:
        """Mark a version deleted (its folder stays, as MLflow does) and drop its aliases."""
        folder, meta = self._version_meta(name, version)
        now = _now()
        meta.update(current_stage=DELETED_STAGE, last_updated_timestamp=now)
        write_yaml(os.path.join(folder, META), meta)
        path = os.path.dirname(folder)
        for alias, target in layout.read_aliases(path).items():
            if target == version:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(path, ALIASES, alias))
        self._touch(path, now)

    def search_model_versions(
        self, filter_string: str, max_results: int, order_by: Sequence[str], page_token: str | None
    ) -> tuple[list[ModelVersion], str | None]:
        """One page of live versions matching a filter, in MLflow's order."""
        versions = []
        for name in layout.model_names(self.root):
            versions += layout.read_versions(os.path.join(self.models_dir, name))
        order = order_by or query.DEFAULT_VERSION_ORDER
        chosen = query.select(versions, filter_string, order, query.VERSIONS)
        return query.page(chosen, max_results, page_token)

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set a version tag."""
        folder, _ = self._version_meta(name, version)
        path = os.path.dirname(folder)
        self._write_value(path, os.path.join(folder, TAGS, key), value)
        self._touch(path, _now())

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """Remove a version tag (nothing happens when it is absent)."""
        folder, _ = self._version_meta(name, version)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(folder, TAGS, key))
            self._touch(os.path.dirname(folder), _now())

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point an alias at a live version."""
        folder, _ = self._version_meta(name, version)
        path = os.path.dirname(folder)
        self._write_value(path, os.path.join(path, ALIASES, alias), str(version))
        self._touch(path, _now())

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias (nothing happens when it is absent)."""
        path = self._model_dir(name)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(path, ALIASES, alias))
            self._touch(path, _now())

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at; ``latest`` is the highest live version."""
        path = self._model_dir(name)
        if alias.lower() == "latest":
            versions = layout.read_versions(path)
            if not versions:
                raise NotFoundError(f"Registered model {name!r} has no versions.")
            return max(versions, key=lambda v: v.version)
        number = layout.read_alias(path, alias)
        if number is None:
            raise NotFoundError(f"Registered model alias {alias} not found.")
        return self.get_model_version(name, number)

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        """The version's storage location, else its source."""
        _, meta = self._version_meta(name, version)
        return str(meta.get("storage_location") or meta.get("source") or "")
