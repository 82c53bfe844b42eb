"""The Store contract: one suite, run against every store tracklib has.

Each test gets a ``Subject``: a store (``FileStore`` in the test's folder, ``InMemoryStore``),
the Client over it, and the same store set as the process's tracking URI, so the fluent API
writes to it too. Expected values come from the contract (docs/file-store.md, the MLflow
compatibility spec), never from another store's output.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow_helpers import files_under

import tracklib
from tracklib import testing
from tracklib.entities import Metric, Param, RunStatus, RunTag, ViewType
from tracklib.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    RunStateError,
)
from tracklib.stores.base import Store


@dataclass
class Subject:
    kind: str
    client: tracklib.Client
    # Only the SQL-backed MLflow server lets the Default experiment go; stores that mirror
    # the file store refuse it. A store that behaves like the server would say True here.
    deletes_default: bool = False

    @property
    def store(self) -> Store:
        return self.client.store


@pytest.fixture(params=["file", "memory"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    if request.param == "file":
        tracklib.set_tracking_uri(os.fspath(tmp_path / "mlruns"))
        yield Subject("file", tracklib.Client())
    else:
        with testing.use_in_memory_store():
            yield Subject("memory", tracklib.Client())


def new_run(store: Store, experiment_id: str = "0", start: int = 1_000, name: str = "r") -> str:
    return store.create_run(experiment_id, "alice", start, name, [RunTag("team", "a")]).run_id


# ------------------------------------------------------------------ experiments
def test_default_experiment_exists(subject: Subject) -> None:
    default = subject.store.get_experiment("0")
    assert (default.name, default.lifecycle_stage) == ("Default", "active")
    assert "0" in {e.experiment_id for e in subject.store.search_experiments()}


def test_create_and_get_experiment(subject: Subject) -> None:
    store = subject.store
    experiment_id = store.create_experiment("exp-a", tags={"team": "vision"})
    got = store.get_experiment(experiment_id)
    assert (got.experiment_id, got.name, got.lifecycle_stage) == (experiment_id, "exp-a", "active")
    assert got.tags == {"team": "vision"}
    assert experiment_id.isdigit() and experiment_id != "0"
    by_name = store.get_experiment_by_name("exp-a")
    assert by_name is not None and by_name.experiment_id == experiment_id
    assert store.get_experiment_by_name("no-such-experiment") is None


def test_get_missing_experiment_raises_not_found(subject: Subject) -> None:
    with pytest.raises(NotFoundError) as info:
        subject.store.get_experiment("123456789")
    assert isinstance(info.value, KeyError)
    assert "123456789" in str(info.value)


def test_duplicate_experiment_name_raises_even_when_deleted(subject: Subject) -> None:
    store = subject.store
    experiment_id = store.create_experiment("dup")
    with pytest.raises(AlreadyExistsError, match="dup"):
        store.create_experiment("dup")
    store.delete_experiment(experiment_id)
    with pytest.raises(AlreadyExistsError, match="dup"):
        store.create_experiment("dup")
    deleted = store.get_experiment_by_name("dup")  # deleted experiments are found by name
    assert deleted is not None and deleted.lifecycle_stage == "deleted"


def test_search_experiments_by_view_type(subject: Subject) -> None:
    store = subject.store
    kept = store.create_experiment("kept")
    gone = store.create_experiment("gone")
    store.delete_experiment(gone)

    def ids(view: ViewType) -> set[str]:
        return {e.experiment_id for e in store.search_experiments(view)}

    assert ids(ViewType.ACTIVE_ONLY) == {"0", kept}
    assert ids(ViewType.DELETED_ONLY) == {gone}
    assert ids(ViewType.ALL) == {"0", kept, gone}


def test_delete_and_restore_experiment_cascade_to_runs(subject: Subject) -> None:
    store = subject.store
    experiment_id = store.create_experiment("cascade")
    run_id = new_run(store, experiment_id)
    store.delete_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert store.get_run(run_id).info.lifecycle_stage == "deleted"
    with pytest.raises(RunStateError):
        store.log_metric(run_id, "m", 1.0, 1, 0)
    with pytest.raises(RunStateError):
        new_run(store, experiment_id)

    store.restore_experiment(experiment_id)
    assert store.get_experiment(experiment_id).lifecycle_stage == "active"
    assert store.get_run(run_id).info.lifecycle_stage == "active"
    store.log_metric(run_id, "m", 1.0, 1, 0)
    assert [m.value for m in store.get_metric_history(run_id, "m")] == [1.0]


def test_restoring_an_active_experiment_raises_not_found(subject: Subject) -> None:
    experiment_id = subject.store.create_experiment("active")
    for active in (experiment_id, "0"):  # MLflow: "Could not find deleted experiment"
        with pytest.raises(NotFoundError, match="not deleted"):
            subject.store.restore_experiment(active)
        assert subject.store.get_experiment(active).lifecycle_stage == "active"


def test_rename_experiment(subject: Subject) -> None:
    store = subject.store
    experiment_id = store.create_experiment("old name")
    run_id = new_run(store, experiment_id)
    store.rename_experiment(experiment_id, "new name")
    assert store.get_experiment(experiment_id).name == "new name"
    assert store.get_experiment_by_name("old name") is None
    got = store.get_experiment_by_name("new name")
    assert got is not None and got.experiment_id == experiment_id
    assert store.get_run(run_id).info.experiment_id == experiment_id
    other = store.create_experiment("other")
    for taken in ("new name", "Default"):
        with pytest.raises(AlreadyExistsError):
            store.rename_experiment(other, taken)
    with pytest.raises(NotFoundError):
        store.rename_experiment("987654321", "x")
    store.delete_experiment(other)
    with pytest.raises(RunStateError, match="restore"):
        store.rename_experiment(other, "while deleted")
    assert store.get_experiment(other).name == "other"


def test_delete_tag(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)
    store.set_tag(run_id, "group/key", "v")
    store.delete_tag(run_id, "team")
    store.delete_tag(run_id, "group/key")
    assert store.get_run(run_id).data.tags == {"mlflow.runName": "r"}
    with pytest.raises(NotFoundError, match="team"):
        store.delete_tag(run_id, "team")
    with pytest.raises(NotFoundError):
        store.delete_tag("0123456789abcdef0123456789abcdef", "team")
    store.set_tag(run_id, "team", "back")  # a deleted tag can be set again
    assert store.get_run(run_id).data.tags["team"] == "back"


def test_default_experiment_deletion_follows_the_contract(subject: Subject) -> None:
    if subject.deletes_default:
        subject.store.delete_experiment("0")
        assert subject.store.get_experiment("0").lifecycle_stage == "deleted"
        return
    with pytest.raises(InvalidInputError, match="Default"):
        subject.store.delete_experiment("0")
    assert subject.store.get_experiment("0").lifecycle_stage == "active"
    new_run(subject.store)  # still usable


# ------------------------------------------------------------------ runs
def test_create_and_get_run(subject: Subject) -> None:
    store = subject.store
    info = store.create_run("0", "alice", 1_234, "calm-owl-1", [RunTag("team", "a")])
    assert len(info.run_id) == 32 and int(info.run_id, 16) >= 0
    run = store.get_run(info.run_id)
    got = run.info
    assert (got.run_id, got.experiment_id, got.run_name, got.user_id) == (
        info.run_id,
        "0",
        "calm-owl-1",
        "alice",
    )
    assert (got.status, got.start_time, got.end_time) == (RunStatus.RUNNING, 1_234, None)
    assert got.lifecycle_stage == "active"
    assert got.artifact_uri.endswith(f"/{info.run_id}/artifacts")
    assert run.data.tags == {"team": "a", "mlflow.runName": "calm-owl-1"}
    assert (run.data.params, run.data.metrics) == ({}, {})


def test_get_missing_run_raises_not_found(subject: Subject) -> None:
    with pytest.raises(NotFoundError, match="0123456789abcdef"):
        subject.store.get_run("0123456789abcdef0123456789abcdef")


def test_update_run_status_end_time_and_name(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)
    info = store.update_run(run_id, RunStatus.FINISHED, 5_000)
    assert (info.status, info.end_time) == (RunStatus.FINISHED, 5_000)
    store.update_run(run_id, RunStatus.FINISHED, 5_000, run_name="renamed")
    run = store.get_run(run_id)
    assert (run.info.status, run.info.end_time) == (RunStatus.FINISHED, 5_000)
    assert run.info.run_name == run.data.tags["mlflow.runName"] == "renamed"


def test_finished_run_can_still_be_written(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)
    store.update_run(run_id, RunStatus.FINISHED, 5_000)
    store.log_metric(run_id, "late", 2.0, 6_000, 1)
    assert store.get_run(run_id).data.metrics == {"late": 2.0}


def test_delete_and_restore_run(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)

    def listed(view: ViewType) -> list[str]:
        return [r.info.run_id for r in store.search_runs(["0"], view_type=view)[0]]

    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == "deleted"
    assert listed(ViewType.ACTIVE_ONLY) == []
    assert listed(ViewType.DELETED_ONLY) == [run_id]
    store.restore_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage == "active"
    assert listed(ViewType.ACTIVE_ONLY) == [run_id]
    assert listed(ViewType.DELETED_ONLY) == []


WRITES: dict[str, Callable[[Store, str, Path], object]] = {
    "log_metric": lambda s, r, _: s.log_metric(r, "m", 1.0, 1, 0),
    "log_param": lambda s, r, _: s.log_param(r, "p", "1"),
    "set_tag": lambda s, r, _: s.set_tag(r, "t", "1"),
    "log_batch": lambda s, r, _: s.log_batch(r, [Metric("b", 1.0, 1, 0)], [Param("q", "1")]),
    "log_bytes": lambda s, r, _: s.log_bytes(r, b"x", "x.txt"),
    "log_artifact": lambda s, r, tmp: s.log_artifact(r, tmp / "local.txt", None),
    "log_artifacts": lambda s, r, tmp: s.log_artifacts(r, tmp / "folder", None),
    "update_run status": lambda s, r, _: s.update_run(r, RunStatus.FINISHED, 5_000),
    "update_run name": lambda s, r, _: s.update_run(r, RunStatus.RUNNING, None, "renamed"),
    "delete_tag": lambda s, r, _: s.delete_tag(r, "team"),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_writing_to_a_deleted_run_raises_and_writes_nothing(
    subject: Subject, write: str, tmp_path: Path
) -> None:
    (tmp_path / "local.txt").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "f.txt").write_text("x")
    store = subject.store
    run_id = new_run(store)
    before = store.get_run(run_id).data
    store.delete_run(run_id)
    with pytest.raises(RunStateError, match=run_id):
        WRITES[write](store, run_id, tmp_path)
    store.restore_run(run_id)
    assert store.get_run(run_id).data == before
    assert store.list_artifacts(run_id) == []
    WRITES[write](store, run_id, tmp_path)  # restored: writable again


# ------------------------------------------------------------------ params and tags
def test_param_same_value_is_noop_other_value_raises(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)
    store.log_param(run_id, "lr", "0.1")
    store.log_param(run_id, "lr", "0.1")
    with pytest.raises(InvalidInputError) as info:
        store.log_param(run_id, "lr", "0.2")
    message = str(info.value)
    assert "lr" in message and "0.1" in message and "0.2" in message
    assert store.get_run(run_id).data.params == {"lr": "0.1"}


def test_log_batch_repeating_a_param_with_two_values_raises(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)
    with pytest.raises(InvalidInputError, match="'k'"):
        store.log_batch(run_id, params=[Param("k", "1"), Param("other", "x"), Param("k", "2")])
    assert store.get_run(run_id).data.params == {}


def test_log_batch_with_conflicting_param_writes_nothing(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)
    store.log_param(run_id, "fixed", "1")
    before = store.get_run(run_id)
    with pytest.raises(InvalidInputError, match="fixed"):
        store.log_batch(
            run_id,
            metrics=[Metric("loss", 0.5, 10, 0)],
            params=[Param("fresh", "x"), Param("fixed", "2")],
            tags=[RunTag("note", "hi")],
        )
    assert store.get_run(run_id) == before
    assert store.get_metric_history(run_id, "loss") == []


def test_tags_overwrite_and_run_name_tag_renames(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store, name="first")
    store.set_tag(run_id, "stage", "one")
    store.set_tag(run_id, "stage", "two")
    store.set_tag(run_id, "mlflow.runName", "second")
    run = store.get_run(run_id)
    assert run.data.tags["stage"] == "two"
    assert run.info.run_name == run.data.tags["mlflow.runName"] == "second"


# ------------------------------------------------------------------ metrics
def test_metric_history_keeps_logged_order(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)
    points = [(3, 0.5), (1, math.inf), (-2, -math.inf), (1, 0.25), (7, math.nan)]
    for ts, (step, value) in enumerate(points, start=100):
        store.log_metric(run_id, "train/loss", value, ts, step)
    history = store.get_metric_history(run_id, "train/loss")
    assert [(m.key, m.timestamp, m.step) for m in history] == [
        ("train/loss", ts, step) for ts, (step, _) in enumerate(points, start=100)
    ]
    values = [m.value for m in history]
    assert values[:4] == [0.5, math.inf, -math.inf, 0.25] and math.isnan(values[4])
    assert store.get_metric_history(run_id, "never-logged") == []


# (step, timestamp, value) points in logged order -> the latest value, by the spec's rule:
# the point with the largest (step, timestamp, value) wins, whatever order they came in.
LATEST_CASES = {
    "later point with lower step loses": ([(5, 100, 1.0), (2, 200, 9.0)], 1.0),
    "same step: later timestamp wins": ([(1, 200, 1.0), (1, 100, 9.0)], 1.0),
    "same step and timestamp: larger value wins": ([(1, 100, 9.0), (1, 100, 1.0)], 9.0),
    "negative steps": ([(-1, 300, 1.0), (-5, 400, 2.0)], 1.0),
}


@pytest.mark.parametrize("case", sorted(LATEST_CASES))
def test_latest_metric_rule(subject: Subject, case: str) -> None:
    points, expected = LATEST_CASES[case]
    store = subject.store
    run_id = new_run(store)
    for step, ts, value in points:
        store.log_metric(run_id, "m", value, ts, step)
    assert store.get_run(run_id).data.metrics == {"m": expected}
    listed, _ = store.search_runs(["0"])
    assert listed[0].data.metrics == {"m": expected}


def test_latest_metric_rule_matches_mlflow_on_disk(tmp_path: Path) -> None:
    """The file store's latest values are what MLflow itself reports for the same files."""
    from mlflow.tracking import MlflowClient

    root = tmp_path / "mlruns"
    store = tracklib.Client(os.fspath(root)).store
    run_id = new_run(store)
    for case, (points, _) in LATEST_CASES.items():
        for step, ts, value in points:
            store.log_metric(run_id, case.replace(":", ""), value, ts, step)
    theirs = MlflowClient(tracking_uri=root.as_uri()).get_run(run_id).data.metrics
    assert store.get_run(run_id).data.metrics == theirs


