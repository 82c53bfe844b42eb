"""The module-level API (start_run, log_*, reads), checked against the files it leaves on disk."""

from __future__ import annotations

import getpass
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import tracklib
from tracklib.errors import InvalidInputError, NotFoundError, RunStateError
from tracklib.tracking.runnames import generate_run_name

ROOT = Path("mlruns")  # conftest chdirs into the test's own folder
META_KEYS = {
    "artifact_uri",
    "end_time",
    "entry_point_name",
    "experiment_id",
    "lifecycle_stage",
    "run_id",
    "run_name",
    "source_name",
    "source_type",
    "source_version",
    "start_time",
    "status",
    "tags",
    "user_id",
}
STATUS_CODES = {"RUNNING": 1, "FINISHED": 3, "FAILED": 4, "KILLED": 5}
RUN_NAME_SHAPE = re.compile(r"^[a-z]+-[a-z]+-(\d+)$")


# ---------------------------------------------------------------- helpers reading the store
def run_dir(run_id: str, experiment_id: str = "0") -> Path:
    return ROOT / experiment_id / run_id


def meta(run: tracklib.ActiveRun) -> dict[str, Any]:
    path = run_dir(run.info.run_id, run.info.experiment_id) / "meta.yaml"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def tag(run: tracklib.ActiveRun, key: str) -> str:
    return (run_dir(run.info.run_id, run.info.experiment_id) / "tags" / key).read_text("utf-8")


def metric_text(run: tracklib.ActiveRun, key: str) -> str:
    path = run_dir(run.info.run_id, run.info.experiment_id) / "metrics" / key
    return path.read_text(encoding="utf-8")


def artifact(run: tracklib.ActiveRun, rel: str) -> Path:
    return run_dir(run.info.run_id, run.info.experiment_id) / "artifacts" / rel


def now_ms() -> int:
    return int(time.time() * 1000)


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


# ---------------------------------------------------------------- start_run: layout
def test_start_run_creates_run_folder_with_meta_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLIB_TRACKING_USERNAME", "alice")
    before = now_ms()
    with tracklib.start_run(run_name="first") as run:
        folder = run_dir(run.info.run_id)
        assert folder.is_dir()
        for sub in ("metrics", "params", "artifacts", "tags"):
            assert (folder / sub).is_dir()
        m = meta(run)
    after = now_ms()
    assert set(m) == META_KEYS
    root_uri = Path(os.path.abspath("mlruns")).as_uri()
    assert m["artifact_uri"] == f"{root_uri}/0/{run.info.run_id}/artifacts"
    assert m["end_time"] is None
    assert m["entry_point_name"] == ""
    assert m["experiment_id"] == "0"  # a quoted string, not the int 0
    assert m["lifecycle_stage"] == "active"
    assert m["run_id"] == run.info.run_id == folder.name
    assert re.fullmatch(r"[0-9a-f]{32}", m["run_id"])
    assert m["run_name"] == "first"
    assert m["source_name"] == ""
    assert m["source_type"] == 4
    assert m["source_version"] == ""
    assert before <= m["start_time"] <= after
    assert m["status"] == 1
    assert m["tags"] == []
    assert m["user_id"] == "alice"
    assert run.info.artifact_uri == m["artifact_uri"]


def test_start_run_creates_default_experiment() -> None:
    with tracklib.start_run():
        pass
    exp_meta = yaml.safe_load((ROOT / "0" / "meta.yaml").read_text("utf-8"))
    assert exp_meta["name"] == "Default"
    assert exp_meta["experiment_id"] == "0"
    assert (ROOT / ".trash").is_dir()


def test_system_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["train.py", "--epochs", "3"])
    with tracklib.start_run(run_name="r") as run:
        try:
            expected_user = getpass.getuser()
        except Exception:
            expected_user = "unknown"
        assert tag(run, "mlflow.user") == expected_user
        assert meta(run)["user_id"] == expected_user
        assert tag(run, "mlflow.source.name") == "train.py"
        assert tag(run, "mlflow.source.type") == "LOCAL"
        assert tag(run, "mlflow.runName") == meta(run)["run_name"] == "r"
        assert not (run_dir(run.info.run_id) / "tags" / "mlflow.parentRunId").exists()


def test_source_name_is_console_when_argv_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [""])
    with tracklib.start_run() as run:
        assert tag(run, "mlflow.source.name") == "<console>"


