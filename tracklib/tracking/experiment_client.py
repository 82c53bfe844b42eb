"""ExperimentClient: the experiment methods of :class:`tracklib.Client`, like MlflowClient's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tracklib import validation
from tracklib.entities import Experiment, ViewType
from tracklib.errors import NotFoundError
from tracklib.stores.base import Store


class ExperimentClient:
    """The experiment half of :class:`tracklib.Client`: create, read, delete, rename."""

    store: Store

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, Any] | None = None
    ) -> str:
        """Create an experiment and return its id.

        Raises:
            InvalidInputError: Bad name or tag key.
            AlreadyExistsError: The name is taken (also by a deleted experiment).
        """
        validation.validate_experiment_name(name)
        checked = {validation.validate_key(k, "tag"): str(v) for k, v in (tags or {}).items()}
        return self.store.create_experiment(name, artifact_location, checked)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment by id.

        Raises:
            NotFoundError: No experiment has this id.
        """
        return self.store.get_experiment(validation.validate_experiment_id(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this name, or None."""
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self, view_type: ViewType | str = ViewType.ACTIVE_ONLY
    ) -> list[Experiment]:
        """Return the experiments (active ones by default), newest first.

        Raises:
            InvalidInputError: ``view_type`` is not ACTIVE_ONLY, DELETED_ONLY or ALL.
        """
        return self.store.search_experiments(validation.view_type(view_type))

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs (moved to ``.trash``).

        Raises:
            NotFoundError: No experiment has this id.
            InvalidInputError: It is the Default experiment.
        """
        self.store.delete_experiment(validation.validate_experiment_id(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Undo :meth:`delete_experiment`.

        Raises:
            NotFoundError: No deleted experiment has this id (as in MLflow, also when the
                experiment exists but is active).
        """
        self.store.restore_experiment(validation.validate_experiment_id(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an active experiment a new name, like ``MlflowClient.rename_experiment``.

        Raises:
            InvalidInputError: The name is empty or too long.
            NotFoundError: No experiment has this id.
            AlreadyExistsError: Another experiment (possibly deleted) has the name.
            RunStateError: The experiment is deleted.
        """
        self.store.rename_experiment(
            validation.validate_experiment_id(experiment_id),
            validation.validate_experiment_name(new_name),
        )

    def _experiment_ids(
        self, experiment_ids: Sequence[str] | str | None, names: Sequence[str] | None
    ) -> list[str]:
        if isinstance(experiment_ids, str):
            experiment_ids = [experiment_ids]
        ids = [validation.validate_experiment_id(i) for i in experiment_ids or ()]
        for name in names or ():
            experiment = self.store.get_experiment_by_name(name)
            if experiment is None:
                raise NotFoundError(f"No experiment named {name!r}.")
            ids.append(experiment.experiment_id)
        if experiment_ids is None and names is None:
            ids = [e.experiment_id for e in self.store.search_experiments()]
        return ids
