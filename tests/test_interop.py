"""Interop with the real MLflow 3.17.2, both ways: MLflow reads, extends, migrates and serves
stores that tracklib wrote, and tracklib reads and extends stores that MLflow wrote.

Every expectation comes from a reference (what was logged, what tracklib's reader reports,
what MLflow reports, the files on disk), never from hard-coded output of tracklib.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow
import mlflow_helpers as h
import pytest
import requests
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException

import tracklib
from tracklib.errors import InvalidInputError

# MLflow's SQL store triggers this SQLAlchemy deprecation on every open; it is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy is deprecated")

ALL_VIEWS = [
    (MlflowViewType.ACTIVE_ONLY, tracklib.ViewType.ACTIVE_ONLY),
    (MlflowViewType.DELETED_ONLY, tracklib.ViewType.DELETED_ONLY),
    (MlflowViewType.ALL, tracklib.ViewType.ALL),
]
SERVER_START_TIMEOUT = 60.0
# Points logged with a dataset (5-field metric lines); later points have later timestamps, so
# MLflow's FileStore, which reads their step as 0, still picks the same latest value.
DATASET_METRIC = "with_dataset"
DATASET_POINTS = [(1_700_000_000_000, 0.25, 0), (1_700_000_001_000, 0.5, 1)]


# ---- fixtures
@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> h.Logged:
    """A varied store written by tracklib, shared read-only by the reading tests."""
    work = tmp_path_factory.mktemp("tracklib-written")
    with h.isolated_tracklib(work):
        return h.build_tracklib_store(work / "mlruns", work)


@pytest.fixture
def fresh(tmp_path: Path) -> h.Logged:
    """The same kind of store, private to one test (which may change it)."""
    return h.build_tracklib_store(tmp_path / "mlruns", tmp_path)


@pytest.fixture
def reader(written: h.Logged) -> tuple[mlflow.MlflowClient, tracklib.Client]:
    return mlflow.MlflowClient(tracking_uri=str(written.root)), tracklib.Client(written.root)


def all_runs(client: tracklib.Client) -> list[tracklib.Run]:
    """Every run of the store, deleted ones and those of deleted experiments included."""
    ids = [e.experiment_id for e in client.search_experiments(tracklib.ViewType.ALL)]
    return list(client.search_runs(ids, run_view_type=tracklib.ViewType.ALL))


# ---- 1. tracklib writes, MLflow reads
@pytest.mark.parametrize(("ml_view", "tl_view"), ALL_VIEWS)
def test_mlflow_search_experiments_matches_tracklib(
    reader: tuple[mlflow.MlflowClient, tracklib.Client], ml_view: int, tl_view: Any
) -> None:
    ml, tl = reader
    # Same experiments, same fields, same order (newest first, then by id).
    theirs = [h.experiment_view(e) for e in ml.search_experiments(ml_view)]
    ours = [h.experiment_view(e) for e in tl.search_experiments(tl_view)]
    assert theirs == ours
    assert theirs  # every view has at least one experiment in this store


def test_mlflow_sees_each_logged_experiment(
    written: h.Logged, reader: tuple[mlflow.MlflowClient, tracklib.Client]
) -> None:
    ml, tl = reader
    active = {e.name for e in ml.search_experiments(MlflowViewType.ACTIVE_ONLY)}
    deleted = {e.name for e in ml.search_experiments(MlflowViewType.DELETED_ONLY)}
    assert active == set(written.experiments) - {"interop-gone"}
    assert deleted == {"interop-gone"}
    for name, experiment_id in written.experiments.items():
        theirs = ml.get_experiment_by_name(name)
        ours = tl.get_experiment_by_name(name)
        assert theirs is not None and ours is not None
        assert theirs.experiment_id == experiment_id
        assert h.experiment_view(theirs) == h.experiment_view(ours)
        assert h.experiment_view(ml.get_experiment(experiment_id)) == h.experiment_view(ours)
    assert ml.get_experiment_by_name("interop-a").tags == {
        "project": "interop",
        "team/area": "vision",
    }


def test_mlflow_get_run_matches_tracklib(
    written: h.Logged, reader: tuple[mlflow.MlflowClient, tracklib.Client]
) -> None:
    ml, tl = reader
    for name, run_id in written.runs.items():
        ours = tl.get_run(run_id)
        theirs = ml.get_run(run_id)
        assert h.run_view(theirs) == h.run_view(ours), name
        assert theirs.info.run_name == name
        assert theirs.data.tags["mlflow.runName"] == name


def test_mlflow_reads_run_fields_as_logged(
    written: h.Logged, reader: tuple[mlflow.MlflowClient, tracklib.Client]
) -> None:
    ml, _ = reader
    runs = {name: ml.get_run(run_id) for name, run_id in written.runs.items()}
    parent, child = runs["parent"], runs["child"]
    assert parent.data.params == written.params["parent"]
    assert parent.data.tags["mlflow.note.content"] == "A **markdown** note"
    assert parent.data.tags["team"] == "vision"
    assert parent.data.tags["stage/phase"] == "dev"
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.info.experiment_id == parent.info.experiment_id == written.experiments["interop-a"]
    assert runs["default-run"].info.experiment_id == "0"
    expected_status = {"crashing": "FAILED"}
    for name, run in runs.items():
        assert run.info.status == expected_status.get(name, "FINISHED"), name
        assert run.info.start_time <= run.info.end_time
        assert run.info.user_id == run.data.tags["mlflow.user"]
    stages = {name: run.info.lifecycle_stage for name, run in runs.items()}
    assert {name for name, stage in stages.items() if stage == "deleted"} == {
        "to-delete",
        "gone-run",
    }
    # Latest value per key: the point with the largest step (MLflow's rule), as logged.
    for name, keys in written.points.items():
        latest = {k: max(points, key=lambda p: p[1])[0] for k, points in keys.items()}
        assert h.norm_metrics(runs[name].data.metrics) == h.norm_metrics(latest), name


def test_mlflow_metric_history_matches_logged_points(
    written: h.Logged, reader: tuple[mlflow.MlflowClient, tracklib.Client]
) -> None:
    ml, tl = reader
    for name, keys in written.points.items():
        run_id = written.runs[name]
        for key, points in keys.items():
            theirs = ml.get_metric_history(run_id, key)
            assert h.history_view(theirs) == h.history_view(tl.get_metric_history(run_id, key))
            assert [(h.norm_value(p.value), p.step) for p in theirs] == [
                (h.norm_value(v), s) for v, s in points
            ], (name, key)


@pytest.mark.parametrize(("ml_view", "tl_view"), ALL_VIEWS)
def test_mlflow_search_runs_lists_what_tracklib_lists(
    reader: tuple[mlflow.MlflowClient, tracklib.Client], ml_view: int, tl_view: Any
) -> None:
    ml, tl = reader
    for experiment in tl.search_experiments(tracklib.ViewType.ALL):
        eid = experiment.experiment_id
        theirs = ml.search_runs([eid], run_view_type=ml_view)
        ours = tl.search_runs([eid], run_view_type=tl_view)
        assert [r.info.run_id for r in theirs] == [r.info.run_id for r in ours]
        assert [h.run_view(r) for r in theirs] == [h.run_view(r) for r in ours]


@pytest.mark.parametrize(
    ("filter_string", "predicate"),
    [
        ("params.lr = '0.1'", lambda r: r.data.params.get("lr") == "0.1"),
        ("metrics.mse < 1", lambda r: r.data.metrics.get("mse", math.inf) < 1),
        ("metrics.`train/mae` < 1", lambda r: r.data.metrics.get("train/mae", 9) < 1),
        ("tags.team = 'vision'", lambda r: r.data.tags.get("team") == "vision"),
        ("attributes.status = 'FAILED'", lambda r: r.info.status == "FAILED"),
    ],
)
def test_mlflow_search_runs_filters_tracklib_runs(
    reader: tuple[mlflow.MlflowClient, tracklib.Client], filter_string: str, predicate: Any
) -> None:
    ml, tl = reader
    ids = [e.experiment_id for e in tl.search_experiments()]
    expected = {r.info.run_id for r in tl.search_runs(ids) if predicate(r)}
    found = {r.info.run_id for r in ml.search_runs(ids, filter_string=filter_string)}
    assert found == expected
    assert found  # the filter selects something, so an empty answer cannot pass


def test_mlflow_lists_and_downloads_tracklib_artifacts(
    written: h.Logged, reader: tuple[mlflow.MlflowClient, tracklib.Client], tmp_path: Path
) -> None:
    ml, tl = reader
    run_id = written.runs["parent"]
    theirs = h.artifact_tree(lambda p: ml.list_artifacts(run_id, p))
    ours = h.artifact_tree(lambda p: tl.list_artifacts(run_id, p))
    assert theirs == ours
    logged = {**written.artifacts["parent"], **dict.fromkeys(written.dicts, b"")}
    assert {p for p, (is_dir, _) in theirs.items() if not is_dir} == set(logged)
    for path, data in written.artifacts["parent"].items():
        assert theirs[path] == (False, len(data))
    local = ml.download_artifacts(run_id, "", str(tmp_path / "dl"))
    h.check_downloaded(Path(local), written, "parent")
    one = ml.download_artifacts(run_id, "notes/readme.md", str(tmp_path / "one"))
    assert Path(one).read_bytes() == written.artifacts["parent"]["notes/readme.md"]


# ---- 2. MLflow extends a tracklib store
def test_mlflow_writes_into_tracklib_run_and_tracklib_reads_it(fresh: h.Logged) -> None:
    ml = mlflow.MlflowClient(tracking_uri=str(fresh.root))
    tl = tracklib.Client(fresh.root)
    run_id = fresh.runs["parent"]
    ml.log_metric(run_id, "mse", 0.125, step=3)
    ml.log_metric(run_id, "mlflow/only", 42, step=0)
    ml.set_tag(run_id, "written.by", "mlflow")
    ml.log_param(run_id, "from_mlflow", "yes")
    ml.log_batch(run_id, metrics=[mlflow.entities.Metric("mse", 0.0625, 1_700_000_000_000, 4)])
    ml.set_tag(run_id, "mlflow.runName", "renamed-by-mlflow")
    ml.set_terminated(run_id, "KILLED")

    ours = tl.get_run(run_id)
    assert h.run_view(ours) == h.run_view(ml.get_run(run_id))
    assert ours.data.params["from_mlflow"] == "yes"
    assert ours.data.tags["written.by"] == "mlflow"
    assert ours.info.run_name == "renamed-by-mlflow"
    assert ours.info.status == "KILLED"
    assert ours.data.metrics["mse"] == 0.0625
    history = tl.get_metric_history(run_id, "mse")
    assert h.history_view(history) == h.history_view(ml.get_metric_history(run_id, "mse"))
    logged = [v for v, _ in fresh.points["parent"]["mse"]]
    assert [p.value for p in history] == [*logged, 0.125, 0.0625]
    assert tl.get_metric_history(run_id, "mlflow/only")[0].value == 42.0

    # tracklib keeps appending to the files MLflow appended to.
    tl.log_metric(run_id, "mse", 0.03125, step=5)
    assert [p.value for p in ml.get_metric_history(run_id, "mse")][-2:] == [0.0625, 0.03125]


def test_mlflow_enforces_param_immutability_on_tracklib_params(fresh: h.Logged) -> None:
    ml = mlflow.MlflowClient(tracking_uri=str(fresh.root))
    run_id = fresh.runs["parent"]
    before = tracklib.Client(fresh.root).get_run(run_id).data.params
    ml.log_param(run_id, "lr", before["lr"])  # the same value again is accepted
    with pytest.raises(MlflowException, match="lr"):
        ml.log_param(run_id, "lr", "0.2")
    with pytest.raises(MlflowException):
        ml.log_batch(run_id, params=[mlflow.entities.Param("batch_size", "64")])
    assert tracklib.Client(fresh.root).get_run(run_id).data.params == before


def test_mlflow_refuses_writes_to_a_run_tracklib_deleted(fresh: h.Logged) -> None:
    ml = mlflow.MlflowClient(tracking_uri=str(fresh.root))
    with pytest.raises(MlflowException, match="lifecycle"):
        ml.log_metric(fresh.runs["to-delete"], "mse", 1.0)
    ml.restore_run(fresh.runs["to-delete"])
    assert tracklib.Client(fresh.root).get_run(fresh.runs["to-delete"]).info.lifecycle_stage == (
        "active"
    )


def test_mlflow_restores_a_tracklib_deleted_experiment(fresh: h.Logged) -> None:
    ml = mlflow.MlflowClient(tracking_uri=str(fresh.root))
    ml.restore_experiment(fresh.deleted_experiment)
    tl = tracklib.Client(fresh.root)
    assert tl.get_experiment(fresh.deleted_experiment).lifecycle_stage == "active"
    assert tl.get_run(fresh.runs["gone-run"]).info.lifecycle_stage == "active"
    assert h.run_view(tl.get_run(fresh.runs["gone-run"])) == h.run_view(
        ml.get_run(fresh.runs["gone-run"])
    )


# ---- 3. MLflow writes, tracklib reads
@pytest.fixture(scope="module")
def mlflow_written(tmp_path_factory: pytest.TempPathFactory) -> h.Logged:
    """A varied store written by MLflow's fluent API, shared read-only by the reading tests."""
    work = tmp_path_factory.mktemp("mlflow-written")
    with h.mlflow_tracking(work / "ml-mlruns"):
        return _build_with_mlflow(work / "ml-mlruns", work)


