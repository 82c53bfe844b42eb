"""The replicator, store to store: complete, incremental, idempotent, exactly once.

The target here is a second file store, so these tests need no server; the same replicator
pushes to an MLflow server through the REST store.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

import tracklib
from tracklib.entities import Metric
from tracklib.errors import StoreUnavailableError
from tracklib.remote import replicator as sync
from tracklib.remote.replicator import Replicator
from tracklib.stores.file.store import FileStore


@pytest.fixture(autouse=True)
def _short_settle_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "SETTLE_PAUSE", 0.5)  # longer than AppliesLate's 0.2 s lag


def _log_offline(root: Path) -> tuple[str, str]:
    tracklib.set_tracking_uri(str(root))
    with tracklib.start_run(experiment="offline", run_name="parent") as parent:
        tracklib.log_params({"lr": 0.1, "layers": 3})
        with tracklib.start_run(nested=True, run_name="child") as child:
            for step in range(2500):
                tracklib.log_metric("loss", 1.0 / (step + 1), step=step)
            tracklib.log_metric("nan", float("nan"))
            tracklib.set_tag("stage", "train")
            tracklib.log_text("hello", "notes/readme.txt")
    tracklib.set_tracking_uri(None)
    return parent.run_id, child.run_id


def _by_name(client: tracklib.Client) -> dict[str, tracklib.Run]:
    runs = client.search_runs(experiment_names=["offline"])
    return {r.info.run_name: r for r in runs}


def _sync(src: Path, dst: Path, **kwargs: Any) -> Replicator:
    replicator = Replicator(FileStore(str(dst)), str(dst), **kwargs)
    replicator.sync_store(str(src))
    return replicator


def test_sync_copies_everything(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _, child_id = _log_offline(src)
    stats = _sync(src, dst).stats
    local, remote = tracklib.Client(str(src)), tracklib.Client(str(dst))
    runs = _by_name(remote)
    assert set(runs) == {"parent", "child"}
    child = runs["child"]
    assert child.data.tags["mlflow.parentRunId"] == runs["parent"].info.run_id
    source = local.get_run(child_id)
    assert child.info.start_time == source.info.start_time
    assert child.info.end_time == source.info.end_time
    assert child.info.status == "FINISHED"
    assert child.data.params == source.data.params
    history = remote.get_metric_history(child.info.run_id, "loss")
    assert history == local.get_metric_history(child_id, "loss")
    assert stats.points == 2501 and stats.runs == 2
    folder = Path(remote.download_artifacts(child.info.run_id, "notes/readme.txt"))
    assert folder.read_text() == "hello"


def test_second_sync_sends_nothing_and_resumed_runs_send_only_new_points(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _, child_id = _log_offline(src)
    _sync(src, dst)
    again = _sync(src, dst).stats
    assert (again.points, again.params, again.tags, again.files) == (0, 0, 0, 0)
    tracklib.set_tracking_uri(str(src))
    with tracklib.start_run(run_id=child_id):
        tracklib.log_metric("loss", 0.0001, step=2500)
    tracklib.set_tracking_uri(None)
    assert _sync(src, dst).stats.points == 1
    remote = tracklib.Client(str(dst))
    child = _by_name(remote)["child"]
    assert len(remote.get_metric_history(child.info.run_id, "loss")) == 2501


def test_a_copied_store_does_not_duplicate(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _log_offline(src)
    _sync(src, dst)
    copy = tmp_path / "copy"
    shutil.copytree(src, copy)
    stats = _sync(copy, dst).stats
    assert stats.points == 0
    assert len(_by_name(tracklib.Client(str(dst)))) == 2


class LosesAnswers(FileStore):
    """A target that applies some log_batch calls and then 'loses' their answer."""

    def __init__(self, root: str, fail_on: set[int]) -> None:
        super().__init__(root)
        self.calls = 0
        self.fail_on = fail_on

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        self.calls += 1
        super().log_batch(run_id, metrics, params, tags)
        if self.calls in self.fail_on:
            raise StoreUnavailableError("connection reset after the request was applied")


@pytest.mark.parametrize("fail_on", [{1}, {3}, {4}, {6}, {5, 7}])
def test_lost_answers_are_settled_not_resent(tmp_path: Path, fail_on: set[int]) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _, child_id = _log_offline(src)
    target = LosesAnswers(str(dst), fail_on)
    for _ in range(len(fail_on) + 1):
        try:
            Replicator(target, str(dst)).sync_store(str(src))
        except StoreUnavailableError:
            continue
    remote = tracklib.Client(str(dst))
    child = _by_name(remote)["child"]
    history = remote.get_metric_history(child.info.run_id, "loss")
    assert history == tracklib.Client(str(src)).get_metric_history(child_id, "loss")


def test_dry_run_counts_but_sends_nothing(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _log_offline(src)
    stats = _sync(src, dst, dry_run=True).stats
    assert stats.runs == 2 and stats.points == 2501
    assert tracklib.Client(str(dst)).search_runs(experiment_names=None) == []
    assert _sync(src, dst).stats.points == 2501  # nothing was recorded as sent


def test_experiment_override(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _log_offline(src)
    _sync(src, dst, experiment="merged")
    runs = tracklib.Client(str(dst)).search_runs(experiment_names=["merged"])
    assert {r.info.run_name for r in runs} == {"parent", "child"}


def test_metric_values_keep_timestamps_and_steps(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    client = tracklib.Client(str(src))
    experiment_id = client.create_experiment("offline")
    run = client.create_run(experiment_id, run_name="r")
    points = [Metric("m", float(i), 1_000 + i, -i) for i in range(5)]
    client.log_batch(run.info.run_id, metrics=points)
    _sync(src, dst)
    remote = tracklib.Client(str(dst))
    (synced,) = remote.search_runs(experiment_names=["offline"])
    assert remote.get_metric_history(synced.info.run_id, "m") == points


class AppliesLate(FileStore):
    """A target whose answer times out while it is still applying the batch (slow server)."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.failed = False
        self.late: list[threading.Thread] = []

    def log_batch(self, run_id: str, metrics: Any = (), params: Any = (), tags: Any = ()) -> None:
        if metrics and not self.failed:
            self.failed = True
            apply = threading.Timer(0.2, super().log_batch, (run_id, metrics, params, tags))
            apply.start()
            self.late.append(apply)
            raise StoreUnavailableError("read timed out (the server is still working on it)")
        super().log_batch(run_id, metrics, params, tags)


def test_a_batch_still_being_applied_is_not_sent_again(tmp_path: Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _, child_id = _log_offline(src)
    target = AppliesLate(str(dst))
    with pytest.raises(StoreUnavailableError):
        Replicator(target, str(dst)).sync_store(str(src))
    Replicator(target, str(dst)).sync_store(str(src))  # recounts while the batch lands
    for late in target.late:
        late.join()
    remote = tracklib.Client(str(dst))
    child = _by_name(remote)["child"]
    history = remote.get_metric_history(child.info.run_id, "loss")
    assert history == tracklib.Client(str(src)).get_metric_history(child_id, "loss")