def test_log_batch_metrics_params_tags(subject: Subject) -> None:
    store = subject.store
    run_id = new_run(store)
    store.log_batch(
        run_id,
        metrics=[Metric("a", 1.0, 10, 0), Metric("b", 2.0, 10, 0), Metric("a", 3.0, 11, 1)],
        params=[Param("p", "x"), Param("p", "x")],
        tags=[RunTag("t", "y")],
    )
    run = store.get_run(run_id)
    assert run.data.metrics == {"a": 3.0, "b": 2.0}
    assert run.data.params == {"p": "x"}
    assert run.data.tags["t"] == "y"
    assert [m.value for m in store.get_metric_history(run_id, "a")] == [1.0, 3.0]


@pytest.mark.parametrize("kind", ["metric", "param", "tag"])
@pytest.mark.parametrize(("first", "second"), [("a", "a/b"), ("a/b", "a")])
def test_key_and_key_slash_child_clash(
    subject: Subject, kind: str, first: str, second: str
) -> None:
    store = subject.store
    run_id = new_run(store)
    writers: dict[str, Callable[[str], None]] = {
        "metric": lambda key: store.log_metric(run_id, key, 1.0, 1, 0),
        "param": lambda key: store.log_param(run_id, key, "v"),
        "tag": lambda key: store.set_tag(run_id, key, "v"),
    }
    write = writers[kind]
    write(first)
    with pytest.raises(InvalidInputError, match=repr(second)):
        write(second)
    data = store.get_run(run_id).data
    by_kind: dict[str, dict[str, Any]] = {
        "metric": data.metrics,
        "param": data.params,
        "tag": data.tags,
    }
    keys = by_kind[kind]
    assert first in keys and second not in keys
    write("unrelated/key")  # the run is still usable