@pytest.fixture
def mlflow_fresh(tmp_path: Path) -> h.Logged:
    """The same kind of MLflow-written store, private to one test (which may change it)."""
    with h.mlflow_tracking(tmp_path / "ml-mlruns"):
        return _build_with_mlflow(tmp_path / "ml-mlruns", tmp_path)


def _build_with_mlflow(root: Path, work: Path) -> h.Logged:
    logged = h.Logged(root=root)
    ml = mlflow.MlflowClient()
    weights, bundle = h.make_local_files(work)
    with mlflow.start_run(run_name="ml-default") as run:
        mlflow.log_param("lr", 0.5)
        mlflow.log_metric("mse", 2.0)
        logged.runs["ml-default"] = run.info.run_id
    logged.experiments["ml-a"] = ml.create_experiment("ml-a", tags={"k": "v", "a/b": "c"})
    with mlflow.start_run(experiment_id=logged.experiments["ml-a"], run_name="ml-parent") as run:
        logged.runs["ml-parent"] = run.info.run_id
        mlflow.log_params({"lr": 0.1, "layers": 3, "flag": True})
        for step, value in enumerate([0.8, 0.4, 0.2]):
            mlflow.log_metrics({"mse": value, "train/mae": 2 * value}, step=step)
        for step, value in enumerate(h.ODD_VALUES):
            mlflow.log_metric("odd", value, step=step)
        mlflow.log_metric("count", 5)
        mlflow.set_tags({"owner": "bo", "x/y": "z"})
        mlflow.set_tag("mlflow.note.content", "written by MLflow")
        mlflow.log_artifact(str(weights), "model")
        mlflow.log_artifacts(str(bundle), "bundle")
        mlflow.log_text("hello\n", "notes/readme.md")
        mlflow.log_dict(h.CONFIG, "config/params.json")
        mlflow.log_dict(h.CONFIG, "config/params.yaml")
        logged.artifacts["ml-parent"] = {
            "model/weights.bin": weights.read_bytes(),
            **{f"bundle/{k}": v for k, v in h.files_under(bundle).items()},
            "notes/readme.md": b"hello\n",
        }
        logged.dicts = {"config/params.json": h.CONFIG, "config/params.yaml": h.CONFIG}
        _log_mlflow_extras()
        with mlflow.start_run(run_name="ml-child", nested=True) as child:
            logged.runs["ml-child"] = child.info.run_id
            mlflow.log_metric("mse", 0.3, step=1)
    with mlflow.start_run(experiment_id=logged.experiments["ml-a"], run_name="ml-failed") as run:
        logged.runs["ml-failed"] = run.info.run_id
        mlflow.end_run("FAILED")
    with mlflow.start_run(experiment_id=logged.experiments["ml-a"], run_name="ml-deleted") as run:
        logged.runs["ml-deleted"] = run.info.run_id
        mlflow.log_param("lr", 0.1)
    ml.delete_run(logged.runs["ml-deleted"])
    logged.experiments["ml-gone"] = ml.create_experiment("ml-gone")
    with mlflow.start_run(experiment_id=logged.experiments["ml-gone"], run_name="ml-gone-run"):
        mlflow.log_metric("mse", 0.9)
    ml.delete_experiment(logged.experiments["ml-gone"])
    logged.experiments["Default"] = "0"
    return logged


