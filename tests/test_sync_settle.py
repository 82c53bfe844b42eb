"""Settling (recount, pause, recount) happens only where the target may already hold points.

A run the replicator creates itself holds none on the target, so a sync of a store of new runs
must neither count the target's points nor pause; a run an interrupted sync created earlier
(its answer lost) must still be settled, so nothing is sent twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tracklib
from tracklib.entities import Metric
from tracklib.errors import StoreUnavailableError
from tracklib.remote.replicator import Replicator
from tracklib.stores.file.store import FileStore


class CountingTarget(FileStore):
    """A file-store target that counts history reads and can lose create_run answers."""

    def __init__(self, root: str, lose_creates: int = 0) -> None:
        super().__init__(root)
        self.history_reads = 0
        self.lose_creates = lose_creates

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        self.history_reads += 1
        return super().get_metric_history(run_id, key)

    def create_run(self, *args: Any, **kwargs: Any) -> Any:
        created = super().create_run(*args, **kwargs)
        if self.lose_creates:
            self.lose_creates -= 1
            raise StoreUnavailableError("connection reset after the run was created")
        return created


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every settle pause the replicator takes (recorded, not slept)."""
    taken: list[float] = []
    monkeypatch.setattr("tracklib.remote.replicator.time.sleep", taken.append)
    return taken


def _offline_store(root: Path, runs: int) -> None:
    client = tracklib.Client(str(root))
    experiment_id = client.create_experiment("offline")
    for index in range(runs):
        run_id = client.create_run(experiment_id, run_name=f"r{index}").info.run_id
        points = [Metric("loss", 1.0 / (s + 1), 1_000 + s, s) for s in range(30)]
        client.log_batch(run_id, metrics=points)
        client.set_terminated(run_id)


def test_syncing_new_runs_neither_counts_nor_pauses(tmp_path: Path, pauses: list[float]) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _offline_store(src, runs=20)
    target = CountingTarget(str(dst))
    stats = Replicator(target, str(dst)).sync_store(str(src))
    assert (stats.runs, stats.points) == (20, 600)
    assert (target.history_reads, pauses) == (0, [])


def test_a_run_created_by_an_interrupted_sync_is_still_settled(
    tmp_path: Path, pauses: list[float]
) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    _offline_store(src, runs=1)
    target = CountingTarget(str(dst), lose_creates=1)
    with pytest.raises(StoreUnavailableError):
        Replicator(target, str(dst)).sync_store(str(src))
    Replicator(target, str(dst)).sync_store(str(src))  # finds the run by its source tag
    assert target.history_reads > 0 and pauses  # counted what the found run holds
    remote = tracklib.Client(str(dst))
    (run,) = remote.search_runs(experiment_names=["offline"])
    assert len(remote.get_metric_history(run.info.run_id, "loss")) == 30