# ------------------------------------------------------------------ search
def test_search_runs_newest_first_with_pages(subject: Subject) -> None:
    store = subject.store
    other = store.create_experiment("other")
    starts = [3_000, 1_000, 5_000, 2_000, 4_000]
    ids = {start: new_run(store, "0" if start % 2000 else other, start) for start in starts}
    newest_first = [ids[s] for s in sorted(starts, reverse=True)]

    everything, token = store.search_runs(["0", other])
    assert [r.info.run_id for r in everything] == newest_first and token is None

    pages, token = [], None
    while True:
        page, token = store.search_runs(["0", other], max_results=2, page_token=token)
        pages.append([r.info.run_id for r in page])
        if token is None:
            break
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]

    only_default, _ = store.search_runs(["0"])
    assert [r.info.run_id for r in only_default] == [ids[5_000], ids[3_000], ids[1_000]]
    via_client = subject.client.search_runs([other, "0"], max_results=3)
    assert [r.info.run_id for r in via_client] == newest_first[:3]


def test_search_runs_filter_and_order_by(subject: Subject) -> None:
    store = subject.store
    runs = {}
    for start, (lr, loss) in enumerate([("0.1", 0.5), ("0.2", 0.3), ("0.1", 0.9), ("0.3", None)]):
        run_id = runs[start] = new_run(store, start=1_000 + start, name=f"run-{start}")
        store.log_param(run_id, "lr", lr)
        if loss is not None:
            store.log_metric(run_id, "loss", loss, 1, 0)

    def found(filter_string: str = "", order_by: list[str] | None = None) -> list[int]:
        page, _ = store.search_runs(["0"], filter_string, order_by=order_by)
        by_id = {run_id: n for n, run_id in runs.items()}
        return [by_id[r.info.run_id] for r in page]

    # MLflow's rules: a run lacking the key never matches; ordered keys put it last.
    assert found("params.lr = '0.1'") == [2, 0]
    assert found("metrics.loss < 0.6") == [1, 0]
    assert found("params.lr = '0.1' and metrics.loss > 0.6") == [2]
    assert found(order_by=["metrics.loss ASC"]) == [1, 0, 2, 3]
    assert found(order_by=["params.lr DESC", "start_time ASC"]) == [3, 1, 0, 2]
    assert found("attributes.run_name = 'run-3'") == [3]


