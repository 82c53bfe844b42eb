"""The module-level API: ``tracklib.start_run()``, ``tracklib.log_metric()``, ...

Each function is a few lines over the active
:class:`~tracklib.tracking.active_run.ActiveRun` (writes) or a
:class:`~tracklib.tracking.client.Client` (reads). The active runs form a process-wide stack (nested
runs push onto it); tracklib never starts a run behind the user's back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tracklib import settings
from tracklib.entities import Experiment, RunStatus
from tracklib.errors import InvalidInputError, RunStateError
from tracklib.tracking import lifecycle, ranks, reads, start, targets
from tracklib.tracking.active_run import ActiveRun
from tracklib.tracking.silent_run import SilentRun

V = TypeVar("V")

_active_runs: list[ActiveRun] = []
_active_experiment: tuple[str, str] | None = None  # (tracking URI, experiment id)
_lock = threading.RLock()

set_tracking_uri = settings.set_tracking_uri
get_tracking_uri = settings.get_tracking_uri

# The read functions live in tracklib.tracking.reads; tracklib's names point here.
get_experiment_by_name = reads.get_experiment_by_name
get_experiment = reads.get_experiment
search_experiments = reads.search_experiments
get_run = reads.get_run
get_metric_history = reads.get_metric_history
search_runs = reads.search_runs
list_artifacts = reads.list_artifacts
download_artifacts = reads.download_artifacts


# ------------------------------------------------------------------ experiments
def set_experiment(
    experiment_name: str | None = None, experiment_id: str | None = None
) -> Experiment:
    """Make an experiment the default for new runs; a named one is created if missing.

    Raises:
        InvalidInputError: Neither or both of name and id are given, or the name is invalid.
        NotFoundError: ``experiment_id`` does not exist.
        RunStateError: The experiment is deleted.
    """
    global _active_experiment
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidInputError(
            "set_experiment takes exactly one of experiment_name, experiment_id."
        )
    target = targets.current()
    if experiment_id is not None:
        experiment = target.client.get_experiment(target.experiment_by_id(experiment_id))
    else:
        experiment = target.get_or_create_experiment(str(experiment_name))
    if experiment.lifecycle_stage != "active":
        raise RunStateError(
            f"Experiment {experiment.name!r} is deleted; restore it with "
            f"Client().restore_experiment({experiment.experiment_id!r}) or pick another name."
        )
    _active_experiment = (target.client.tracking_uri, experiment.experiment_id)
    return experiment


def start_run(
    run_id: str | None = None,
    experiment: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: Mapping[str, Any] | None = None,
    description: str | None = None,
    capture_env: bool | None = None,
) -> ActiveRun:
    """Start (or resume) a run and make it the active one; use it as a context manager.

    Args:
        run_id: Resume this run instead of creating one (default: ``TRACKLIB_RUN_ID``, then
            ``MLFLOW_RUN_ID``).
        experiment: Experiment name (created if missing).
        experiment_id: Experiment id (must exist).
        run_name: The run's name (default: a generated one such as ``calm-owl-42``).
        nested: Start a child of the active run (tag ``mlflow.parentRunId``).
        parent_run_id: Make the new run a child of this run.
        tags: Extra tags; they override the system tags.
        description: Markdown description (tag ``mlflow.note.content``).
        capture_env: Record the environment (packages, Python, platform, git) under the
            run's ``environment/`` artifacts; default on unless ``TRACKLIB_CAPTURE_ENV=0``.

    Returns:
        The new active run; on a non-zero rank of a distributed job, a run whose calls do
        nothing (unless ``TRACKLIB_LOG_ALL_RANKS=1``; see :mod:`tracklib.tracking.ranks`).

    Raises:
        RunStateError: A run is active and ``nested`` is False, or the run to resume is
            deleted.
        InvalidInputError: Bad tags, or arguments that contradict each other.
        NotFoundError: The run to resume, the parent or the experiment does not exist.
    """
    with _lock:
        parent = _active_runs[-1] if _active_runs else None
        if parent is not None and not nested:
            raise RunStateError(
                f"Run {parent.run_id} is already active. To start a child run, call "
                "start_run(nested=True); to start a separate run, end the active one first "
                "(end_run() or leave its `with` block)."
            )
        # -- rank-aware (issue 13): a non-zero rank gets a run that writes nothing
        if not ranks.should_log():
            silent = SilentRun(ranks.global_rank(), on_end=_forget)
            _active_runs.append(silent)
            return silent
        # -- end rank-aware
        target = targets.current()
        resume_id = run_id or start.pop_run_id_env()
        if resume_id is not None:
            on_end = _on_end(target)
            run = start.resume(target, resume_id, run_name, tags, description, on_end)
        else:
            if parent_run_id is None and parent is not None:
                parent_run_id = parent.run_id
            exp_id = start.experiment_for_new_run(
                target, experiment, experiment_id, parent_run_id, _active_experiment
            )
            run = start.create(
                target, exp_id, run_name, parent_run_id, tags, description, _on_end(target)
            )
            if settings.capture_env_enabled() if capture_env is None else capture_env:
                start.record_environment(run)
        _active_runs.append(run)
        lifecycle.install(_end_all_runs)
        return run


def _forget(run: ActiveRun) -> None:
    with _lock:
        if run in _active_runs:
            _active_runs.remove(run)


def _on_end(target: targets.Target) -> Callable[[ActiveRun], None]:
    """What ending a run does beyond its store: leave the stack, then the target's part."""

    def on_end(run: ActiveRun) -> None:
        _forget(run)
        target.end_run(run.run_id)  # for a server: bounded by TRACKLIB_FLUSH_TIMEOUT

    return on_end


