"""The Lightning logger (CPU) against Lightning's own view of what was logged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lightning_models import Regressor, loader, trainer

import tracklib
from tracklib.integrations.lightning import TracklibLogger

HERE = Path(__file__).resolve().parent


def test_metrics_equal_callback_metrics(client: tracklib.Client, tmp_path: Path) -> None:
    logger = TracklibLogger(experiment="lit", log_checkpoints=True)
    train = trainer(logger=logger, default_root_dir=tmp_path)
    train.fit(Regressor(lr=0.05, hidden=8), loader(), loader())
    run = tracklib.get_run(logger.version)
    assert str(run.info.status) == "FINISHED" and tracklib.active_run() is None
    assert client.get_experiment(run.info.experiment_id).name == "lit"
    assert run.data.params == {"lr": "0.05", "hidden": "8", "fail_at_epoch": "-1"}
    assert set(train.logged_metrics) <= set(run.data.metrics)
    for key in ("train_loss_epoch", "val_loss", "train_loss_step"):
        assert run.data.metrics[key] == float(train.callback_metrics[key])
    # 4 batches an epoch, 3 epochs; step metrics every 2nd step, epoch metrics at each end.
    step_history = tracklib.get_metric_history(run.info.run_id, "train_loss_step")
    assert [m.step for m in step_history] == [1, 3, 5, 7, 9, 11]
    epoch_history = tracklib.get_metric_history(run.info.run_id, "train_loss_epoch")
    assert [m.step for m in epoch_history] == [3, 7, 11]
    checkpoints = {f.path for f in tracklib.list_artifacts(run.info.run_id, "checkpoints")}
    assert "checkpoints/epoch=2-step=12.ckpt" in checkpoints


def test_validate_after_fit_logs_into_the_same_run(client: tracklib.Client, tmp_path: Path) -> None:
    logger = TracklibLogger()
    train = trainer(logger=logger, max_epochs=1, default_root_dir=tmp_path)
    module = Regressor()
    train.fit(module, loader(), loader())
    fit_val = tracklib.get_run(logger.version).data.metrics["val_loss"]
    train.validate(module, loader(rows=32, batch_size=32))
    run = tracklib.get_run(logger.version)
    assert run.data.metrics["val_loss"] == float(train.callback_metrics["val_loss"]) != fit_val
    assert len(client.search_runs([run.info.experiment_id])) == 1


def test_failing_training_ends_the_run_failed(client: tracklib.Client, tmp_path: Path) -> None:
    logger = TracklibLogger()
    with pytest.raises(ValueError, match="boom"):
        trainer(logger=logger, default_root_dir=tmp_path).fit(
            Regressor(fail_at_epoch=1), loader(), loader()
        )
    run = tracklib.get_run(logger.version)
    assert str(run.info.status) == "FAILED" and tracklib.active_run() is None
    assert [m.step for m in tracklib.get_metric_history(run.info.run_id, "train_loss_epoch")] == [3]


def test_child_runs_under_user_parent(client: tracklib.Client, tmp_path: Path) -> None:
    with tracklib.start_run(run_name="sweep") as parent:
        versions = []
        for hidden in (4, 8):
            logger = TracklibLogger(nested=True, run_name=f"h{hidden}")
            trainer(logger=logger, max_epochs=1, default_root_dir=tmp_path).fit(
                Regressor(hidden=hidden), loader(), loader()
            )
            versions.append(logger.version)
            assert tracklib.active_run() is parent
    for version, hidden in zip(versions, (4, 8), strict=True):
        child = tracklib.get_run(version)
        assert child.data.tags["mlflow.parentRunId"] == parent.run_id
        assert child.data.params["hidden"] == str(hidden)
        assert str(child.info.status) == "FINISHED"


def test_two_process_ddp_yields_one_run(tmp_path: Path) -> None:
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLIB_"))}
    env["TRACKLIB_CAPTURE_ENV"] = "0"
    result = subprocess.run(
        [sys.executable, str(HERE / "ddp_lightning.py"), str(store), str(tmp_path / "work")],
        env={**env, "PYTHONPATH": os.pathsep.join(sys.path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rank 0 done" in result.stdout and "rank 1 done" in result.stdout
    runs = tracklib.Client(store).search_runs(experiment_names=["ddp"])
    lightning_runs = [r for r in runs if r.data.tags.get("tracklib.integration") == "lightning"]
    fluent_runs = [r for r in runs if r.info.run_name == "fluent"]
    assert len(lightning_runs) == 1 and len(fluent_runs) == 1 and len(runs) == 2
    assert "val_loss" in lightning_runs[0].data.metrics
    assert fluent_runs[0].data.metrics == {"rank_metric": 0.0}
