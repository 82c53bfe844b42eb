"""Helpers for the interop tests: build stores with tracklib or MLflow, and put what either
library reports for the same store into one comparable, NaN-safe shape."""

from __future__ import annotations

import contextlib
import json
import math
import os
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

import tracklib
from tracklib import settings, testing

# Env vars that steer either library towards another store, experiment or run.
TRACKING_ENV_VARS = (
    *settings.TRACKING_URI_VARS,
    *settings.EXPERIMENT_NAME_VARS,
    *settings.EXPERIMENT_ID_VARS,
    *settings.RUN_ID_VARS,
    *settings.USERNAME_VARS,
)


# ----------------------------------------------------------------- normalised views
def norm_value(value: float | str) -> float | str:
    """A metric value as a comparable item: NaN becomes the string 'nan' (NaN != NaN)."""
    number = float(value)  # the REST API sends NaN/Infinity as JSON strings
    return "nan" if math.isnan(number) else number


def norm_metrics(metrics: Mapping[str, float]) -> dict[str, float | str]:
    return {k: norm_value(v) for k, v in metrics.items()}


def info_view(info: Any) -> dict[str, Any]:
    """The RunInfo fields both libraries expose, with enums as their names."""
    return {
        "run_id": info.run_id,
        "experiment_id": str(info.experiment_id),
        "run_name": info.run_name,
        "user_id": info.user_id,
        "status": str(info.status),
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "lifecycle_stage": str(info.lifecycle_stage),
    }


def data_view(data: Any) -> dict[str, Any]:
    return {
        "params": dict(data.params),
        "metrics": norm_metrics(data.metrics),
        "tags": dict(data.tags),
    }


def run_view(run: Any) -> dict[str, Any]:
    return {"info": info_view(run.info), "data": data_view(run.data)}


@dataclass(frozen=True)
class Point:
    """A metric point as the REST API sends it (value may be 'NaN'/'Infinity')."""

    key: str
    value: float | str
    timestamp: int | str
    step: int | str = 0


def history_view(points: Iterable[Any]) -> list[tuple[str, float | str, int, int]]:
    """Metric points in their given order as (key, value, timestamp, step)."""
    return [(p.key, norm_value(p.value), int(p.timestamp), int(p.step)) for p in points]


def experiment_view(experiment: Any) -> dict[str, Any]:
    return {
        "experiment_id": str(experiment.experiment_id),
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": str(experiment.lifecycle_stage),
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": dict(experiment.tags),
    }


