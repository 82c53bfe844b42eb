"""tracklib.Client: the explicit, id-based API, checked against the files on disk."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

import tracklib
from tracklib import Metric, Param, RunTag, ViewType
from tracklib.errors import AlreadyExistsError, InvalidInputError, NotFoundError, RunStateError


def run_path(client: tracklib.Client, run_id: str) -> Path:
    info = client.get_run(run_id).info
    return Path(client.tracking_uri) / info.experiment_id / run_id


def run_meta(client: tracklib.Client, run_id: str) -> dict[str, Any]:
    loaded = yaml.safe_load((run_path(client, run_id) / "meta.yaml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def new_run(client: tracklib.Client, **kwargs: Any) -> str:
    return client.create_run("0", **kwargs).info.run_id


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# ---------------------------------------------------------------- experiments
def test_create_and_get_experiment(client: tracklib.Client, store_root: str) -> None:
    exp_id = client.create_experiment("lstm", tags={"owner": "me"})
    assert re.fullmatch(r"[1-9][0-9]{17}", exp_id)  # MLflow's 18-digit ids
    experiment = client.get_experiment(exp_id)
    assert experiment.experiment_id == exp_id
    assert experiment.name == "lstm"
    assert experiment.lifecycle_stage == "active"
    assert experiment.artifact_location == (Path(store_root) / exp_id).as_uri()
    assert experiment.tags == {"owner": "me"}
    meta = yaml.safe_load((Path(store_root) / exp_id / "meta.yaml").read_text("utf-8"))
    assert meta["experiment_id"] == exp_id and meta["name"] == "lstm"
    assert meta["artifact_location"] == experiment.artifact_location
    assert "tags" not in meta  # experiment tags live in tags/
    assert (Path(store_root) / exp_id / "tags" / "owner").read_text() == "me"


def test_get_experiment_by_name(client: tracklib.Client) -> None:
    exp_id = client.create_experiment("found")
    found = client.get_experiment_by_name("found")
    assert found is not None and found.experiment_id == exp_id
    assert client.get_experiment_by_name("absent") is None
    default = client.get_experiment_by_name("Default")
    assert default is not None and default.experiment_id == "0"


def test_get_missing_experiment_raises(client: tracklib.Client) -> None:
    with pytest.raises(NotFoundError):
        client.get_experiment("123456789012345678")


def test_duplicate_experiment_name_raises(client: tracklib.Client) -> None:
    client.create_experiment("dup")
    with pytest.raises(AlreadyExistsError):
        client.create_experiment("dup")


@pytest.mark.parametrize("name", ["", "   ", "x" * 501])
def test_bad_experiment_name_raises(client: tracklib.Client, name: str) -> None:
    with pytest.raises(InvalidInputError):
        client.create_experiment(name)


def test_search_experiments(client: tracklib.Client) -> None:
    ids = {client.create_experiment(name) for name in ("e1", "e2")}
    found = {e.experiment_id: e.name for e in client.search_experiments()}
    assert found.keys() == ids | {"0"}
    assert {found[i] for i in ids} == {"e1", "e2"}


# ---------------------------------------------------------------- runs
def test_create_run_has_only_run_name_tag(client: tracklib.Client) -> None:
    run = client.create_run("0", run_name="plain")
    assert run.info.user_id == "unknown"
    assert run.data.tags == {"mlflow.runName": "plain"}
    folder = run_path(client, run.info.run_id)
    assert files_under(folder / "tags") == {"mlflow.runName": b"plain"}
    meta = run_meta(client, run.info.run_id)
    assert meta["user_id"] == "unknown"
    assert meta["run_name"] == "plain"
    assert meta["status"] == 1 and meta["end_time"] is None
    for sub in ("metrics", "params", "artifacts"):
        assert (folder / sub).is_dir()


def test_create_run_with_tags_and_start_time(client: tracklib.Client) -> None:
    run = client.create_run("0", start_time=1234, tags={"k": "v"})
    assert run.info.start_time == 1234
    assert run_meta(client, run.info.run_id)["start_time"] == 1234
    assert run.data.tags["k"] == "v"
    assert run.data.tags["mlflow.runName"] == run.info.run_name != ""


def test_create_run_in_missing_experiment_raises(client: tracklib.Client) -> None:
    with pytest.raises(NotFoundError):
        client.create_run("123456789012345678")


def test_create_run_conflicting_name_raises(client: tracklib.Client) -> None:
    with pytest.raises(InvalidInputError):
        client.create_run("0", run_name="a", tags={"mlflow.runName": "b"})


def test_log_metric_param_tag(client: tracklib.Client) -> None:
    run_id = new_run(client)
    client.log_metric(run_id, "loss", 2, step=3, timestamp=99)
    assert client.log_param(run_id, "lr", 0.5) == 0.5
    client.set_tag(run_id, "stage", "dev")
    folder = run_path(client, run_id)
    assert (folder / "metrics" / "loss").read_text() == f"99 {float(2)!r} 3\n"
    assert (folder / "params" / "lr").read_text() == "0.5"
    assert (folder / "tags" / "stage").read_text() == "dev"
    data = client.get_run(run_id).data
    assert data.metrics == {"loss": 2.0}
    assert data.params == {"lr": "0.5"}
    assert data.tags["stage"] == "dev"


def test_log_param_conflict_raises(client: tracklib.Client) -> None:
    run_id = new_run(client)
    client.log_param(run_id, "lr", 0.1)
    client.log_param(run_id, "lr", "0.1")
    with pytest.raises(InvalidInputError, match="lr"):
        client.log_param(run_id, "lr", 0.2)


def test_log_batch_writes_everything(client: tracklib.Client) -> None:
    run_id = new_run(client)
    client.log_batch(
        run_id,
        metrics=[Metric("m", 1.0, 10, 0), Metric("m", 2.0, 11, 1), Metric("n", 3, 12, 0)],
        params=[Param("p", "x")],
        tags=[RunTag("t", "y")],
    )
    folder = run_path(client, run_id)
    assert (folder / "metrics" / "m").read_text() == "10 1.0 0\n11 2.0 1\n"
    assert (folder / "metrics" / "n").read_text() == "12 3.0 0\n"
    assert (folder / "params" / "p").read_text() == "x"
    assert (folder / "tags" / "t").read_text() == "y"


BAD_BATCHES: list[dict[str, Any]] = [
    {"metrics": [Metric("ok", 1.0, 1, 0), Metric("bad", "x", 1, 0)]},  # type: ignore[arg-type]
    {"metrics": [Metric("ok", 1.0, 1, 0), Metric("bad", 1.0, 1, 1.5)]},  # type: ignore[arg-type]
    {"metrics": [Metric("ok", 1.0, 1, 0)], "params": [Param("a//b", "v")]},
    {"metrics": [Metric("ok", 1.0, 1, 0)], "tags": [RunTag("", "v")]},
    {"metrics": [Metric("ok", 1.0, 1, 0)], "params": [Param("existing", "other")]},
    {"metrics": [Metric("ok", 1.0, -1, 0)]},
]


@pytest.mark.parametrize("batch", BAD_BATCHES)
def test_log_batch_validates_before_writing(client: tracklib.Client, batch: dict[str, Any]) -> None:
    run_id = new_run(client)
    client.log_param(run_id, "existing", "value")
    folder = run_path(client, run_id)
    before = files_under(folder)
    with pytest.raises(InvalidInputError):
        client.log_batch(run_id, **batch)
    assert files_under(folder) == before


def test_log_to_missing_run_raises(client: tracklib.Client) -> None:
    with pytest.raises(NotFoundError):
        client.log_metric("b" * 32, "m", 1.0)


def test_set_terminated(client: tracklib.Client) -> None:
    run_id = new_run(client)
    client.set_terminated(run_id, end_time=5000)
    meta = run_meta(client, run_id)
    assert (meta["status"], meta["end_time"]) == (3, 5000)
    client.set_terminated(run_id, status="KILLED")
    meta = run_meta(client, run_id)
    assert meta["status"] == 5 and isinstance(meta["end_time"], int)
    assert str(client.get_run(run_id).info.status) == "KILLED"
    with pytest.raises(InvalidInputError):
        client.set_terminated(run_id, status="RUNNING")
    assert run_meta(client, run_id)["status"] == 5


def test_finished_run_can_still_be_written(client: tracklib.Client) -> None:
    run_id = new_run(client)
    client.set_terminated(run_id)
    client.log_metric(run_id, "late", 1.0)  # MLflow allows writes to FINISHED runs
    assert client.get_run(run_id).data.metrics == {"late": 1.0}


def test_delete_and_restore_run(client: tracklib.Client) -> None:
    run_id = new_run(client)
    client.delete_run(run_id)
    meta = run_meta(client, run_id)
    assert meta["lifecycle_stage"] == "deleted"
    assert isinstance(meta["deleted_time"], int)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert run_id not in {r.info.run_id for r in client.search_runs(["0"])}
    deleted = client.search_runs(["0"], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_id]
    with pytest.raises(RunStateError):
        client.log_metric(run_id, "m", 1.0)
    assert not (run_path(client, run_id) / "metrics" / "m").exists()

    client.restore_run(run_id)
    meta = run_meta(client, run_id)
    assert meta["lifecycle_stage"] == "active"
    assert "deleted_time" not in meta
    assert [r.info.run_id for r in client.search_runs(["0"])] == [run_id]
    client.log_metric(run_id, "m", 1.0)


def test_delete_run_through_fresh_client_blocks_writes(client: tracklib.Client) -> None:
    run_id = new_run(client)
    client.log_metric(run_id, "m", 1.0)
    tracklib.Client(client.tracking_uri).delete_run(run_id)
    other = tracklib.Client(client.tracking_uri)
    with pytest.raises(RunStateError):
        other.log_metric(run_id, "m", 2.0)


def test_update_run(client: tracklib.Client) -> None:
    run_id = new_run(client, run_name="before")
    client.update_run(run_id, name="after")
    meta = run_meta(client, run_id)
    assert meta["run_name"] == "after"
    assert (run_path(client, run_id) / "tags" / "mlflow.runName").read_text() == "after"
    assert meta["status"] == 1
    client.update_run(run_id, status="FAILED")
    meta = run_meta(client, run_id)
    # MlflowClient.update_run leaves the end time as it was; set_terminated sets it.
    assert meta["status"] == 4 and meta["end_time"] is None
    assert meta["run_name"] == "after"


def test_get_metric_history(client: tracklib.Client) -> None:
    run_id = new_run(client)
    points = [(0.5, 3, 100), (0.25, 1, 200), (float("inf"), 2, 150)]
    for value, step, ts in points:
        client.log_metric(run_id, "acc", value, step=step, timestamp=ts)
    history = client.get_metric_history(run_id, "acc")
    assert [(m.value, m.step, m.timestamp) for m in history] == points
    assert all(m.key == "acc" for m in history)
    assert client.get_metric_history(run_id, "unknown") == []


def test_artifacts(client: tracklib.Client, tmp_path: Path) -> None:
    run_id = new_run(client)
    src = tmp_path / "src"
    (src / "plots").mkdir(parents=True)
    (src / "plots" / "loss.png").write_bytes(b"\x89PNG")
    (src / "readme.txt").write_text("hi")
    single = tmp_path / "model.pkl"
    single.write_bytes(b"model")
    client.log_artifact(run_id, single, artifact_path="model")
    client.log_artifacts(run_id, src, artifact_path="bundle")
    client.log_text(run_id, "text", "notes.txt")
    client.log_dict(run_id, {"k": [1, 2]}, "d.yaml")
    artifacts = run_path(client, run_id) / "artifacts"
    assert files_under(artifacts) == {
        "model/model.pkl": b"model",
        "bundle/plots/loss.png": b"\x89PNG",
        "bundle/readme.txt": b"hi",
        "notes.txt": b"text",
        "d.yaml": (artifacts / "d.yaml").read_bytes(),
    }
    assert yaml.safe_load((artifacts / "d.yaml").read_text()) == {"k": [1, 2]}
    assert [f.path for f in client.list_artifacts(run_id)] == [
        "bundle",
        "d.yaml",
        "model",
        "notes.txt",
    ]
    assert [f.path for f in client.list_artifacts(run_id, "bundle")] == [
        "bundle/plots",
        "bundle/readme.txt",
    ]

    dst = tmp_path / "dst"
    dst.mkdir()
    got_file = client.download_artifacts(run_id, "model/model.pkl", dst_path=dst)
    assert Path(got_file).read_bytes() == b"model"
    assert Path(got_file).resolve().parent == dst.resolve()
    got_dir = client.download_artifacts(run_id, "bundle", dst_path=dst)
    assert files_under(Path(got_dir)) == {"plots/loss.png": b"\x89PNG", "readme.txt": b"hi"}
    assert Path(got_dir).resolve().parent == dst.resolve()
    got_all = client.download_artifacts(run_id, "", dst_path=tmp_path / "all")
    assert files_under(Path(got_all)) == files_under(artifacts)


def test_log_artifact_refuses_symlink_escape(client: tracklib.Client, tmp_path: Path) -> None:
    run_id = new_run(client)
    outside = tmp_path / "outside"
    outside.mkdir()
    artifacts = run_path(client, run_id) / "artifacts"
    (artifacts / "link").symlink_to(outside, target_is_directory=True)
    src = tmp_path / "f.txt"
    src.write_text("x")
    with pytest.raises(InvalidInputError):
        client.log_artifact(run_id, src, artifact_path="link")
    assert list(outside.iterdir()) == []


def test_long_metric_history_reads_back_whole(client: tracklib.Client) -> None:
    run_id = client.create_run("0").info.run_id
    points = [tracklib.Metric("m", i * 0.5, 1_700_000_000_000 + i, i) for i in range(40_000)]
    for start in range(0, len(points), 1000):
        client.log_batch(run_id, metrics=points[start : start + 1000])
    assert client.get_metric_history(run_id, "m") == points  # > 1 MB on disk