def test_username_env_sets_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")
    with tracklib.start_run() as run:
        assert tag(run, "mlflow.user") == "bob"
        assert meta(run)["user_id"] == "bob"


def test_generated_run_name_matches_tag_and_shape() -> None:
    with tracklib.start_run() as run:
        name = meta(run)["run_name"]
        assert tag(run, "mlflow.runName") == name == run.info.run_name
    match = RUN_NAME_SHAPE.match(name)
    assert match and len(name) <= 20 and 0 <= int(match.group(1)) <= 1000


def test_generated_run_names_shape() -> None:
    names = [generate_run_name() for _ in range(500)]
    for name in names:
        match = RUN_NAME_SHAPE.match(name)
        assert match, name
        assert len(name) <= 20
        assert 0 <= int(match.group(1)) <= 1000
    assert len(set(names)) > 100  # really random


# ---------------------------------------------------------------- statuses
def test_normal_exit_finishes_run() -> None:
    with tracklib.start_run() as run:
        pass
    m = meta(run)
    assert m["status"] == STATUS_CODES["FINISHED"]
    assert isinstance(m["end_time"], int) and m["end_time"] >= m["start_time"]
    assert tracklib.active_run() is None
    assert str(run.info.status) == "FINISHED"


def test_exception_fails_run_and_propagates() -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), tracklib.start_run() as run:
        raise Boom
    m = meta(run)
    assert m["status"] == STATUS_CODES["FAILED"]
    assert m["end_time"] is not None
    assert tracklib.active_run() is None


def test_keyboard_interrupt_kills_run() -> None:
    with pytest.raises(KeyboardInterrupt), tracklib.start_run() as run:
        raise KeyboardInterrupt
    m = meta(run)
    assert m["status"] == STATUS_CODES["KILLED"]
    assert isinstance(m["end_time"], int)


def test_second_start_run_without_nested_raises() -> None:
    with tracklib.start_run() as run:
        with pytest.raises(RunStateError, match="nested=True"):
            tracklib.start_run()
        assert tracklib.active_run() is run
    runs = [p for p in (ROOT / "0").iterdir() if p.is_dir()]
    assert [p.name for p in runs] == [run.info.run_id]


def test_end_run_with_no_run_is_a_noop() -> None:
    tracklib.end_run()
    assert tracklib.active_run() is None


def test_end_run_with_status_failed() -> None:
    run = tracklib.start_run()
    tracklib.end_run(status="FAILED")
    assert meta(run)["status"] == STATUS_CODES["FAILED"]
    assert tracklib.active_run() is None


@pytest.mark.parametrize("status", ["RUNNING", "SCHEDULED", "DONE", ""])
def test_end_run_with_bad_status_raises_and_keeps_run(status: str) -> None:
    run = tracklib.start_run()
    with pytest.raises(InvalidInputError):
        tracklib.end_run(status=status)
    assert tracklib.active_run() is run
    assert meta(run)["status"] == STATUS_CODES["RUNNING"]


# ---------------------------------------------------------------- nesting and experiments
def test_nested_run_uses_parent_experiment() -> None:
    with tracklib.start_run(experiment="outer") as parent:
        with tracklib.start_run(nested=True) as child:
            assert tracklib.active_run() is child
            assert tag(child, "mlflow.parentRunId") == parent.info.run_id
        assert tracklib.active_run() is parent
    assert child.info.experiment_id == parent.info.experiment_id
    assert run_dir(child.info.run_id, parent.info.experiment_id).is_dir()


def test_nested_run_with_named_experiment() -> None:
    with (
        tracklib.start_run(experiment="outer") as parent,
        tracklib.start_run(nested=True, experiment="other") as child,
    ):
        assert tag(child, "mlflow.parentRunId") == parent.info.run_id
    other = tracklib.get_experiment_by_name("other")
    assert other is not None
    assert child.info.experiment_id == other.experiment_id != parent.info.experiment_id
    assert run_dir(child.info.run_id, other.experiment_id).is_dir()


def test_parent_run_id_argument() -> None:
    with tracklib.start_run(experiment="p") as parent:
        pass
    with tracklib.start_run(parent_run_id=parent.info.run_id) as child:
        assert tag(child, "mlflow.parentRunId") == parent.info.run_id
    assert child.info.experiment_id == parent.info.experiment_id


def test_parent_run_id_must_exist() -> None:
    with pytest.raises(NotFoundError):
        tracklib.start_run(parent_run_id="0" * 32)
    assert tracklib.active_run() is None