def test_search_runs_max_results_zero_gives_an_empty_page(subject: Subject) -> None:
    for start in (1_000, 2_000):
        new_run(subject.store, start=start)
    runs, token = subject.store.search_runs(["0"], max_results=0)
    assert runs == [] and token is not None  # MLflow's page: nothing, and where to go on
    runs, token = subject.store.search_runs(["0"], max_results=50_000, page_token=token)
    assert [r.info.start_time for r in runs] == [2_000, 1_000] and token is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"max_results": -1}, InvalidInputError),
        ({"max_results": 50_001}, InvalidInputError),  # MLflow's limit
        ({"page_token": "not-a-token"}, InvalidInputError),
        ({"filter_string": "params.lr = 0.1"}, InvalidInputError),  # params are strings
        ({"order_by": ["metrics.m SIDEWAYS"]}, InvalidInputError),
        ({"experiment_ids": ["987654321"]}, NotFoundError),
    ],
)
def test_search_runs_bad_arguments(
    subject: Subject, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    new_run(subject.store)
    arguments: dict[str, Any] = {"experiment_ids": ["0"], **kwargs}
    with pytest.raises(error):
        subject.store.search_runs(**arguments)


# ------------------------------------------------------------------ artifacts
def test_artifacts_log_list_download(subject: Subject, tmp_path: Path) -> None:
    store = subject.store
    run_id = new_run(store)
    weights = tmp_path / "weights.bin"
    weights.write_bytes(bytes(range(256)))
    bundle = tmp_path / "bundle"
    (bundle / "sub").mkdir(parents=True)
    (bundle / "top.csv").write_text("a,b\n")
    (bundle / "sub" / "deep.txt").write_text("deep")

    store.log_artifact(run_id, weights, None)
    store.log_artifact(run_id, os.fspath(weights), "models/best")
    store.log_artifacts(run_id, bundle, "bundle")
    store.log_bytes(run_id, b"old", "notes/readme.md")
    store.log_bytes(run_id, b"new", "notes/readme.md")  # overwrites

    root = [(f.path, f.is_dir, f.file_size) for f in store.list_artifacts(run_id)]
    assert root == [
        ("bundle", True, None),
        ("models", True, None),
        ("notes", True, None),
        ("weights.bin", False, 256),
    ]
    nested = store.list_artifacts(run_id, "models/best")
    assert [(f.path, f.is_dir, f.file_size) for f in nested] == [
        ("models/best/weights.bin", False, 256)
    ]
    assert [f.path for f in store.list_artifacts(run_id, "bundle")] == [
        "bundle/sub",
        "bundle/top.csv",
    ]
    assert store.list_artifacts(run_id, "no/such/folder") == []

    whole = Path(store.download_artifacts(run_id, "", tmp_path / "all"))
    assert files_under(whole) == {
        "weights.bin": bytes(range(256)),
        "models/best/weights.bin": bytes(range(256)),
        "bundle/top.csv": b"a,b\n",
        "bundle/sub/deep.txt": b"deep",
        "notes/readme.md": b"new",
    }
    one = Path(store.download_artifacts(run_id, "bundle/sub/deep.txt", tmp_path / "one"))
    assert one.name == "deep.txt" and one.read_bytes() == b"deep"
    folder = Path(store.download_artifacts(run_id, "bundle", None))
    assert files_under(folder) == {"top.csv": b"a,b\n", "sub/deep.txt": b"deep"}
    with pytest.raises(NotFoundError, match=r"missing\.txt"):
        store.download_artifacts(run_id, "missing.txt", tmp_path / "none")


def test_artifacts_through_client(subject: Subject, tmp_path: Path) -> None:
    client = subject.client
    run_id = client.create_run("0", run_name="with-artifacts").info.run_id
    client.log_text(run_id, "hello", "texts/hello.txt")
    client.log_dict(run_id, {"a": 1}, "config/params.json")
    got = Path(client.download_artifacts(run_id, "", tmp_path / "dl"))
    assert files_under(got)["texts/hello.txt"] == b"hello"
    assert files_under(got)["config/params.json"].decode().replace(" ", "").replace("\n", "") == (
        '{"a":1}'
    )
    with pytest.raises(InvalidInputError, match=r"\.\."):
        client.log_text(run_id, "x", "../escape.txt")


# ------------------------------------------------------------------ through tracklib's API
def test_client_and_fluent_api_reach_the_store(subject: Subject) -> None:
    with tracklib.start_run(experiment="fluent", run_name="via-fluent") as run:
        tracklib.log_params({"batch_size": 32})
        for step in range(3):
            tracklib.log_metric("mse", 1.0 / (step + 1), step=step)
    got = subject.store.get_run(run.info.run_id)
    assert got.info.status == RunStatus.FINISHED
    assert got.data.params == {"batch_size": "32"}
    assert got.data.metrics == {"mse": 1.0 / 3}
    experiment = subject.client.get_experiment_by_name("fluent")
    assert experiment is not None and got.info.experiment_id == experiment.experiment_id
    history = subject.client.get_metric_history(run.info.run_id, "mse")
    assert [m.step for m in history] == [0, 1, 2]


# ------------------------------------------------------------------ the memory: scheme
def test_memory_uri_selects_one_shared_in_memory_store(tmp_path: Path) -> None:
    tracklib.set_tracking_uri("memory:contract")
    try:
        store = testing.memory_store("memory:contract")
        assert tracklib.Client().store is store
        assert tracklib.Client("memory:other").store is not store
        with tracklib.start_run() as run:
            tracklib.log_metric("m", 1.0)
        assert store.get_run(run.info.run_id).data.metrics == {"m": 1.0}
        assert list(tmp_path.iterdir()) == []  # nothing on disk
    finally:
        testing.reset()


def test_use_in_memory_store_restores_the_previous_uri(tmp_path: Path) -> None:
    tracklib.set_tracking_uri(tmp_path / "elsewhere")
    with testing.use_in_memory_store() as store:
        assert tracklib.get_tracking_uri().startswith("memory:")
        run = tracklib.start_run()
        run.end()
    assert tracklib.get_tracking_uri() == os.fspath(tmp_path / "elsewhere")
    assert store.get_run(run.info.run_id).info.status == RunStatus.FINISHED
    assert not (tmp_path / "elsewhere").exists()