def _log_mlflow_extras() -> None:
    """What MLflow 3 adds around runs: a dataset input (and metric lines with the dataset's
    name and digest), a logged model with a metric, a trace; readers must skip or parse them."""
    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow warns about the inferred dataset source
        dataset = mlflow.data.from_numpy(np.arange(6).reshape(3, 2), name="arr")
    mlflow.log_input(dataset, context="training")
    for ts, value, step in DATASET_POINTS:
        mlflow.log_metric(DATASET_METRIC, value, step=step, timestamp=ts, dataset=dataset)
    model = mlflow.initialize_logged_model(name="mdl")
    mlflow.log_metric("model_acc", 0.9, model_id=model.model_id)
    mlflow.trace(lambda x: x + 1)(1)
    mlflow.flush_trace_async_logging()


@pytest.mark.parametrize(("ml_view", "tl_view"), ALL_VIEWS)
def test_tracklib_search_experiments_matches_mlflow(
    mlflow_written: h.Logged, ml_view: int, tl_view: Any
) -> None:
    ml = mlflow.MlflowClient(tracking_uri=str(mlflow_written.root))
    tl = tracklib.Client(mlflow_written.root)
    theirs = [h.experiment_view(e) for e in ml.search_experiments(ml_view)]
    ours = [h.experiment_view(e) for e in tl.search_experiments(tl_view)]
    assert ours == theirs
    assert ours
    for name in mlflow_written.experiments:
        mine, reference = tl.get_experiment_by_name(name), ml.get_experiment_by_name(name)
        assert mine is not None and reference is not None
        assert h.experiment_view(mine) == h.experiment_view(reference)