def artifact_tree(list_artifacts: Callable[[str | None], Iterable[Any]]) -> dict[str, Any]:
    """Walk a run's artifacts with either library's ``list_artifacts(path)``.

    Returns ``{path: (is_dir, file_size)}`` for every entry, folders included.
    """
    tree: dict[str, Any] = {}
    pending: list[str | None] = [None]
    while pending:
        for entry in list_artifacts(pending.pop()):
            tree[entry.path] = (entry.is_dir, None if entry.is_dir else entry.file_size)
            if entry.is_dir:
                pending.append(entry.path)
    return tree


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` by its relative POSIX path, with its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# ----------------------------------------------------------------- what a builder logged
@dataclass
class Logged:
    """What a builder logged, by run name, so tests can check a reader against the source."""

    root: Path
    experiments: dict[str, str] = field(default_factory=dict)  # name -> id
    runs: dict[str, str] = field(default_factory=dict)  # run name -> id
    points: dict[str, dict[str, list[tuple[float, int]]]] = field(default_factory=dict)
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    artifacts: dict[str, dict[str, bytes]] = field(default_factory=dict)  # run -> path -> bytes
    dicts: dict[str, dict[str, Any]] = field(default_factory=dict)  # artifact path -> dict

    def point(self, run: str, key: str, value: float, step: int) -> None:
        self.points.setdefault(run, {}).setdefault(key, []).append((value, step))

    @property
    def deleted_experiment(self) -> str:
        return self.experiments["interop-gone"]


CONFIG = {"model": {"layers": [64, 32], "dropout": 0.1}, "name": "lstm", "seed": 7}
ODD_VALUES = [1.5, math.nan, math.inf, -math.inf]  # the last point is the latest one


def make_local_files(work: Path) -> tuple[Path, Path]:
    weights = work / "weights.bin"
    weights.write_bytes(bytes(range(256)) * 4)
    bundle = work / "bundle"
    (bundle / "sub").mkdir(parents=True)
    (bundle / "metrics.csv").write_text("epoch,mse\n0,0.9\n1,0.5\n", encoding="utf-8")
    (bundle / "sub" / "deep.txt").write_text("deep file\n", encoding="utf-8")
    return weights, bundle


def _log_parent(logged: Logged, work: Path) -> None:
    weights, bundle = make_local_files(work)
    tracklib.log_params({"lr": 0.1, "batch_size": 32, "optimizer": "adam", "use_bn": True})
    logged.params["parent"] = {
        "lr": "0.1",
        "batch_size": "32",
        "optimizer": "adam",
        "use_bn": "True",
    }
    for step, mse in enumerate([0.9, 0.5, 0.25]):
        tracklib.log_metrics({"mse": mse, "train/mae": mse * 2, "val/deep/mae": mse * 3}, step=step)
        for key, value in (("mse", mse), ("train/mae", mse * 2), ("val/deep/mae", mse * 3)):
            logged.point("parent", key, value, step)
    for step, value in enumerate(ODD_VALUES):
        tracklib.log_metric("odd", value, step=step)
        logged.point("parent", "odd", value, step)
    tracklib.log_metric("only_nan", math.nan)
    logged.point("parent", "only_nan", math.nan, 0)
    tracklib.log_metric("epochs", 7)  # an int
    tracklib.log_metric("converged", True)  # a bool
    tracklib.log_metric("converged", False, step=1)
    logged.point("parent", "epochs", 7.0, 0)
    logged.point("parent", "converged", 1.0, 0)
    logged.point("parent", "converged", 0.0, 1)
    tracklib.set_tags({"owner": "ana", "stage/phase": "dev"})
    tracklib.log_artifact(weights, "model/checkpoints")
    tracklib.log_artifact(weights)
    tracklib.log_artifacts(bundle, "bundle")
    tracklib.log_text("# notes\nhello ü\n", "notes/readme.md")
    tracklib.log_dict(CONFIG, "config/params.json")
    tracklib.log_dict(CONFIG, "config/params.yaml")
    logged.artifacts["parent"] = {
        "model/checkpoints/weights.bin": weights.read_bytes(),
        "weights.bin": weights.read_bytes(),
        **{f"bundle/{k}": v for k, v in files_under(bundle).items()},
        "notes/readme.md": "# notes\nhello ü\n".encode(),
    }
    logged.dicts = {"config/params.json": CONFIG, "config/params.yaml": CONFIG}


def build_tracklib_store(root: Path, work: Path) -> Logged:
    """Write a varied store with tracklib's fluent API (the tracking URI is left set to it).

    Experiments: Default, 'interop-a' (tags), 'interop-b', and 'interop-gone' (deleted).
    Runs: 'default-run'; 'parent' (every kind of metric, tags, description, artifacts) with
    a nested 'child'; 'crashing' (FAILED); 'to-delete' (deleted); 'gone-run' (in the deleted
    experiment).
    """
    logged = Logged(root=root)
    tracklib.set_tracking_uri(root)
    client = tracklib.Client(root)
    with tracklib.start_run(run_name="default-run") as run:
        tracklib.log_param("lr", 0.5)
        tracklib.log_metric("mse", 3.5)
        logged.runs["default-run"] = run.run_id
        logged.point("default-run", "mse", 3.5, 0)
    logged.experiments["interop-a"] = client.create_experiment(
        "interop-a", tags={"project": "interop", "team/area": "vision"}
    )
    with tracklib.start_run(
        experiment="interop-a",
        run_name="parent",
        tags={"team": "vision"},
        description="A **markdown** note",
    ) as parent:
        logged.runs["parent"] = parent.run_id
        _log_parent(logged, work)
        with tracklib.start_run(nested=True, run_name="child") as child:
            logged.runs["child"] = child.run_id
            tracklib.log_param("fold", 1)
            tracklib.log_metric("mse", 0.3)
            logged.point("child", "mse", 0.3, 0)
    with (
        contextlib.suppress(RuntimeError),
        tracklib.start_run(experiment="interop-b", run_name="crashing") as run,
    ):
        logged.runs["crashing"] = run.run_id
        tracklib.log_param("lr", "0.1")
        tracklib.log_metric("mse", 0.7)
        logged.point("crashing", "mse", 0.7, 0)
        raise RuntimeError("training diverged")
    with tracklib.start_run(experiment="interop-b", run_name="to-delete") as run:
        logged.runs["to-delete"] = run.run_id
        tracklib.log_param("lr", "0.1")
        tracklib.log_metric("mse", 0.1)
        logged.point("to-delete", "mse", 0.1, 0)
    client.delete_run(logged.runs["to-delete"])
    with tracklib.start_run(experiment="interop-gone", run_name="gone-run") as run:
        logged.runs["gone-run"] = run.run_id
        tracklib.log_metric("mse", 0.05)
        logged.point("gone-run", "mse", 0.05, 0)
    for name in ("interop-b", "interop-gone"):
        experiment = client.get_experiment_by_name(name)
        assert experiment is not None
        logged.experiments[name] = experiment.experiment_id
    client.delete_experiment(logged.deleted_experiment)
    logged.experiments["Default"] = "0"
    return logged


@contextlib.contextmanager
def isolated_tracklib(work: Path) -> Iterator[None]:
    """Clean tracklib process state and env for code outside the per-test fixture."""
    with pytest.MonkeyPatch.context() as mp:
        for name in TRACKING_ENV_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("TRACKLIB_CAPTURE_ENV", "0")
        mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        mp.chdir(work)
        try:
            yield
        finally:
            testing.reset()


@contextlib.contextmanager
def mlflow_tracking(root: Path) -> Iterator[None]:
    """Point MLflow's fluent API at a file store at ``root`` for the duration of the block."""
    import mlflow

    with pytest.MonkeyPatch.context() as mp:
        for name in TRACKING_ENV_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        mp.chdir(root.parent)  # anything MLflow writes relative to the cwd stays in tmp
        # mlflow.set_tracking_uri exports MLFLOW_TRACKING_URI: let monkeypatch own the variable.
        mp.setenv("MLFLOW_TRACKING_URI", str(root))
        mlflow.set_tracking_uri(str(root))
        try:
            yield
        finally:
            while mlflow.active_run() is not None:
                mlflow.end_run("KILLED")
            mlflow.set_tracking_uri(None)


# ----------------------------------------------------------------- artifact content checks
def check_downloaded(folder: Path, logged: Logged, run: str) -> None:
    """Assert ``folder`` (a downloaded artifact root) holds what was logged to ``run``."""
    got = files_under(folder)
    for path, data in logged.artifacts[run].items():
        assert got[path] == data, path
    assert json.loads(got["config/params.json"]) == logged.dicts["config/params.json"]
    assert yaml.safe_load(got["config/params.yaml"]) == logged.dicts["config/params.yaml"]
    assert set(got) == set(logged.artifacts[run]) | set(logged.dicts)


# ----------------------------------------------------------------- processes
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def subprocess_env(**extra: str) -> dict[str, str]:
    """This process's env without tracking variables, with the file store allowed."""
    env = {k: v for k, v in os.environ.items() if k not in TRACKING_ENV_VARS}
    env.update(MLFLOW_ALLOW_FILE_STORE="true", **extra)
    return env
