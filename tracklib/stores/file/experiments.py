"""Experiment folders of the file store: the root, ``0/`` (Default), ``<id>/`` and ``.trash/``.

:class:`ExperimentFolders` owns everything at the store root; :class:`~tracklib.stores.file.
FileStore` builds on it for runs. The one lock (creating an experiment must see a unique
name) is a plain file at the root, which MLflow's reader and ``migrate-filestore`` ignore.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator, Mapping

from tracklib import settings
from tracklib.entities import Experiment, LifecycleStage, ViewType
from tracklib.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    RunStateError,
    StoreError,
)
from tracklib.stores.file import runfiles
from tracklib.stores.file.disk import create_file, load_yaml, read_value_files, write_yaml

DEFAULT_EXPERIMENT_ID = "0"
TRASH = ".trash"
LOCK_FILE = ".tracklib.lock"


def new_experiment_id() -> str:
    """Return an 18-digit id with no leading zero, the way MLflow 3 makes them."""
    digits = str(uuid.uuid4().int)[-18:]
    stripped = digits.lstrip("0")
    return stripped + "".join(random.choice("0123456789") for _ in digits[: 18 - len(stripped)])


def is_store(root: str) -> bool:
    """True when ``root`` holds a file store: a ``.trash`` folder or an experiment folder."""
    try:
        entries = list(os.scandir(root))
    except OSError:  # missing, a file, unreadable
        return False
    return any(
        entry.is_dir()
        and (entry.name == TRASH or os.path.isfile(os.path.join(entry.path, "meta.yaml")))
        for entry in entries
    )


class ExperimentFolders:
    """The experiments of a file store rooted at ``root`` (created, with Default, if missing).

    Args:
        root: The store's folder.
    """

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(root)
        self.root_uri = settings.path_to_uri(self.root)
        if not os.path.isdir(os.path.join(self.root, DEFAULT_EXPERIMENT_ID)):
            self._create_default_experiment()

    def _create_default_experiment(self) -> None:
        if os.path.isdir(os.path.join(self.root, TRASH, DEFAULT_EXPERIMENT_ID)):
            return
        folder = os.path.join(self.root, DEFAULT_EXPERIMENT_ID)
        os.makedirs(folder, exist_ok=True)
        os.makedirs(os.path.join(self.root, TRASH), exist_ok=True)
        self._write_experiment_meta(folder, DEFAULT_EXPERIMENT_ID, "Default", None)

    def _write_experiment_meta(
        self, folder: str, experiment_id: str, name: str, artifact_location: str | None
    ) -> None:
        now = int(time.time() * 1000)
        meta = {
            "artifact_location": artifact_location or f"{self.root_uri}/{experiment_id}",
            "creation_time": now,
            "effective_trace_archival_retention": None,
            "experiment_id": experiment_id,
            "last_update_time": now,
            "lifecycle_stage": "active",
            "name": name,
            "trace_location": None,
            "workspace": "default",
        }
        write_yaml(os.path.join(folder, "meta.yaml"), meta)

    def _experiment_dirs(self, view_type: ViewType) -> Iterator[str]:
        places = []
        if view_type is not ViewType.DELETED_ONLY:
            places.append(self.root)
        if view_type is not ViewType.ACTIVE_ONLY:
            places.append(os.path.join(self.root, TRASH))
        for place in places:
            try:
                entries = sorted(os.scandir(place), key=lambda e: e.name)
            except FileNotFoundError:
                continue
            for entry in entries:
                if entry.is_dir() and entry.name[:1].isalnum() and entry.name != "models":
                    yield entry.path

    def _experiment_dir(self, experiment_id: str) -> str:
        for place in (self.root, os.path.join(self.root, TRASH)):
            folder = os.path.join(place, experiment_id)
            if os.path.isfile(os.path.join(folder, "meta.yaml")):
                return folder
        raise NotFoundError(f"Experiment with id {experiment_id!r} not found in {self.root}.")

    def _read_experiment(self, folder: str) -> Experiment | None:
        try:
            meta = runfiles.read_meta(folder)  # flat parser first: no PyYAML at start-up
        except (OSError, StoreError):
            return None  # MLflow skips such folders too
        experiment_id = str(meta.get("experiment_id", ""))
        if experiment_id != os.path.basename(folder) or "name" not in meta:
            return None
        return Experiment(
            experiment_id=experiment_id,
            name=str(meta["name"]),
            artifact_location=str(meta.get("artifact_location") or ""),
            lifecycle_stage=str(meta.get("lifecycle_stage", "active")),
            creation_time=meta.get("creation_time"),
            last_update_time=meta.get("last_update_time"),
            tags=read_value_files(os.path.join(folder, "tags")),
        )

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        """Create an experiment; see :meth:`tracklib.stores.base.Store.create_experiment`.

        Raises:
            AlreadyExistsError: An active or deleted experiment has this name.
        """
        from filelock import FileLock

        with FileLock(os.path.join(self.root, LOCK_FILE)):
            if self._find_experiment(name, ViewType.ALL) is not None:
                raise AlreadyExistsError(
                    f"Experiment {name!r} already exists (possibly deleted, in .trash); "
                    "choose another name or restore it."
                )
            experiment_id = new_experiment_id()
            while os.path.exists(os.path.join(self.root, experiment_id)):
                experiment_id = new_experiment_id()
            folder = os.path.join(self.root, experiment_id)
            os.makedirs(folder)
            for key, value in (tags or {}).items():
                create_file(os.path.join(folder, "tags", key), value.encode(), folder)
            self._write_experiment_meta(folder, experiment_id, name, artifact_location)
        return experiment_id

    def _find_experiment(self, name: str, view_type: ViewType) -> Experiment | None:
        for folder in self._experiment_dirs(view_type):
            experiment = self._read_experiment(folder)
            if experiment is not None and experiment.name == name:
                return experiment
        return None

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment by id.

        Raises:
            NotFoundError: No experiment has this id.
        """
        experiment = self._read_experiment(self._experiment_dir(experiment_id))
        if experiment is None:
            raise NotFoundError(f"Experiment {experiment_id!r} has an unreadable meta.yaml.")
        return experiment

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the (active or deleted) experiment with this name, or None."""
        return self._find_experiment(name, ViewType.ALL)

    def search_experiments(self, view_type: ViewType = ViewType.ACTIVE_ONLY) -> list[Experiment]:
        """Return the experiments in ``view_type``, newest first."""
        found = [self._read_experiment(folder) for folder in self._experiment_dirs(view_type)]
        experiments = [e for e in found if e is not None and view_type.admits(e.lifecycle_stage)]
        return sorted(experiments, key=lambda e: (-(e.creation_time or 0), e.experiment_id))

    def _set_experiment_stage(self, experiment_id: str, stage: LifecycleStage) -> None:
        if (
            stage is LifecycleStage.ACTIVE
            and self.get_experiment(experiment_id).lifecycle_stage == stage
        ):
            raise NotFoundError(  # MLflow's answer: there is no *deleted* experiment to restore
                f"Experiment {experiment_id!r} is not deleted, so there is nothing to restore."
            )
        if experiment_id == DEFAULT_EXPERIMENT_ID:
            raise InvalidInputError("The Default experiment (id '0') cannot be deleted.")
        folder = self._experiment_dir(experiment_id)
        now = int(time.time() * 1000)
        for run_dir in runfiles.run_dirs(folder):
            meta = load_yaml(os.path.join(run_dir, "meta.yaml"))
            if stage is LifecycleStage.DELETED and meta.get("lifecycle_stage") != "deleted":
                runfiles.write_run_meta(
                    run_dir, {**meta, "lifecycle_stage": "deleted", "deleted_time": now}
                )
            elif stage is LifecycleStage.ACTIVE and meta.get("lifecycle_stage") == "deleted":
                meta.pop("deleted_time", None)
                runfiles.write_run_meta(run_dir, {**meta, "lifecycle_stage": "active"})
        meta = load_yaml(os.path.join(folder, "meta.yaml"))
        meta.update(lifecycle_stage=stage.value, last_update_time=now)
        write_yaml(os.path.join(folder, "meta.yaml"), meta)
        place = os.path.join(self.root, TRASH) if stage is LifecycleStage.DELETED else self.root
        os.makedirs(place, exist_ok=True)
        os.replace(folder, os.path.join(place, experiment_id))
        self._forget_runs()

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment and its runs deleted and move it to ``.trash``.

        Raises:
            NotFoundError: No experiment has this id.
            InvalidInputError: It is the Default experiment.
        """
        self._set_experiment_stage(experiment_id, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Move a deleted experiment back and reactivate its runs.

        Raises:
            NotFoundError: No deleted experiment has this id (an active one included, as in
                MLflow).
        """
        self._set_experiment_stage(experiment_id, LifecycleStage.ACTIVE)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an active experiment a new name (its meta.yaml is rewritten).

        Raises:
            NotFoundError: No experiment has this id.
            RunStateError: The experiment is deleted.
            AlreadyExistsError: Another experiment (possibly deleted) has the name.
        """
        from filelock import FileLock

        with FileLock(os.path.join(self.root, LOCK_FILE)):
            experiment = self.get_experiment(experiment_id)
            if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
                raise RunStateError(
                    f"Experiment {experiment_id!r} is deleted; restore it before renaming it."
                )
            taken = self._find_experiment(new_name, ViewType.ALL)
            if taken is not None:  # its own name too, as in MLflow
                raise AlreadyExistsError(
                    f"Experiment {new_name!r} already exists (possibly deleted, in .trash); "
                    "choose another name."
                )
            path = os.path.join(self._experiment_dir(experiment_id), "meta.yaml")
            meta = load_yaml(path)
            meta.update(name=new_name, last_update_time=int(time.time() * 1000))
            write_yaml(path, meta)

    def _forget_runs(self) -> None:
        """Drop cached run locations (runs moved with their experiment)."""