def test_tracklib_reads_mlflow_runs_as_mlflow_does(mlflow_written: h.Logged) -> None:
    ml = mlflow.MlflowClient(tracking_uri=str(mlflow_written.root))
    tl = tracklib.Client(mlflow_written.root)
    experiment_ids = [e.experiment_id for e in ml.search_experiments(MlflowViewType.ALL)]
    reference = ml.search_runs(experiment_ids, run_view_type=MlflowViewType.ALL)
    assert len(reference) == len(mlflow_written.runs) + 1  # + the run of the deleted experiment
    for eid in experiment_ids:
        for ml_view, tl_view in ALL_VIEWS:
            theirs = ml.search_runs([eid], run_view_type=ml_view)
            ours = tl.search_runs([eid], run_view_type=tl_view)
            assert [h.run_view(r) for r in ours] == [h.run_view(r) for r in theirs]
    for run in reference:
        run_id = run.info.run_id
        assert h.run_view(tl.get_run(run_id)) == h.run_view(ml.get_run(run_id))
        for key in set(run.data.metrics) - {DATASET_METRIC}:  # see the next test
            assert h.history_view(tl.get_metric_history(run_id, key)) == h.history_view(
                ml.get_metric_history(run_id, key)
            ), key
    experiment_dir = mlflow_written.root / mlflow_written.experiments["ml-a"]
    assert {"datasets", "models", "traces"} <= {p.name for p in experiment_dir.iterdir()}
    parent = tl.get_run(mlflow_written.runs["ml-parent"])
    assert {"with_dataset", "model_acc"} <= set(parent.data.metrics)
    child = tl.get_run(mlflow_written.runs["ml-child"])
    assert child.data.tags["mlflow.parentRunId"] == mlflow_written.runs["ml-parent"]
    assert tl.get_run(mlflow_written.runs["ml-failed"]).info.status == "FAILED"
    assert tl.get_run(mlflow_written.runs["ml-deleted"]).info.lifecycle_stage == "deleted"


