"""The Store protocol: the few methods every backend (file, REST, in-memory) implements.

Stores take values that are already validated and normalised (keys checked, values as
str/float/int, times in ms); validation lives in :mod:`tracklib.validation` and is applied
by :class:`~tracklib.tracking.active_run.ActiveRun` and :class:`~tracklib.tracking.client.Client`
before a store is called.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Protocol

from tracklib.entities import (
    Experiment,
    FileInfo,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)


class Store(Protocol):
    """What a tracking backend offers. Every method may raise ``tracklib.errors`` errors."""

    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        """Create an experiment and return its id."""
        ...

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment (active or deleted) by id."""
        ...

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this name, or None."""
        ...

    def search_experiments(self, view_type: ViewType = ViewType.ACTIVE_ONLY) -> list[Experiment]:
        """Return the experiments in ``view_type``."""
        ...

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""
        ...

    def restore_experiment(self, experiment_id: str) -> None:
        """Undo :meth:`delete_experiment`."""
        ...

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment (AlreadyExistsError if the name is taken)."""
        ...

    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[RunTag] = (),
    ) -> RunInfo:
        """Create a RUNNING run with these tags (``mlflow.runName`` is added)."""
        ...

    def run_ids(self) -> list[str]:
        """Every run id of the store, deleted runs and experiments included."""
        ...

    def get_run(self, run_id: str) -> Run:
        """Return a snapshot of a run."""
        ...

    def update_run(
        self, run_id: str, status: RunStatus, end_time: int | None, run_name: str | None = None
    ) -> RunInfo:
        """Set a run's status and end time (and name, when given)."""
        ...

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        ...

    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`."""
        ...

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Append one metric point (the hot path)."""
        ...

    def log_param(self, run_id: str, key: str, value: str) -> None:
        """Record a param; the same value again is a no-op, a different one an error."""
        ...

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        """Set (overwrite) a tag."""
        ...

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a tag (NotFoundError if the run has no such tag)."""
        ...

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log many entities; param conflicts are found before anything is written."""
        ...

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every point of a metric in logged order ([] for an unknown key)."""
        ...

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[Run], str | None]:
        """Return one page of runs and the token of the next page (None on the last)."""
        ...

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None
    ) -> None:
        """Store a local file under the run's artifacts."""
        ...

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None
    ) -> None:
        """Store a local folder's content under the run's artifacts."""
        ...

    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        """Store bytes as one artifact file."""
        ...

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List the artifacts directly under ``path``."""
        ...

    def download_artifacts(
        self, run_id: str, path: str | None, dst_path: str | os.PathLike[str] | None
    ) -> str:
        """Return a local path holding the artifact (copied to ``dst_path`` when given)."""
        ...