def test_experiment_name_created_once_and_reused() -> None:
    with tracklib.start_run(experiment="lstm") as first:
        pass
    with tracklib.start_run(experiment="lstm") as second:
        pass
    named = [e for e in tracklib.search_experiments() if e.name == "lstm"]
    assert len(named) == 1
    exp_id = named[0].experiment_id
    assert first.info.experiment_id == second.info.experiment_id == exp_id
    exp_meta = yaml.safe_load((ROOT / exp_id / "meta.yaml").read_text("utf-8"))
    assert exp_meta["name"] == "lstm" and exp_meta["experiment_id"] == exp_id
    assert {p.name for p in (ROOT / exp_id).iterdir() if p.is_dir()} >= {
        first.info.run_id,
        second.info.run_id,
    }


def test_experiment_id_argument() -> None:
    exp_id = tracklib.Client().create_experiment("by-id")
    with tracklib.start_run(experiment_id=exp_id) as run:
        pass
    assert run.info.experiment_id == exp_id
    assert meta(run)["experiment_id"] == exp_id


def test_experiment_id_must_exist() -> None:
    tracklib.Client()  # create the store
    with pytest.raises(NotFoundError):
        tracklib.start_run(experiment_id="123456789012345678")


def test_set_experiment_then_start_run() -> None:
    experiment = tracklib.set_experiment("chosen")
    with tracklib.start_run() as run:
        pass
    assert run.info.experiment_id == experiment.experiment_id
    assert run_dir(run.info.run_id, experiment.experiment_id).is_dir()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"TRACKLIB_EXPERIMENT_NAME": "tl"}, "tl"),
        ({"MLFLOW_EXPERIMENT_NAME": "mf"}, "mf"),
        ({"TRACKLIB_EXPERIMENT_NAME": "tl", "MLFLOW_EXPERIMENT_NAME": "mf"}, "tl"),
    ],
)
def test_experiment_name_env_precedence(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with tracklib.start_run() as run:
        pass
    experiment = tracklib.get_experiment(run.info.experiment_id)
    assert experiment.name == expected
    assert tracklib.get_experiment_by_name("mf" if expected == "tl" else "tl") is None


def test_set_experiment_beats_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKLIB_EXPERIMENT_NAME", "from-env")
    chosen = tracklib.set_experiment("explicit")
    with tracklib.start_run() as run:
        pass
    assert run.info.experiment_id == chosen.experiment_id


# ---------------------------------------------------------------- resuming
def test_resume_by_run_id() -> None:
    with tracklib.start_run() as run:
        tracklib.log_metric("m", 1.0, step=0)
    run_id = run.info.run_id
    with tracklib.start_run(run_id=run_id) as resumed:
        assert resumed.info.run_id == run_id
        assert meta(resumed)["status"] == STATUS_CODES["RUNNING"]
        tracklib.log_metric("m", 2.0, step=1)
    assert meta(resumed)["status"] == STATUS_CODES["FINISHED"]
    assert [p.name for p in (ROOT / "0").iterdir() if p.is_dir()] == [run_id]
    lines = metric_text(resumed, "m").splitlines()
    assert [line.split()[1:] for line in lines] == [["1.0", "0"], ["2.0", "1"]]


@pytest.mark.parametrize("var", ["TRACKLIB_RUN_ID", "MLFLOW_RUN_ID"])
def test_resume_from_env(monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    with tracklib.start_run() as run:
        pass
    monkeypatch.setenv(var, run.info.run_id)
    with tracklib.start_run() as resumed:
        assert resumed.info.run_id == run.info.run_id
        tracklib.log_param("resumed", "yes")
    assert (run_dir(run.info.run_id) / "params" / "resumed").read_text() == "yes"


def test_tracklib_run_id_beats_mlflow_run_id(monkeypatch: pytest.MonkeyPatch) -> None:
    with tracklib.start_run() as a:
        pass
    with tracklib.start_run() as b:
        pass
    monkeypatch.setenv("TRACKLIB_RUN_ID", a.info.run_id)
    monkeypatch.setenv("MLFLOW_RUN_ID", b.info.run_id)
    with tracklib.start_run() as resumed:
        assert resumed.info.run_id == a.info.run_id


def test_resume_deleted_run_raises() -> None:
    with tracklib.start_run() as run:
        pass
    tracklib.Client().delete_run(run.info.run_id)
    with pytest.raises(RunStateError):
        tracklib.start_run(run_id=run.info.run_id)
    assert tracklib.active_run() is None


def test_resume_missing_run_raises() -> None:
    tracklib.Client()
    with pytest.raises(NotFoundError):
        tracklib.start_run(run_id="f" * 32)


# ---------------------------------------------------------------- tags and names
def test_description_becomes_note_tag() -> None:
    with tracklib.start_run(description="# Notes\nline two") as run:
        assert tag(run, "mlflow.note.content") == "# Notes\nline two"


def test_user_tags_override_system_tags() -> None:
    tags = {"mlflow.source.name": "custom.py", "mlflow.user": "carol", "team": "ml"}
    with tracklib.start_run(tags=tags) as run:
        for key, value in tags.items():
            assert tag(run, key) == value
        assert meta(run)["user_id"] == "carol"


def test_run_name_tag_gives_name() -> None:
    with tracklib.start_run(tags={"mlflow.runName": "from-tag"}) as run:
        assert meta(run)["run_name"] == "from-tag" == tag(run, "mlflow.runName")


def test_conflicting_run_name_and_tag_raise_and_write_nothing() -> None:
    tracklib.Client()  # the store exists, so "nothing written" is checkable
    with pytest.raises(InvalidInputError):
        tracklib.start_run(run_name="a", tags={"mlflow.runName": "b"})
    assert [p.name for p in (ROOT / "0").iterdir()] == ["meta.yaml"]
    assert tracklib.active_run() is None


def test_set_tag_run_name_renames_run() -> None:
    with tracklib.start_run(run_name="old") as run:
        tracklib.set_tag("mlflow.runName", "new-name")
        assert meta(run)["run_name"] == "new-name"
        assert tag(run, "mlflow.runName") == "new-name"
        assert run.info.run_name == "new-name"
    assert tracklib.get_run(run.info.run_id).info.run_name == "new-name"


def test_set_tags_writes_files_without_newline() -> None:
    with tracklib.start_run() as run:
        tracklib.set_tag("k", 1.5)
        tracklib.set_tags({"group/sub": "x", "none": None})
        assert tag(run, "k") == "1.5"
        assert tag(run, "group/sub") == "x"
        assert tag(run, "none") == "None"  # str(None), as MLflow's set_tags stores it


# ---------------------------------------------------------------- no active run
NO_RUN_CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("log_metric", ("m", 1.0)),
    ("log_metrics", ({"m": 1.0},)),
    ("log_param", ("p", 1)),
    ("log_params", ({"p": 1},)),
    ("set_tag", ("t", "v")),
    ("set_tags", ({"t": "v"},)),
    ("log_artifact", ("file.txt",)),
    ("log_artifacts", (".",)),
    ("log_text", ("hi", "a.txt")),
    ("log_dict", ({"a": 1}, "a.json")),
]


@pytest.mark.parametrize(("name", "args"), NO_RUN_CALLS, ids=[c[0] for c in NO_RUN_CALLS])
def test_logging_without_active_run_raises(name: str, args: tuple[Any, ...]) -> None:
    with pytest.raises(RunStateError, match="start_run"):
        getattr(tracklib, name)(*args)
    assert not ROOT.exists()  # no run was started behind the user's back


# ---------------------------------------------------------------- metrics
@pytest.mark.parametrize(
    ("value", "step", "timestamp"),
    [
        (3, 2, 1_700_000_000_123),
        (True, 0, 5),
        (0.1, -4, 0),
        (1e-20, 7, 42),
        (-2.5e300, 1, 42),
        (float("nan"), 3, 42),
        (float("inf"), 3, 42),
        (float("-inf"), 3, 42),
    ],
)
def test_log_metric_line_format(value: float, step: int, timestamp: int) -> None:
    with tracklib.start_run() as run:
        tracklib.log_metric("m", value, step=step, timestamp=timestamp)
        assert metric_text(run, "m") == f"{timestamp} {float(value)!r} {step}\n"


def test_log_metric_defaults_step_zero_and_now() -> None:
    with tracklib.start_run() as run:
        before = now_ms()
        tracklib.log_metric("m", 0.5)
        after = now_ms()
        ts, value, step = metric_text(run, "m").split()
    assert before <= int(ts) <= after
    assert (value, step) == ("0.5", "0")


def test_log_metric_appends_and_slash_keys_make_folders() -> None:
    with tracklib.start_run() as run:
        for i in range(3):
            tracklib.log_metric("train/acc", i / 10, step=i, timestamp=100 + i)
        expected = "".join(f"{100 + i} {i / 10!r} {i}\n" for i in range(3))
        assert metric_text(run, "train/acc") == expected


@pytest.mark.parametrize("value", ["0.5", None, [1.0], 1j])
def test_log_metric_rejects_non_numbers_and_writes_nothing(value: object) -> None:
    with tracklib.start_run() as run:
        with pytest.raises(InvalidInputError):
            tracklib.log_metric("m", value)  # type: ignore[arg-type]
        assert not (run_dir(run.info.run_id) / "metrics" / "m").exists()
        tracklib.log_metric("m", 1.0)  # the run is still usable


def test_log_metrics_share_one_timestamp() -> None:
    with tracklib.start_run() as run:
        tracklib.log_metrics({"a": 1, "b": 2.5, "c/d": False}, step=4)
        lines = {k: metric_text(run, k).split() for k in ("a", "b", "c/d")}
    assert len({fields[0] for fields in lines.values()}) == 1
    assert lines["a"][1:] == ["1.0", "4"]
    assert lines["b"][1:] == ["2.5", "4"]
    assert lines["c/d"][1:] == ["0.0", "4"]


def test_log_metrics_checks_all_before_writing() -> None:
    with tracklib.start_run() as run:
        with pytest.raises(InvalidInputError):
            tracklib.log_metrics({"good": 1.0, "bad": "x"})  # type: ignore[dict-item]
        assert list((run_dir(run.info.run_id) / "metrics").iterdir()) == []


# ---------------------------------------------------------------- params
def test_log_param_returns_value_and_writes_str() -> None:
    with tracklib.start_run() as run:
        assert tracklib.log_param("lr", 0.01) == 0.01
        assert tracklib.log_params({"batch_size": 32, "flag": True, "none": None}) is None  # type: ignore[func-returns-value]
        params = run_dir(run.info.run_id) / "params"
        assert (params / "lr").read_text() == str(0.01)
        assert (params / "batch_size").read_text() == "32"
        assert (params / "flag").read_text() == "True"
        assert (params / "none").read_text() == "None"  # str(None), as MLflow's client


def test_log_param_same_value_is_noop_and_other_value_raises() -> None:
    with tracklib.start_run() as run:
        tracklib.log_param("lr", 0.1)
        tracklib.log_param("lr", 0.1)
        tracklib.log_params({"lr": "0.1"})  # same string value
        with pytest.raises(InvalidInputError) as info:
            tracklib.log_param("lr", 0.2)
        message = str(info.value)
        assert "lr" in message and "0.1" in message and "0.2" in message
        assert (run_dir(run.info.run_id) / "params" / "lr").read_text() == "0.1"


def test_log_params_conflict_writes_nothing() -> None:
    with tracklib.start_run() as run:
        tracklib.log_param("a", 1)
        with pytest.raises(InvalidInputError):
            tracklib.log_params({"b": 2, "a": 3})
        assert not (run_dir(run.info.run_id) / "params" / "b").exists()


# ---------------------------------------------------------------- artifacts
def test_log_text_and_log_dict() -> None:
    data = {"name": "lstm", "layers": [40, 20], "dropout": 0.2, "nested": {"ok": True}}
    with tracklib.start_run() as run:
        tracklib.log_text("héllo\nworld", "notes/summary.md")
        tracklib.log_dict(data, "config.json")
        tracklib.log_dict(data, "cfg/config.yaml")
        tracklib.log_dict(data, "cfg/config.yml")
    assert artifact(run, "notes/summary.md").read_text("utf-8") == "héllo\nworld"
    assert json.loads(artifact(run, "config.json").read_text("utf-8")) == data
    assert yaml.safe_load(artifact(run, "cfg/config.yaml").read_text("utf-8")) == data
    assert yaml.safe_load(artifact(run, "cfg/config.yml").read_text("utf-8")) == data


@pytest.mark.parametrize("bad", ["../x.txt", "/abs/x.txt", "a/../../x.txt"])
def test_log_text_refuses_paths_outside_artifacts(bad: str) -> None:
    with tracklib.start_run() as run, pytest.raises(InvalidInputError):
        tracklib.log_text("x", bad)
    assert files_under(artifact(run, "")) == {}


def test_log_artifact_with_artifact_path(tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(b"\x00\x01weights")
    with tracklib.start_run() as run:
        tracklib.log_artifact(source)
        tracklib.log_artifact(str(source), artifact_path="models/best")
    assert artifact(run, "model.bin").read_bytes() == source.read_bytes()
    assert artifact(run, "models/best/model.bin").read_bytes() == source.read_bytes()


def test_log_artifact_missing_file_raises(tmp_path: Path) -> None:
    with tracklib.start_run(), pytest.raises(InvalidInputError):
        tracklib.log_artifact(tmp_path / "missing.txt")


def test_log_artifacts_copies_tree(tmp_path: Path) -> None:
    tree = tmp_path / "out"
    (tree / "sub" / "deep").mkdir(parents=True)
    (tree / "a.txt").write_text("a")
    (tree / "sub" / "b.txt").write_text("b")
    (tree / "sub" / "deep" / "c.bin").write_bytes(b"\xffc")
    with tracklib.start_run() as run:
        tracklib.log_artifacts(tree)
        tracklib.log_artifacts(str(tree), artifact_path="copy")
    assert files_under(artifact(run, "")) == {
        **files_under(tree),
        **{f"copy/{k}": v for k, v in files_under(tree).items()},
    }


def test_list_and_download_artifacts(tmp_path: Path) -> None:
    tree = tmp_path / "src"
    (tree / "sub").mkdir(parents=True)
    (tree / "top.txt").write_text("top")
    (tree / "sub" / "x.txt").write_text("xx")
    with tracklib.start_run() as run:
        tracklib.log_artifacts(tree)
    run_id = run.info.run_id
    top = tracklib.list_artifacts(run_id)
    assert [(f.path, f.is_dir) for f in top] == [("sub", True), ("top.txt", False)]
    assert top[1].file_size == 3
    inner = tracklib.list_artifacts(run_id, "sub")
    assert [(f.path, f.is_dir, f.file_size) for f in inner] == [("sub/x.txt", False, 2)]

    local = tracklib.download_artifacts(run_id, "sub/x.txt")
    assert Path(local).read_text() == "xx"
    dst = tmp_path / "dst"
    dst.mkdir()
    copied = tracklib.download_artifacts(run_id, "sub", dst_path=dst)
    assert files_under(Path(copied)) == {"x.txt": b"xx"}
    assert Path(copied).resolve().is_relative_to(dst.resolve())
    with pytest.raises(NotFoundError):
        tracklib.download_artifacts(run_id, "nope.txt")


# ---------------------------------------------------------------- reads
def test_get_run_and_metric_history() -> None:
    with tracklib.start_run(run_name="read-me", tags={"team": "ml"}) as run:
        tracklib.log_param("p", 7)
        tracklib.log_metric("loss", 5.0, step=2, timestamp=10)
        tracklib.log_metric("loss", 1.0, step=1, timestamp=20)
        tracklib.log_metric("loss", 3.0, step=2, timestamp=5)
    snapshot = tracklib.get_run(run.info.run_id)
    assert snapshot.info.run_id == run.info.run_id
    assert snapshot.info.run_name == "read-me"
    assert str(snapshot.info.status) == "FINISHED"
    assert snapshot.info.end_time == meta(run)["end_time"]
    assert snapshot.data.params == {"p": "7"}
    # MLflow's rule: the point with the largest (step, timestamp, value)
    assert snapshot.data.metrics == {"loss": 5.0}
    assert snapshot.data.tags["team"] == "ml"
    assert snapshot.data.tags["mlflow.runName"] == "read-me"
    history = tracklib.get_metric_history(run.info.run_id, "loss")
    assert [(m.key, m.value, m.timestamp, m.step) for m in history] == [
        ("loss", 5.0, 10, 2),
        ("loss", 1.0, 20, 1),
        ("loss", 3.0, 5, 2),
    ]


def test_get_run_missing_raises_not_found() -> None:
    tracklib.Client()
    with pytest.raises(NotFoundError):
        tracklib.get_run("a" * 32)
    with pytest.raises(KeyError):
        tracklib.get_run("a" * 32)


def test_search_runs_newest_first() -> None:
    client = tracklib.Client()
    ids = [client.create_run("0", start_time=1000 * (i + 1)).info.run_id for i in range(3)]
    found = [r.info.run_id for r in tracklib.search_runs()]
    assert found == ids[::-1]
    assert [r.info.run_id for r in tracklib.search_runs(max_results=2)] == ids[:0:-1]


def test_search_runs_by_experiment_names_and_ids() -> None:
    with tracklib.start_run(experiment="a") as run_a:
        pass
    with tracklib.start_run(experiment="b") as run_b:
        pass
    with tracklib.start_run() as run_default:
        pass
    by_name = tracklib.search_runs(experiment_names=["a"])
    assert [r.info.run_id for r in by_name] == [run_a.info.run_id]
    by_id = tracklib.search_runs(experiment_ids=[run_b.info.experiment_id])
    assert [r.info.run_id for r in by_id] == [run_b.info.run_id]
    both = tracklib.search_runs(experiment_ids=[run_a.info.experiment_id, "0"])
    assert {r.info.run_id for r in both} == {run_a.info.run_id, run_default.info.run_id}
    assert [r.info.run_id for r in tracklib.search_runs()] == [run_default.info.run_id]
    with pytest.raises(NotFoundError):
        tracklib.search_runs(experiment_names=["missing"])


def test_search_runs_malformed_filter_string() -> None:
    with tracklib.start_run():
        pass
    with pytest.raises(InvalidInputError):
        tracklib.search_runs(filter_string="metrics.loss < 'one'")


# ---------------------------------------------------------------- import
def test_import_is_light_and_writes_nothing(tmp_path: Path) -> None:
    workdir = tmp_path / "empty"
    workdir.mkdir()
    code = (
        "import sys, tracklib\n"
        "heavy = [m for m in ('requests', 'yaml', 'filelock') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLIB_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == ""
    assert list(workdir.iterdir()) == []


def test_nan_metric_is_stored_as_nan() -> None:
    with tracklib.start_run() as run:
        tracklib.log_metric("m", math.nan)
    assert math.isnan(tracklib.get_run(run.info.run_id).data.metrics["m"])


def test_start_run_tags_with_slashes_become_subfolders(tmp_path: Path) -> None:
    with tracklib.start_run(tags={"team/owner": "ana"}) as run:
        pass
    run_dir = next((tmp_path / "mlruns" / "0").glob(f"{run.info.run_id}"))
    assert (run_dir / "tags" / "team" / "owner").read_text() == "ana"
    assert tracklib.get_run(run.info.run_id).data.tags["team/owner"] == "ana"


def test_resume_applies_name_tags_and_description() -> None:
    with tracklib.start_run(run_name="first") as run:
        pass
    with tracklib.start_run(
        run_id=run.info.run_id, run_name="second", tags={"k": "v"}, description="again"
    ):
        pass
    data = tracklib.get_run(run.info.run_id)
    assert data.info.run_name == "second"
    assert data.data.tags["mlflow.runName"] == "second"
    assert data.data.tags["k"] == "v"
    assert data.data.tags["mlflow.note.content"] == "again"


def test_artifact_file_and_folder_clash_is_a_clear_error(tmp_path: Path) -> None:
    with tracklib.start_run() as run:
        tracklib.log_text("x", "a")
        with pytest.raises(InvalidInputError, match="clashes"):
            tracklib.log_text("y", "a/b")
        tracklib.log_text("z", "c/d")
        with pytest.raises(InvalidInputError, match="clashes"):
            tracklib.log_text("w", "c")
        tracklib.log_text("again", "a")  # overwriting a file replaces it whole
    paths = {f.path: f.is_dir for f in tracklib.list_artifacts(run.info.run_id)}
    assert paths == {"a": False, "c": True}
    folder = Path(tracklib.download_artifacts(run.info.run_id, "a"))
    assert folder.read_text() == "again"


def test_description_and_note_tag_must_agree() -> None:
    with pytest.raises(InvalidInputError, match="disagree"):
        tracklib.start_run(description="a", tags={"mlflow.note.content": "b"})
    assert tracklib.active_run() is None
    with tracklib.start_run(description="same", tags={"mlflow.note.content": "same"}) as run:
        pass
    assert tracklib.get_run(run.info.run_id).data.tags["mlflow.note.content"] == "same"


def test_experiment_name_and_id_env_vars_must_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    experiment_id = tracklib.Client().create_experiment("env-exp")
    monkeypatch.setenv("TRACKLIB_EXPERIMENT_NAME", "env-exp")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", experiment_id)
    with tracklib.start_run() as run:
        pass
    assert run.info.experiment_id == experiment_id
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "0")
    with pytest.raises(InvalidInputError, match="disagree"):
        tracklib.start_run()