def test_tracklib_keeps_the_step_of_metric_lines_with_a_dataset(mlflow_written: h.Logged) -> None:
    run_id = mlflow_written.runs["ml-parent"]
    path = mlflow_written.root / mlflow_written.experiments["ml-a"] / run_id / "metrics"
    lines = [line.split() for line in (path / DATASET_METRIC).read_text().splitlines()]
    assert {len(fields) for fields in lines} == {5}  # ts value step dataset-name digest
    on_disk = [(int(f[0]), float(f[1]), int(f[2])) for f in lines]
    assert on_disk == DATASET_POINTS
    ours = tracklib.Client(mlflow_written.root).get_metric_history(run_id, DATASET_METRIC)
    assert [(p.timestamp, p.value, p.step) for p in ours] == DATASET_POINTS
    # MLflow 3.17.2's FileStore parses the step only from 3-field lines and reads 0 here
    # (migrate-filestore keeps the step). tracklib keeps the logged step; all else agrees.
    theirs = mlflow.MlflowClient(str(mlflow_written.root)).get_metric_history(
        run_id, DATASET_METRIC
    )
    assert [(p.timestamp, p.value) for p in theirs] == [(p.timestamp, p.value) for p in ours]
    assert {p.step for p in theirs} == {0}


def test_tracklib_lists_and_downloads_mlflow_artifacts(
    mlflow_written: h.Logged, tmp_path: Path
) -> None:
    ml = mlflow.MlflowClient(tracking_uri=str(mlflow_written.root))
    tl = tracklib.Client(mlflow_written.root)
    run_id = mlflow_written.runs["ml-parent"]
    ours = h.artifact_tree(lambda p: tl.list_artifacts(run_id, p))
    assert ours == h.artifact_tree(lambda p: ml.list_artifacts(run_id, p))
    local = tl.download_artifacts(run_id, "", tmp_path / "dl")
    h.check_downloaded(Path(local), mlflow_written, "ml-parent")


