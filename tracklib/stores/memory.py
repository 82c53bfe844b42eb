"""The in-memory store behind ``memory:`` tracking URIs (public face: :mod:`tracklib.testing`).

It keeps the file store's rules (immutable params, latest metric = max by (step, timestamp,
value), deleted runs read-only, Default not deletable, ``a`` and ``a/b`` never both keys), so
a test that passes on it holds on disk too. Artifacts are kept as bytes (empty folders are not).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence

from tracklib.entities import (
    Experiment,
    FileInfo,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from tracklib.errors import InvalidInputError, NotFoundError, RunStateError
from tracklib.query import grammar, results
from tracklib.stores.file.experiments import DEFAULT_EXPERIMENT_ID
from tracklib.stores.file.search import page
from tracklib.stores.memory_artifacts import ArtifactTree, check_clash
from tracklib.stores.memory_experiments import MemoryExperiments, _now
from tracklib.tags import RUN_NAME
from tracklib.validation import param_conflict

MEMORY_SCHEME = "memory:"
_ACTIVE, _DELETED = LifecycleStage.ACTIVE, LifecycleStage.DELETED


@dataclasses.dataclass
class _RunRecord:
    info: RunInfo
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    metrics: dict[str, list[Metric]] = dataclasses.field(default_factory=dict)
    artifacts: ArtifactTree = dataclasses.field(default_factory=lambda: ArtifactTree())


class InMemoryStore(MemoryExperiments):
    """A :class:`tracklib.stores.base.Store` in this process's memory (thread-safe).

    It starts with the Default experiment (id ``'0'``). Every method raises what the
    file store raises: NotFoundError for an unknown id, RunStateError for writes to a deleted
    run, InvalidInputError for bad input.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        now = _now()
        default = Experiment(DEFAULT_EXPERIMENT_ID, "Default", "memory:/0", "active", now, now)
        self._experiments: dict[str, Experiment] = {DEFAULT_EXPERIMENT_ID: default}
        self._runs: dict[str, _RunRecord] = {}

    # ----------------------------------------------------------------- runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[RunTag] = (),
    ) -> RunInfo:
        """Create a RUNNING run with these tags plus ``mlflow.runName``.

        Raises:
            NotFoundError: The experiment does not exist.
            RunStateError: The experiment is deleted.
        """
        with self._lock:
            experiment = self.get_experiment(experiment_id)
            if experiment.lifecycle_stage != _ACTIVE:
                raise RunStateError(f"Experiment {experiment.name!r} is deleted; restore it.")
            run_id = uuid.uuid4().hex
            uri = f"{experiment.artifact_location}/{run_id}/artifacts"
            status = RunStatus.RUNNING
            info = RunInfo(run_id, experiment_id, run_name, user_id, status, start_time, None, uri)
            record = _RunRecord(info)
            self._write(record, (), [*tags, RunTag(RUN_NAME, run_name)], ())
            self._runs[run_id] = record
            return info

    def _record(self, run_id: str, writable: bool = False) -> _RunRecord:
        record = self._runs.get(run_id)
        if record is None:
            raise NotFoundError(f"Run {run_id!r} not found.")
        if writable and record.info.lifecycle_stage != _ACTIVE:
            raise RunStateError(f"Run {run_id} is deleted; restore it to log to it.")
        return record

    def run_ids(self) -> list[str]:
        """Every run id of the store, deleted runs and experiments included."""
        with self._lock:
            return list(self._runs)

    def get_run(self, run_id: str) -> Run:
        """Return a snapshot of a run.

        Raises:
            NotFoundError: No run has this id.
        """
        with self._lock:
            record = self._record(run_id)
            latest = {
                key: max(points, key=lambda m: (m.step, m.timestamp, m.value)).value
                for key, points in record.metrics.items()
            }
            return Run(record.info, RunData(latest, dict(record.params), dict(record.tags)))

    def update_run(
        self, run_id: str, status: RunStatus, end_time: int | None, run_name: str | None = None
    ) -> RunInfo:
        """Set a run's status and end time (and name, kept in sync with ``mlflow.runName``).

        Raises:
            NotFoundError: No run has this id.
            RunStateError: The run is deleted.
        """
        with self._lock:
            record = self._record(run_id, writable=True)
            record.info = dataclasses.replace(record.info, status=status, end_time=end_time)
            if run_name is not None:
                self._write(record, (), [RunTag(RUN_NAME, run_name)], ())
            return record.info

    def delete_run(self, run_id: str) -> None:
        """Mark a run deleted (it stays readable and restorable, not writable).

        Raises:
            NotFoundError: No run has this id.
        """
        with self._lock:
            record = self._record(run_id)
            record.info = dataclasses.replace(record.info, lifecycle_stage=_DELETED.value)

    def restore_run(self, run_id: str) -> None:
        """Mark a deleted run active again.

        Raises:
            NotFoundError: No run has this id.
        """
        with self._lock:
            record = self._record(run_id)
            record.info = dataclasses.replace(record.info, lifecycle_stage=_ACTIVE.value)

    # ----------------------------------------------------------------- logging
    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Append one metric point; see :meth:`log_batch`."""
        self.log_batch(run_id, metrics=[Metric(key, value, timestamp, step)])

    def log_param(self, run_id: str, key: str, value: str) -> None:
        """Record a param; see :meth:`log_batch`."""
        self.log_batch(run_id, params=[Param(key, value)])

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        """Set (overwrite) a tag; ``mlflow.runName`` renames the run. See :meth:`log_batch`."""
        self.log_batch(run_id, tags=[RunTag(key, value)])

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a tag.

        Raises:
            NotFoundError: No run has this id, or it has no such tag.
            RunStateError: The run is deleted.
        """
        with self._lock:
            record = self._record(run_id, writable=True)
            if record.tags.pop(key, None) is None:
                raise NotFoundError(f"Run {run_id} has no tag {key!r}.")

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log params, tags and metrics; everything is checked before anything is stored.

        Raises:
            NotFoundError: No run has this id.
            RunStateError: The run is deleted.
            InvalidInputError: A param exists (or repeats in the batch) with another value,
                or a key clashes with another (``a`` vs ``a/b``).
        """
        with self._lock:
            self._write(self._record(run_id, writable=True), params, tags, metrics)

    def _write(
        self,
        record: _RunRecord,
        params: Iterable[Param],
        tags: Sequence[RunTag],
        metrics: Sequence[Metric],
    ) -> None:
        new_params: dict[str, str] = {}
        for param in params:
            old = new_params.get(param.key, record.params.get(param.key))
            if old is not None and old != param.value:
                raise param_conflict(param.key, old, param.value)
            new_params[param.key] = param.value
        for kind, existing, keys in (
            ("param", record.params, list(new_params)),
            ("tag", record.tags, [t.key for t in tags]),
            ("metric", record.metrics, [m.key for m in metrics]),
        ):
            seen = set(existing)
            for key in (k for k in keys if k not in existing):
                check_clash(kind, seen, key)
                seen.add(key)
        record.params.update(new_params)
        for tag in tags:
            record.tags[tag.key] = tag.value
            if tag.key == RUN_NAME:
                record.info = dataclasses.replace(record.info, run_name=tag.value)
        for metric in metrics:
            record.metrics.setdefault(metric.key, []).append(metric)

    # ----------------------------------------------------------------- reads
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every point of a metric in logged order ([] for an unknown key).

        Raises:
            NotFoundError: No run has this id.
        """
        with self._lock:
            return list(self._record(run_id).metrics.get(key, ()))

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[Run], str | None]:
        """Return one page of the runs matching MLflow's filter grammar, in MLflow's order
        (``order_by`` keys, then newest first, then run id), and the next page's token.

        Raises:
            InvalidInputError: A malformed filter, order_by or page token, or
                max_results negative or above 50,000.
            NotFoundError: An experiment does not exist.
        """
        query = grammar.parse_query(filter_string, order_by)
        with self._lock:
            ids = {self.get_experiment(i).experiment_id for i in experiment_ids}
            runs = [
                self.get_run(run_id)
                for run_id, record in self._runs.items()
                if record.info.experiment_id in ids
                and view_type.admits(record.info.lifecycle_stage)
            ]
        return page(results.filter_and_sort(runs, query), max_results, page_token)

    # ----------------------------------------------------------------- artifacts
    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None
    ) -> None:
        """Store a local file's bytes under ``artifact_path``.

        Raises:
            InvalidInputError: The file is missing or ``artifact_path`` escapes the run.
        """
        self._record(run_id, writable=True)
        self._put(run_id, ArtifactTree.read_file(local_path, artifact_path))

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None
    ) -> None:
        """Store the files of a local folder (recursively) under ``artifact_path``.

        Raises:
            InvalidInputError: The folder is missing or ``artifact_path`` escapes the run.
        """
        self._record(run_id, writable=True)
        self._put(run_id, ArtifactTree.read_folder(local_dir, artifact_path))

    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        """Store bytes as the artifact file ``artifact_file``.

        Raises:
            InvalidInputError: ``artifact_file`` is empty or escapes the run.
        """
        self._put(run_id, ArtifactTree.one_file(data, artifact_file))

    def _put(self, run_id: str, files: Mapping[str, bytes]) -> None:
        with self._lock:
            self._record(run_id, writable=True).artifacts.put(files)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List the artifacts directly under ``path`` (run-relative paths, sorted).

        Raises:
            NotFoundError: No run has this id.
        """
        with self._lock:
            return self._record(run_id).artifacts.list(path)

    def download_artifacts(
        self, run_id: str, path: str | None, dst_path: str | os.PathLike[str] | None
    ) -> str:
        """Write an artifact file or folder into ``dst_path`` (default: a new temporary folder).

        Returns:
            ``<dst>/<basename of path>``, or ``<dst>/artifacts`` for the whole run.

        Raises:
            NotFoundError: No such run or artifact.
        """
        with self._lock:
            tree = self._record(run_id).artifacts
        return tree.download(path, dst_path, run_id)


_memory_stores: dict[str, InMemoryStore] = {}
_registry_lock = threading.Lock()


def memory_store(uri: str = MEMORY_SCHEME) -> InMemoryStore:
    """Return the process's store for a ``memory:`` URI (what ``open_store(uri)`` returns).

    Raises:
        InvalidInputError: ``uri`` does not start with ``memory:``.
    """
    if not uri.startswith(MEMORY_SCHEME):
        raise InvalidInputError(f"{uri!r} is not an in-memory store URI ('memory:...').")
    with _registry_lock:
        return _memory_stores.setdefault(uri, InMemoryStore())


def forget_memory_store(uri: str) -> None:
    """Drop the store behind ``uri`` from the registry (a later ``memory_store(uri)`` is new)."""
    with _registry_lock:
        _memory_stores.pop(uri, None)


def forget_memory_stores() -> None:
    """Drop every in-memory store of the process."""
    with _registry_lock:
        _memory_stores.clear()
