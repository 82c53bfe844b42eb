"""Only global rank 0 logs: the fluent API and the integrations on other ranks do nothing."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tracklib
from tracklib.tracking import ranks
from tracklib.tracking.active_run import ActiveRun
from tracklib.tracking.silent_run import SilentRun

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize(
    ("env", "rank"),
    [
        ({}, 0),
        ({"RANK": "3", "LOCAL_RANK": "1"}, 3),
        ({"LOCAL_RANK": "1"}, 1),
        ({"SLURM_PROCID": "2"}, 2),
        ({"OMPI_COMM_WORLD_RANK": "5"}, 5),
        ({"PMI_RANK": "4"}, 4),
        ({"RANK": "abc", "SLURM_PROCID": "1"}, 1),  # a stray value does not decide
        ({"RANK": " "}, 0),
    ],
)
def test_global_rank_from_launcher_variables(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], rank: int
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ranks.global_rank() == rank
    assert ranks.should_log() is (rank == 0)


def test_non_zero_rank_gets_a_silent_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, store_root: str
) -> None:
    tracklib.set_tracking_uri(store_root)
    monkeypatch.setenv("RANK", "1")
    with tracklib.start_run(experiment="x") as run:
        assert isinstance(run, SilentRun) and run.rank == 1
        assert tracklib.active_run() is run and run.info.run_id == ""
        tracklib.log_metric("loss", 1.0)
        tracklib.log_metrics({"a": "not even a number"})  # type: ignore[dict-item]  # unchecked
        tracklib.log_params({"p": 1})
        tracklib.set_tag("t", "v")
        tracklib.log_text("x", "notes.txt")
        tracklib.log_dict({"a": 1}, "d.json")
        tracklib.log_artifact(tmp_path / "missing.txt")
        with tracklib.start_run(nested=True) as child:
            assert tracklib.active_run() is child
        assert tracklib.active_run() is run
        with pytest.raises(tracklib.errors.RunStateError, match="TRACKLIB_LOG_ALL_RANKS"):
            run.get()
    assert tracklib.active_run() is None and str(run.info.status) == "FINISHED"
    assert not Path(store_root).exists()  # not even the store folder


def test_log_all_ranks_makes_a_real_run(
    monkeypatch: pytest.MonkeyPatch, client: tracklib.Client
) -> None:
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("TRACKLIB_LOG_ALL_RANKS", "1")
    with tracklib.start_run() as run:
        tracklib.log_metric("loss", 1.0)
    assert not isinstance(run, SilentRun)
    assert tracklib.get_run(run.run_id).data.metrics == {"loss": 1.0}


def test_silent_run_overrides_every_write() -> None:
    """A method added to ActiveRun later must get its no-op here (the silent run has no store)."""
    inherited_ok = {"info", "run_id", "ended"}  # read this object's own state only
    for name, member in inspect.getmembers(ActiveRun):
        if name.startswith("_") or name in inherited_ok:
            continue
        assert name in SilentRun.__dict__, f"SilentRun must override ActiveRun.{name}"
        assert member is not SilentRun.__dict__[name]


def test_hand_made_two_process_job_yields_one_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLIB_"))}
    env = {**env, "TRACKLIB_CAPTURE_ENV": "0", "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "rank_script.py")],
            env={**env, "RANK": str(rank), "WORLD_SIZE": "2"},
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-2000:]
    assert "run id: ''" in outputs[1][0]
    runs = tracklib.Client(tmp_path / "mlruns").search_runs(experiment_names=["job"])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and len(runs) == 2  # the job's run and its child
    assert parents[0].data.params == {"rank": "0"}
    assert f"run id: {parents[0].info.run_id!r}" in outputs[0][0]
