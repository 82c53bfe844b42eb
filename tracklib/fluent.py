"""The module-level API: ``tracklib.start_run()``, ``tracklib.log_metric()``, ...

Each function is a few lines over the active :class:`~tracklib.run.ActiveRun` (writes) or a
:class:`~tracklib.client.Client` (reads). The active runs form a process-wide stack (nested
runs push onto it); tracklib never starts a run behind the user's back.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tracklib import config, lifecycle, validation
from tracklib.client import Client
from tracklib.entities import Experiment, FileInfo, Metric, Run, RunStatus, RunTag, ViewType
from tracklib.errors import AlreadyExistsError, InvalidInputError, RunStateError
from tracklib.run import ActiveRun
from tracklib.runnames import resolve_run_name
from tracklib.stores.runfiles import RUN_NAME_TAG

_active_runs: list[ActiveRun] = []
_active_experiment: tuple[str, str] | None = None  # (tracking URI, experiment id)
_lock = threading.RLock()
_snapshot: tuple[dict[str, Any], str | None] | None = None  # this process's environment

set_tracking_uri = config.set_tracking_uri
get_tracking_uri = config.get_tracking_uri


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
    client, remote_uri = _logging_client()
    if experiment_id is not None:
        experiment = client.get_experiment(_experiment_by_id(client, remote_uri, experiment_id))
    else:
        experiment = _get_or_create(client, str(experiment_name))
    if experiment.lifecycle_stage != "active":
        raise RunStateError(
            f"Experiment {experiment.name!r} is deleted; restore it with "
            f"Client().restore_experiment({experiment.experiment_id!r}) or pick another name."
        )
    _active_experiment = (client.tracking_uri, experiment.experiment_id)
    return experiment


def _logging_client() -> tuple[Client, str | None]:
    """The client runs are written through, and the server URI when there is one.

    For a server, runs are written to its local spool (see :mod:`tracklib.remote`), so
    experiments and runs are resolved there by name and created on the server by the sender.
    """
    uri = config.get_tracking_uri()
    if not config.is_remote(uri):
        return Client(uri), None
    from tracklib import remote

    return remote.spool_client(uri), uri


def _experiment_by_id(client: Client, remote_uri: str | None, experiment_id: str) -> str:
    """The id in ``client``'s store of the experiment ``experiment_id`` names.

    For a server the id is the server's: its name is read there (an explicit read, which
    raises if the server is unreachable) and mapped to the spool experiment of that name.
    """
    if remote_uri is None:
        return client.get_experiment(experiment_id).experiment_id
    name = Client(remote_uri).get_experiment(experiment_id).name
    return _get_or_create(client, name).experiment_id


def _get_or_create(client: Client, name: str) -> Experiment:
    experiment = client.get_experiment_by_name(validation.validate_experiment_name(name))
    if experiment is None:
        # Another process may create it between our look and our create.
        with contextlib.suppress(AlreadyExistsError):
            client.create_experiment(name)
        experiment = client.get_experiment_by_name(name)
        assert experiment is not None
    return experiment


def get_experiment_by_name(name: str) -> Experiment | None:
    """Return the experiment with this name, or None."""
    return Client().get_experiment_by_name(name)


def get_experiment(experiment_id: str) -> Experiment:
    """Return an experiment by id.

    Raises:
        NotFoundError: No experiment has this id.
    """
    return Client().get_experiment(experiment_id)


def search_experiments(view_type: ViewType | str = ViewType.ACTIVE_ONLY) -> list[Experiment]:
    """Return the experiments of the tracking store (active ones by default)."""
    return Client().search_experiments(view_type)


def _default_experiment_id(client: Client, remote_uri: str | None = None) -> str:
    if _active_experiment is not None and _active_experiment[0] == client.tracking_uri:
        return _active_experiment[1]
    name = config.first_env(config.EXPERIMENT_NAME_VARS)
    if name:
        return _get_or_create(client, name).experiment_id
    experiment_id = config.first_env(config.EXPERIMENT_ID_VARS)
    if experiment_id:
        return _experiment_by_id(client, remote_uri, experiment_id)
    return "0"


# ------------------------------------------------------------------ runs
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
        The new active run.

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
        client, remote_uri = _logging_client()
        resume_id = run_id or _pop_run_id_env()
        if resume_id is not None:
            run = _resume(client, remote_uri, resume_id, run_name, tags, description)
        else:
            if parent_run_id is None and parent is not None:
                parent_run_id = parent.run_id
            exp_id = _experiment_for_new_run(
                client, remote_uri, experiment, experiment_id, parent_run_id
            )
            run = _create(client, remote_uri, exp_id, run_name, parent_run_id, tags, description)
            if config.capture_env_enabled() if capture_env is None else capture_env:
                _record_environment(run)
        _active_runs.append(run)
        lifecycle.install(_end_all_runs)
        return run


def _pop_run_id_env() -> str | None:
    for name in config.RUN_ID_VARS:
        value = os.environ.pop(name, None)
        if value:
            return value
    return None


def _experiment_for_new_run(
    client: Client,
    remote_uri: str | None,
    name: str | None,
    experiment_id: str | None,
    parent_run_id: str | None,
) -> str:
    if name is not None and experiment_id is not None:
        raise InvalidInputError("start_run takes experiment= (a name) or experiment_id=, not both.")
    if experiment_id is not None:
        return _experiment_by_id(client, remote_uri, experiment_id)
    if name is not None:
        return _get_or_create(client, name).experiment_id
    if parent_run_id is not None:
        return client.get_run(parent_run_id).info.experiment_id
    return _default_experiment_id(client, remote_uri)


def _create(
    client: Client,
    remote_uri: str | None,
    experiment_id: str,
    run_name: str | None,
    parent_run_id: str | None,
    tags: Mapping[str, Any] | None,
    description: str | None,
) -> ActiveRun:
    system = {
        "mlflow.user": config.current_user(),
        "mlflow.source.name": sys.argv[0] if sys.argv and sys.argv[0] else "<console>",
        "mlflow.source.type": "LOCAL",
    }
    if parent_run_id is not None:
        system["mlflow.parentRunId"] = client.get_run(parent_run_id).info.run_id
    if description is not None:
        system["mlflow.note.content"] = str(description)
    merged = {**system, **validation.check_mapping(tags or {}, "tags")}
    checked = [
        RunTag(validation.validate_key(k, "tag"), validation.tag_value(k, v))
        for k, v in merged.items()
        if k != RUN_NAME_TAG
    ]
    name = resolve_run_name(run_name, tags)
    args = (experiment_id, str(merged["mlflow.user"]), int(time.time() * 1000), name, checked)
    if remote_uri is None:
        return ActiveRun(client.store, client.store.create_run(*args), on_end=_forget)
    from tracklib import remote

    info = remote.create_run(remote_uri, *args)
    return ActiveRun(client.store, info, on_end=_on_end_remote(remote_uri))


def _record_environment(run: ActiveRun) -> None:
    """Store the environment snapshot with a new run; a failure only warns."""
    global _snapshot
    from tracklib import environment

    try:
        if _snapshot is None:
            snapshot = environment.capture_environment()
            git = snapshot.get("git")
            diff = environment.git_diff(git["root"]) if git and git.get("dirty") else None
            _snapshot = (snapshot, diff)
        else:  # packages, git and host do not change under a running process: reuse them
            snapshot = {**_snapshot[0], "start_time": environment.utc_now()}
            diff = _snapshot[1]
        for name, text in environment.snapshot_files(snapshot, diff).items():
            run.log_text(text, f"environment/{name}")
        run.set_tags(environment.git_tags(snapshot))
    except Exception as exc:  # a snapshot is never worth failing the training job for
        warnings.warn(
            f"tracklib: could not record the environment of run {run.run_id}: {exc}", stacklevel=3
        )


def _resume(
    client: Client,
    remote_uri: str | None,
    run_id: str,
    run_name: str | None,
    tags: Mapping[str, Any] | None,
    description: str | None,
) -> ActiveRun:
    run = client.get_run(run_id)
    if run.info.lifecycle_stage != "active":
        raise RunStateError(f"Run {run_id} is deleted; restore it before resuming it.")
    info = client.store.update_run(run.info.run_id, RunStatus.RUNNING, run.info.end_time)
    if remote_uri is None:
        active = ActiveRun(client.store, info, on_end=_forget)
    else:
        from tracklib import remote

        remote.sender_for(remote_uri).watch(info.run_id)
        active = ActiveRun(client.store, info, on_end=_on_end_remote(remote_uri))
    extra = dict(validation.check_mapping(tags or {}, "tags"))
    if run_name is not None:
        extra[RUN_NAME_TAG] = run_name
    if description is not None:
        extra["mlflow.note.content"] = description
    if extra:  # as MLflow does, arguments given when resuming update the run
        active.set_tags(extra)
    return active


def _forget(run: ActiveRun) -> None:
    with _lock:
        if run in _active_runs:
            _active_runs.remove(run)


def _on_end_remote(uri: str) -> Callable[[ActiveRun], None]:
    def on_end(run: ActiveRun) -> None:
        from tracklib import remote

        _forget(run)
        remote.flush(uri, run.run_id)  # bounded by TRACKLIB_FLUSH_TIMEOUT

    return on_end


def _end_all_runs(status: RunStatus) -> None:
    """End every active run, innermost first (at interpreter exit or on SIGTERM)."""
    while _active_runs:
        _active_runs[-1].end(status)


def active_run() -> ActiveRun | None:
    """Return the innermost active run, or None."""
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


def log_param(key: str, value: Any) -> Any:
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


# ------------------------------------------------------------------ reads
def get_run(run_id: str) -> Run:
    """Return a snapshot of a run (info, params, latest metrics, tags).

    Raises:
        NotFoundError: No run has this id.
    """
    return Client().get_run(run_id)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    """Return every point of a metric in logged order.

    Raises:
        NotFoundError: No run has this id.
    """
    return Client().get_metric_history(run_id, key)


def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    experiment_names: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    output_format: str = "list",
    page_token: str | None = None,
) -> Any:
    """Search runs with MLflow's filter grammar (see :meth:`Client.search_runs`).

    With no experiment given: the default experiment's runs. ``output_format="pandas"``
    returns a DataFrame like ``mlflow.search_runs`` (needs ``tracklib[pandas]``).

    Raises:
        InvalidInputError: A malformed filter or ordering (the message shows where).
        ImportError: output_format="pandas" without pandas installed.
        NotFoundError: A named experiment does not exist.
    """
    client = Client()
    if experiment_ids is None and experiment_names is None:
        experiment_ids = [_default_experiment_id(client)]
    return client.search_runs(
        experiment_ids,
        filter_string,
        run_view_type,
        max_results,
        order_by,
        page_token,
        experiment_names=experiment_names,
        output_format=output_format,
    )


def list_artifacts(run_id: str, path: str | None = None) -> list[FileInfo]:
    """List a run's artifacts directly under ``path``.

    Raises:
        NotFoundError: No run has this id.
    """
    return Client().list_artifacts(run_id, path)


def download_artifacts(
    run_id: str, path: str = "", dst_path: str | os.PathLike[str] | None = None
) -> str:
    """Return a local path holding a run's artifact (copied into ``dst_path`` if given).

    Raises:
        NotFoundError: No such run or artifact.
    """
    return Client().download_artifacts(run_id, path, dst_path)