def test_tracklib_logs_into_an_mlflow_run_and_mlflow_reads_it(mlflow_fresh: h.Logged) -> None:
    ml = mlflow.MlflowClient(tracking_uri=str(mlflow_fresh.root))
    run_id = mlflow_fresh.runs["ml-parent"]
    before = ml.get_metric_history(run_id, "mse")
    tracklib.set_tracking_uri(mlflow_fresh.root)
    with tracklib.start_run(run_id=run_id) as run:
        assert run.info.experiment_id == mlflow_fresh.experiments["ml-a"]
        tracklib.log_metric("mse", 0.1, step=3)
        tracklib.log_metric("new/metric", math.nan, step=0)
        tracklib.log_param("from_tracklib", "yes")
        tracklib.log_param("lr", "0.1")  # the value MLflow logged: a no-op
        with pytest.raises(InvalidInputError, match="lr"):
            tracklib.log_param("lr", "0.3")
        tracklib.set_tag("owner", "tracklib")
        tracklib.log_text("from tracklib", "notes/tracklib.txt")
    theirs = ml.get_run(run_id)
    assert h.run_view(theirs) == h.run_view(tracklib.get_run(run_id))
    assert theirs.info.status == "FINISHED"
    assert theirs.data.params["from_tracklib"] == "yes"
    assert theirs.data.tags["owner"] == "tracklib"
    history = ml.get_metric_history(run_id, "mse")
    assert h.history_view(history[: len(before)]) == h.history_view(before)
    assert [(p.value, p.step) for p in history[len(before) :]] == [(0.1, 3)]
    assert math.isnan(ml.get_metric_history(run_id, "new/metric")[0].value)
    assert [a.path for a in ml.list_artifacts(run_id, "notes")] == [
        "notes/readme.md",
        "notes/tracklib.txt",
    ]