def _end_all_runs(status: RunStatus) -> None:
    """End every active run, innermost first (at interpreter exit or on SIGTERM)."""
    while _active_runs:
        _active_runs[-1].end(status)


def reset() -> None:
    """End every active run as KILLED and forget the active experiment (for tests)."""
    global _active_experiment
    _end_all_runs(RunStatus.KILLED)
    _active_experiment = None


def active_run() -> ActiveRun | None:
    """Return the innermost active run, or None.

    On a process that does not log (a non-zero rank, see :mod:`tracklib.tracking.ranks`), the run
    ``start_run()`` returned there: a :class:`~tracklib.tracking.silent_run.SilentRun`.
    """
    return _active_runs[-1] if _active_runs else None


def end_run(status: str = "FINISHED") -> None:
    """End the innermost active run (nothing happens when no run is active).

    Raises:
        InvalidInputError: ``status`` is not FINISHED, FAILED or KILLED.
    """
    run = active_run()
    if run is not None:
        run.end(status)


def _require_run() -> ActiveRun:
    run = active_run()
    if run is None:
        raise RunStateError(
            "No active run: call tracklib.start_run() first (e.g. `with tracklib.start_run():`). "
            "tracklib never starts a run implicitly."
        )
    return run


# ------------------------------------------------------------------ logging
def log_metric(
    key: str, value: float, step: int | None = None, timestamp: int | None = None
) -> None:
    """Log a metric point to the active run; see :meth:`ActiveRun.log_metric`.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: Bad key, value, step or timestamp.
    """
    run = _active_runs[-1] if _active_runs else _require_run()
    run.log_metric(key, value, step, timestamp)


def log_metrics(
    metrics: Mapping[str, float], step: int | None = None, timestamp: int | None = None
) -> None:
    """Log several metrics to the active run; see :meth:`ActiveRun.log_metrics`.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: Any key or value is invalid (nothing is written then).
    """
    _require_run().log_metrics(metrics, step, timestamp)


def log_param(key: str, value: V) -> V:
    """Log a param to the active run; see :meth:`ActiveRun.log_param`.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: Bad key, or the param was logged with another value.
    """
    return _require_run().log_param(key, value)


def log_params(params: Mapping[str, Any]) -> None:
    """Log several params to the active run; see :meth:`ActiveRun.log_params`.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: A bad key or a conflicting value (nothing is written then).
    """
    _require_run().log_params(params)


def set_tag(key: str, value: Any) -> None:
    """Set a tag on the active run; see :meth:`ActiveRun.set_tag`.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: Bad key.
    """
    _require_run().set_tag(key, value)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags on the active run; see :meth:`ActiveRun.set_tags`.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: A bad key (nothing is written then).
    """
    _require_run().set_tags(tags)


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Copy a local file into the active run's artifacts; see :meth:`ActiveRun.log_artifact`.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: Missing file, or a target outside the run's artifact folder.
    """
    _require_run().log_artifact(local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Copy a folder's content into the active run's artifacts; see :meth:`ActiveRun.log_artifacts`.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: Missing folder, or a target outside the run's artifact folder.
    """
    _require_run().log_artifacts(local_dir, artifact_path)


def log_text(text: str, artifact_file: str) -> None:
    """Save text as an artifact file of the active run.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: ``artifact_file`` would leave the run's artifact folder.
    """
    _require_run().log_text(text, artifact_file)


def log_dict(dictionary: Mapping[str, Any], artifact_file: str) -> None:
    """Save a dict as a JSON or YAML (by extension) artifact file of the active run.

    Raises:
        RunStateError: No run is active.
        InvalidInputError: Unserialisable dict, or a path outside the artifact folder.
    """
    _require_run().log_dict(dictionary, artifact_file)
