"""How ``start_run`` builds a run: experiment, system tags, creation or resume, snapshot.

The fluent API keeps the process state (active runs, the set experiment) and calls these
with the :class:`~tracklib.tracking.targets.Target` of the tracking URI: a local store, or a
server through its local spool (where experiments are resolved by name).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from tracklib import settings, tags, validation
from tracklib.errors import InvalidInputError, RunStateError
from tracklib.tags import RUN_NAME as RUN_NAME_TAG
from tracklib.tracking.active_run import ActiveRun
from tracklib.tracking.runnames import resolve_run_name
from tracklib.tracking.targets import Target

NOTE_TAG = tags.NOTE
# This process's environment snapshot and its rendered files.
_snapshot: tuple[dict[str, Any], dict[str, str]] | None = None


def default_experiment_id(target: Target, active: tuple[str, str] | None) -> str:
    """The experiment of a run started without one: set_experiment's, else the env's, else 0."""
    if active is not None and active[0] == target.client.tracking_uri:
        return active[1]
    name = settings.first_env(settings.EXPERIMENT_NAME_VARS)
    experiment_id = settings.first_env(settings.EXPERIMENT_ID_VARS)
    if name:
        found = target.get_or_create_experiment(name).experiment_id
        if experiment_id and not target.same_experiment(found, experiment_id):
            raise InvalidInputError(
                f"The experiment name ({name!r}, id {found}) and the experiment id "
                f"({experiment_id}) in the environment disagree; unset one of them."
            )
        return found
    if experiment_id:
        return target.experiment_by_id(experiment_id)
    return "0"


# ------------------------------------------------------------------ runs
def pop_run_id_env() -> str | None:
    """Take the run id to resume from TRACKLIB_RUN_ID / MLFLOW_RUN_ID (MLflow unsets it)."""
    for name in settings.RUN_ID_VARS:
        value = os.environ.pop(name, None)
        if value:
            return value
    return None


def experiment_for_new_run(
    target: Target,
    name: str | None,
    experiment_id: str | None,
    parent_run_id: str | None,
    active: tuple[str, str] | None,
) -> str:
    if name is not None and experiment_id is not None:
        raise InvalidInputError("start_run takes experiment= (a name) or experiment_id=, not both.")
    if experiment_id is not None:
        return target.experiment_by_id(experiment_id)
    if name is not None:
        return target.get_or_create_experiment(name).experiment_id
    if parent_run_id is not None:
        return target.client.get_run(parent_run_id).info.experiment_id
    return default_experiment_id(target, active)


def create(
    target: Target,
    experiment_id: str,
    run_name: str | None,
    parent_run_id: str | None,
    tags: Mapping[str, Any] | None,
    description: str | None,
    on_end: Callable[[ActiveRun], None],
) -> ActiveRun:
    """Create a run with MLflow's system tags (on the server too, for a server target)."""
    system = {
        "mlflow.user": settings.current_user(),
        "mlflow.source.name": sys.argv[0] if sys.argv and sys.argv[0] else "<console>",
        "mlflow.source.type": "LOCAL",
    }
    if parent_run_id is not None:
        system["mlflow.parentRunId"] = target.client.get_run(parent_run_id).info.run_id
    user_tags = validation.check_mapping(tags or {}, "tags")
    if description is not None:
        noted = user_tags.get(NOTE_TAG)
        if noted is not None and str(noted) != str(description):
            raise InvalidInputError(
                f"description={description!r} and the tag {NOTE_TAG}={noted!r} disagree; give one."
            )
        system[NOTE_TAG] = str(description)
    merged = {**system, **user_tags}
    checked = [validation.run_tag(k, v) for k, v in merged.items() if k != RUN_NAME_TAG]
    name = resolve_run_name(run_name, tags)
    user = str(merged["mlflow.user"])
    info = target.create_run(experiment_id, user, int(time.time() * 1000), name, checked)
    return ActiveRun(target.client.store, info, on_end=on_end)


def forget_snapshot() -> None:
    """Take the environment snapshot anew at the next run (it is taken once per process)."""
    global _snapshot
    _snapshot = None


def record_environment(run: ActiveRun) -> None:
    """Store the environment snapshot with a new run; a failure only warns."""
    global _snapshot  # taken once per process
    from tracklib.environment import capture

    try:
        if _snapshot is None:
            snapshot = capture.capture_environment()
            git = snapshot.get("git")
            diff = capture.git_diff(git["root"]) if git and git.get("dirty") else None
            _snapshot = (snapshot, capture.snapshot_files(snapshot, diff))
            files = _snapshot[1]
        else:  # packages, git and host do not change under a running process: reuse them
            first, files = _snapshot
            snapshot = {**first, "start_time": capture.utc_now()}
            stamped = capture.restamp_metadata(
                files["metadata.json"], first, snapshot["start_time"]
            )
            files = {**files, "metadata.json": stamped}
        for name, text in files.items():
            run.log_text(text, f"environment/{name}")
        run.set_tags(capture.git_tags(snapshot))
    except Exception as exc:  # a snapshot is never worth failing the training job for
        from tracklib.logger import get_logger

        get_logger().warning("could not record the environment of run %s: %s", run.run_id, exc)


def resume(
    target: Target,
    run_id: str,
    run_name: str | None,
    tags: Mapping[str, Any] | None,
    description: str | None,
    on_end: Callable[[ActiveRun], None],
) -> ActiveRun:
    """Reopen a run (RUNNING again); arguments given now update it, as in MLflow."""
    run = target.client.get_run(run_id)
    if run.info.lifecycle_stage != "active":
        raise RunStateError(f"Run {run_id} is deleted; restore it before resuming it.")
    info = target.resume_run(run.info.run_id, run.info.end_time)
    active = ActiveRun(target.client.store, info, on_end=on_end)
    extra = dict(validation.check_mapping(tags or {}, "tags"))
    if run_name is not None:
        extra[RUN_NAME_TAG] = run_name
    if description is not None:
        extra[NOTE_TAG] = description
    if extra:  # as MLflow does, arguments given when resuming update the run
        active.set_tags(extra)
    return active