# ---- 4. migrate-filestore
def migrate(source: Path, target_db: Path) -> subprocess.CompletedProcess[str]:
    """Run MLflow's migration CLI on ``source`` into a new sqlite file; fail with its output."""
    proc = subprocess.run(
        [
            sys.executable, "-m", "mlflow", "migrate-filestore",
            "--source", str(source), "--target", f"sqlite:///{target_db}", "--no-progress",
        ],
        capture_output=True, text=True, timeout=150, env=h.subprocess_env(),
        cwd=target_db.parent, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"migrate-filestore failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def sql_value(value: float) -> float | str:
    """What MLflow's SQL store gives back for a value: it stores ±inf as ±float max."""
    if math.isinf(value):
        return math.copysign(sys.float_info.max, value)
    return h.norm_value(value)


def assert_sqlite_matches_tracklib(db: Path, tl: tracklib.Client) -> None:
    sql = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    experiments = tl.search_experiments(tracklib.ViewType.ALL)
    migrated = {e.experiment_id: e for e in sql.search_experiments(MlflowViewType.ALL)}
    assert set(migrated) == {e.experiment_id for e in experiments}
    for experiment in experiments:
        assert h.experiment_view(migrated[experiment.experiment_id]) == h.experiment_view(
            experiment
        )
    runs = all_runs(tl)
    ids = [e.experiment_id for e in experiments]
    migrated_runs = {
        r.info.run_id: r for r in sql.search_runs(ids, run_view_type=MlflowViewType.ALL)
    }
    assert set(migrated_runs) == {r.info.run_id for r in runs}
    for ours in runs:
        theirs = migrated_runs[ours.info.run_id]
        assert h.info_view(theirs.info) == h.info_view(ours.info)
        assert theirs.data.params == ours.data.params
        assert theirs.data.tags == ours.data.tags
        assert h.norm_metrics(theirs.data.metrics) == {
            k: sql_value(v) for k, v in ours.data.metrics.items()
        }
        for key in ours.data.metrics:
            expected = [
                (p.key, sql_value(p.value), p.timestamp, p.step)
                for p in tl.get_metric_history(ours.info.run_id, key)
            ]
            got = h.history_view(sql.get_metric_history(ours.info.run_id, key))
            assert sorted(got, key=str) == sorted(expected, key=str), key


@pytest.mark.timeout(180)
def test_migrate_filestore_copies_a_tracklib_store(written: h.Logged, tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    migrate(written.root, db)
    assert_sqlite_matches_tracklib(db, tracklib.Client(written.root))


# ---- 5. leftovers in the store
def plant_crash_leftovers(logged: h.Logged) -> list[Path]:
    """Leave what a tracklib process killed mid-write would: temp files next to a rewritten
    meta.yaml (run and experiment folders, also in .trash), and an experiment and a run
    whose folders exist but whose meta.yaml was never written."""
    experiment_dir = logged.root / logged.experiments["interop-a"]
    run_dir = experiment_dir / logged.runs["parent"]
    assert (run_dir / "meta.yaml").is_file()
    trash_dir = logged.root / ".trash" / logged.deleted_experiment
    planted = []
    for folder, content in (
        (run_dir, "run_id: half\n"),
        (experiment_dir, "name: half"),
        (trash_dir, ""),
        (trash_dir / logged.runs["gone-run"], "status: 3\n"),
    ):
        path = folder / f".tracklib-tmp-{uuid.uuid4().hex}"
        path.write_text(content, encoding="utf-8")
        planted.append(path)
    half_experiment = logged.root / "123456789012345678"
    (half_experiment / "tags").mkdir(parents=True)
    (half_experiment / "tags" / "k").write_text("v", encoding="utf-8")
    half_run = experiment_dir / uuid.uuid4().hex
    for sub in ("metrics", "params", "artifacts", "tags"):
        (half_run / sub).mkdir(parents=True)
    (half_run / "tags" / "mlflow.runName").write_text("half", encoding="utf-8")
    return [*planted, half_experiment, half_run]


def mlflow_snapshot(ml: mlflow.MlflowClient) -> dict[str, Any]:
    experiments = ml.search_experiments(MlflowViewType.ALL)
    ids = [e.experiment_id for e in experiments]
    runs = ml.search_runs(ids, run_view_type=MlflowViewType.ALL)
    return {
        "experiments": [h.experiment_view(e) for e in experiments],
        "runs": [h.run_view(r) for r in runs],
        "get_run": [h.run_view(ml.get_run(r.info.run_id)) for r in runs],
    }


@pytest.mark.timeout(180)
def test_lock_and_crash_leftovers_do_not_break_mlflow(fresh: h.Logged, tmp_path: Path) -> None:
    from filelock import FileLock

    lock_path = fresh.root / ".tracklib.lock"
    assert lock_path.is_file()  # creating experiments left tracklib's lock file at the root
    ml = mlflow.MlflowClient(tracking_uri=str(fresh.root))
    before = mlflow_snapshot(ml)
    plant_crash_leftovers(fresh)
    # Another tracklib process may hold the lock while MLflow reads.
    with FileLock(str(lock_path)):
        after = mlflow_snapshot(ml)
        assert after == before
        tl = tracklib.Client(fresh.root)
        assert [h.run_view(r) for r in all_runs(tl)] == before["runs"]
        migrate(fresh.root, tmp_path / "mlflow.db")
    assert_sqlite_matches_tracklib(tmp_path / "mlflow.db", tl)


# ---- 6. mlflow server on a tracklib store
@pytest.fixture(scope="module")
def server(written: h.Logged, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mlflow server`` (what ``mlflow ui`` runs) on the tracklib-written store; its base URL."""
    work = tmp_path_factory.mktemp("mlflow-server")
    port = h.free_port()
    stdout, stderr = (work / "server.out").open("wb"), (work / "server.err").open("wb")
    command = [
        sys.executable, "-m", "mlflow", "server", "--backend-store-uri", str(written.root),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    env = {**h.subprocess_env(), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    proc = subprocess.Popen(
        command, cwd=work, env=env, stdout=stdout, stderr=stderr, start_new_session=True
    )  # its own process group: mlflow runs uvicorn as a child, which must end with it
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(proc, url, work / "server.err")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
        stdout.close()
        stderr.close()


def wait_for_health(proc: subprocess.Popen[bytes], url: str, stderr_path: Path) -> None:
    """Poll GET /health until the server answers 200; fail with its stderr otherwise."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"mlflow server exited with {proc.returncode}:\n"
                + stderr_path.read_text(errors="replace")[-4000:]
            )
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    pytest.fail(
        f"mlflow server gave no healthy answer within {SERVER_START_TIMEOUT:.0f} s:\n"
        + stderr_path.read_text(errors="replace")[-4000:]
    )


@pytest.mark.timeout(120)
def test_mlflow_server_serves_a_tracklib_run(server: str, written: h.Logged) -> None:
    tl = tracklib.Client(written.root)
    for name in ("parent", "child", "crashing"):
        run_id = written.runs[name]
        reply = requests.get(
            f"{server}/api/2.0/mlflow/runs/get", params={"run_id": run_id}, timeout=30
        )
        assert reply.status_code == 200, reply.text
        run = reply.json()["run"]
        ours = tl.get_run(run_id)
        assert run["info"]["run_id"] == run_id
        assert run["info"]["status"] == str(ours.info.status)
        assert run["info"]["run_name"] == ours.info.run_name
        data = run["data"]
        assert {p["key"]: p["value"] for p in data.get("params", [])} == ours.data.params
        assert {t["key"]: t["value"] for t in data.get("tags", [])} == ours.data.tags
        assert h.norm_metrics({m["key"]: m["value"] for m in data["metrics"]}) == (
            h.norm_metrics(ours.data.metrics)
        )
    run_id = written.runs["parent"]
    for key in ("odd", "train/mae"):
        reply = requests.get(
            f"{server}/api/2.0/mlflow/metrics/get-history",
            params={"run_id": run_id, "metric_key": key},
            timeout=30,
        )
        assert reply.status_code == 200, reply.text
        points = [
            h.Point(m["key"], m["value"], m["timestamp"], m.get("step", 0))
            for m in reply.json()["metrics"]
        ]
        assert h.history_view(points) == h.history_view(tl.get_metric_history(run_id, key))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("view", ["ACTIVE_ONLY", "ALL"])
def test_mlflow_server_searches_tracklib_runs(server: str, written: h.Logged, view: str) -> None:
    tl = tracklib.Client(written.root)
    ids = [e.experiment_id for e in tl.search_experiments(tracklib.ViewType.ALL)]
    reply = requests.post(
        f"{server}/api/2.0/mlflow/runs/search",
        json={"experiment_ids": ids, "max_results": 1000, "run_view_type": view},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    found = [r["info"]["run_id"] for r in reply.json().get("runs", [])]
    expected = [r.info.run_id for r in tl.search_runs(ids, run_view_type=view)]
    assert found == expected
    assert found
