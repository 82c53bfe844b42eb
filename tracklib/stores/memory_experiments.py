"""MemoryExperiments: the experiment table of :class:`tracklib.stores.memory.InMemoryStore`,
with the file store's rules (names unique among active and deleted experiments, Default not
deletable, deleting an experiment deletes its runs).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from tracklib.entities import Experiment, LifecycleStage, ViewType
from tracklib.errors import AlreadyExistsError, InvalidInputError, NotFoundError, RunStateError
from tracklib.stores.file.experiments import DEFAULT_EXPERIMENT_ID, new_experiment_id

if TYPE_CHECKING:
    from tracklib.stores.memory import _RunRecord

_ACTIVE, _DELETED = LifecycleStage.ACTIVE, LifecycleStage.DELETED


def _now() -> int:
    return int(time.time() * 1000)


class MemoryExperiments:
    """The experiment half of :class:`~tracklib.stores.memory.InMemoryStore`."""

    _lock: threading.RLock
    _experiments: dict[str, Experiment]
    _runs: dict[str, _RunRecord]

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        """Create an experiment and return its id (18 digits, like MLflow's).

        Raises:
            AlreadyExistsError: An active or deleted experiment has this name.
        """
        with self._lock:
            if self.get_experiment_by_name(name) is not None:
                raise AlreadyExistsError(f"Experiment {name!r} already exists (maybe deleted).")
            eid = new_experiment_id()
            location = artifact_location or f"memory:/{eid}"
            now = _now()
            tags = dict(tags or {})
            self._experiments[eid] = Experiment(eid, name, location, "active", now, now, tags)
            return eid

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment (active or deleted) by id.

        Raises:
            NotFoundError: No experiment has this id.
        """
        experiment = self._experiments.get(experiment_id)
        if experiment is None:
            raise NotFoundError(f"Experiment with id {experiment_id!r} not found.")
        return dataclasses.replace(experiment, tags=dict(experiment.tags))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the (active or deleted) experiment with this name, or None."""
        found = [e.experiment_id for e in list(self._experiments.values()) if e.name == name]
        return self.get_experiment(found[0]) if found else None

    def search_experiments(self, view_type: ViewType = ViewType.ACTIVE_ONLY) -> list[Experiment]:
        """Return the experiments in ``view_type``, newest first."""
        found = [e for e in list(self._experiments.values()) if view_type.admits(e.lifecycle_stage)]
        found.sort(key=lambda e: (-(e.creation_time or 0), e.experiment_id))
        return [self.get_experiment(e.experiment_id) for e in found]

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment and its runs deleted.

        Raises:
            NotFoundError: No experiment has this id.
            InvalidInputError: It is the Default experiment (the file store refuses too).
        """
        self._set_experiment_stage(experiment_id, _DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        """Mark a deleted experiment and its runs active again.

        Raises:
            NotFoundError: No experiment has this id.
            InvalidInputError: It is the Default experiment.
        """
        self._set_experiment_stage(experiment_id, _ACTIVE)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment.

        Raises:
            NotFoundError: No experiment has this id.
            RunStateError: It is deleted.
            AlreadyExistsError: Another experiment has the name.
        """
        with self._lock:
            experiment = self.get_experiment(experiment_id)
            if experiment.lifecycle_stage != _ACTIVE:
                raise RunStateError(f"Experiment {experiment_id!r} is deleted; restore it first.")
            taken = self.get_experiment_by_name(new_name)
            if taken is not None:  # its own name too, as in MLflow
                raise AlreadyExistsError(f"Experiment {new_name!r} already exists (maybe deleted).")
            self._experiments[experiment_id] = dataclasses.replace(
                experiment, name=new_name, last_update_time=_now()
            )

    def _set_experiment_stage(self, experiment_id: str, stage: LifecycleStage) -> None:
        if stage is _ACTIVE and self.get_experiment(experiment_id).lifecycle_stage == _ACTIVE:
            raise NotFoundError(f"Experiment {experiment_id!r} is not deleted; nothing to restore.")
        if experiment_id == DEFAULT_EXPERIMENT_ID:
            raise InvalidInputError("The Default experiment (id '0') cannot be deleted.")
        with self._lock:
            experiment = self.get_experiment(experiment_id)
            for record in self._runs.values():
                if record.info.experiment_id == experiment_id:
                    record.info = dataclasses.replace(record.info, lifecycle_stage=stage.value)
            self._experiments[experiment_id] = dataclasses.replace(
                experiment, lifecycle_stage=stage.value, last_update_time=_now()
            )
