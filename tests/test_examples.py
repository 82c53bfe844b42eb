"""The examples run as users run them (a fresh folder, a subprocess) and log what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tracklib
from tracklib.entities import Run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = EXAMPLES / name
    if not script.is_file():
        pytest.skip(f"{script} does not exist")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLIB_"))}
    # Framework examples: one torch thread (tiny models; on a busy 2-core runner, a second
    # spinning thread makes them several times slower), no hub access.
    env.update(OMP_NUM_THREADS="1", KERAS_BACKEND="torch", HF_HUB_OFFLINE="1")
    result = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def all_runs(client: tracklib.Client) -> list[Run]:
    return list(client.search_runs())  # every active experiment


def test_quickstart(tmp_path: Path) -> None:
    workdir = tmp_path / "fresh"
    workdir.mkdir()
    result = run_example("quickstart.py", workdir)
    store = workdir / "mlruns"
    assert sorted(p.name for p in workdir.iterdir()) == ["mlruns"]
    runs = all_runs(tracklib.Client(store))
    assert len(runs) == 1
    run = runs[0]
    assert run.info.experiment_id == "0"
    assert str(run.info.status) == "FINISHED"
    assert run.data.params == {"batch_size": "32"}
    assert run.data.metrics == {"mse": 0.1}
    assert (store / "0" / run.info.run_id / "metrics" / "mse").is_file()
    assert run.info.run_id in result.stdout


def test_sweep(tmp_path: Path) -> None:
    workdir = tmp_path / "fresh"
    workdir.mkdir()
    run_example("sweep.py", workdir)
    client = tracklib.Client(workdir / "mlruns")
    runs = all_runs(client)
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1
    parent = parents[0]
    children = [r for r in runs if r is not parent]
    assert len(children) == 4
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert child.info.experiment_id == parent.info.experiment_id
        assert str(child.info.status) == "FINISHED"
        assert {"mse", "mae"} <= child.data.metrics.keys()
        for key in ("mse", "mae"):
            history = client.get_metric_history(child.info.run_id, key)
            steps = [m.step for m in history]
            assert steps == list(range(len(steps))) and len(steps) > 1  # one point per epoch
            assert all(m.value >= 0 for m in history)
        assert _artifact_files(client, child.info.run_id), "the model file is logged"
    assert str(parent.info.status) == "FINISHED"

    # The grid: hidden size 20/40 x dropout 0/0.2, each combination once.
    grid = {(c.data.params.get("hidden_size"), c.data.params.get("dropout")) for c in children}
    assert {(h, float(d)) for h, d in grid if h and d} == {
        ("20", 0.0),
        ("20", 0.2),
        ("40", 0.0),
        ("40", 0.2),
    }


def _artifact_files(client: tracklib.Client, run_id: str, path: str = "") -> list[str]:
    files = []
    for info in client.list_artifacts(run_id, path or None):
        if info.is_dir:
            files += _artifact_files(client, run_id, info.path)
        elif info.file_size:
            files.append(info.path)
    return files


def test_lstm_sweep(tmp_path: Path) -> None:
    result = run_example("lstm_sweep.py", tmp_path, "--fast")
    client = tracklib.Client(tmp_path / "mlruns")
    runs = client.search_runs(experiment_names=["lstm-sweep"])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and len(runs) == 5
    children = [r for r in runs if r is not parents[0]]
    assert {(c.data.params["units"], c.data.params["dropout"]) for c in children} == {
        ("20", "0.0"), ("20", "0.2"), ("40", "0.0"), ("40", "0.2"),
    }  # fmt: skip
    for child in children:
        assert child.data.tags["mlflow.parentRunId"] == parents[0].info.run_id
        assert str(child.info.status) == "FINISHED"
        steps = [m.step for m in client.get_metric_history(child.info.run_id, "val_mae")]
        assert steps == [0, 1]  # --fast: 2 epochs, one point each
        assert "model/model.keras" in _artifact_files(client, child.info.run_id)
    best = min(children, key=lambda r: r.data.metrics["val_mae"])
    assert f"best child by val_mae: {best.info.run_id}" in result.stdout
    assert "tracklib compare " + best.info.run_id in result.stdout


def test_lightning_mnist_like(tmp_path: Path) -> None:
    result = run_example("lightning_mnist_like.py", tmp_path, "--fast")
    runs = tracklib.Client(tmp_path / "mlruns").search_runs(
        experiment_names=["lightning-mnist-like"]
    )
    assert len(runs) == 1 and str(runs[0].info.status) == "FINISHED"
    run = runs[0]
    assert run.info.run_id in result.stdout
    assert run.data.params == {"channels": "8", "lr": "0.01"}
    assert {"train_loss_step", "train_loss_epoch", "val_loss", "val_acc"} <= run.data.metrics.keys()
    client = tracklib.Client(tmp_path / "mlruns")
    assert any(p.endswith(".ckpt") for p in _artifact_files(client, run.info.run_id))


def test_hf_trainer(tmp_path: Path) -> None:
    result = run_example("hf_trainer.py", tmp_path, "--fast")
    runs = tracklib.Client(tmp_path / "mlruns").search_runs(experiment_names=["hf-trainer"])
    assert len(runs) == 1 and str(runs[0].info.status) == "FINISHED"
    run = runs[0]
    assert run.info.run_id in result.stdout and run.info.run_name == "bert-tiny"
    assert run.data.params["model.num_hidden_layers"] == "2"
    assert {"loss", "eval_loss", "train_loss"} <= run.data.metrics.keys()


# ---------------------------------------------------------------- model registry (issue 12)
def test_registry_flow(tmp_path: Path) -> None:
    """Sweep -> best child is version 1 @champion -> a better later run is version 2 and takes
    the alias; MLflow's client agrees on the file store tracklib wrote."""
    workdir = tmp_path / "registry"
    workdir.mkdir()
    result = run_example("registry_flow.py", workdir)
    client = tracklib.Client(workdir / "mlruns")
    versions = {v.version: v for v in client.search_model_versions("name = 'sine-regressor'")}
    assert sorted(versions) == [1, 2]
    mse = {n: client.get_run(v.run_id or "").data.metrics["mse"] for n, v in versions.items()}
    assert mse[2] < mse[1]
    children = [r for r in all_runs(client) if "mlflow.parentRunId" in r.data.tags]
    sweep_best = min((r for r in children if r.data.params["points"] == "30"),
                     key=lambda r: r.data.metrics["mse"])  # fmt: skip
    assert versions[1].run_id == sweep_best.info.run_id
    assert client.get_registered_model("sine-regressor").aliases == {"champion": 2}
    assert "is version 2" in result.stdout
    from mlflow import MlflowClient

    uri = (workdir / "mlruns").as_uri()
    theirs = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert (
        theirs.get_model_version_by_alias("sine-regressor", "champion").run_id == versions[2].run_id
    )
