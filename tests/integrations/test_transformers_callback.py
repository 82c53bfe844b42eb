"""The Transformers callback (CPU, a tiny BERT built from a config) against log_history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
import transformers

import tracklib
from tracklib.integrations.transformers import TracklibCallback


class Tokens(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """Random token ids; the label says whether the first token is in the upper half."""

    def __init__(self, rows: int, seed: int) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, 40, (rows, 8), generator=gen)
        self.labels = (self.ids[:, 0] >= 20).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


class Boom(transformers.TrainerCallback):
    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        raise ValueError("boom")


def make_trainer(
    tmp_path: Path, *callbacks: Any, epochs: int = 2, save: str = "no"
) -> transformers.Trainer:
    config = transformers.BertConfig(
        vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=16, num_labels=2,
    )  # fmt: skip
    torch.manual_seed(0)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), num_train_epochs=epochs, per_device_train_batch_size=8,
        logging_steps=2, eval_strategy="epoch", save_strategy=save, report_to="none",
        use_cpu=True, disable_tqdm=True, learning_rate=1e-3,
    )  # fmt: skip
    return transformers.Trainer(
        model=transformers.BertForSequenceClassification(config),
        args=args,
        train_dataset=Tokens(32, seed=1),
        eval_dataset=Tokens(16, seed=2),
        callbacks=list(callbacks),
    )


def test_metrics_equal_log_history(client: tracklib.Client, tmp_path: Path) -> None:
    callback = TracklibCallback()
    trainer = make_trainer(tmp_path, callback)
    trainer.train()
    run_id = str(callback.run_id)
    run = tracklib.get_run(run_id)
    assert str(run.info.status) == "FINISHED" and tracklib.active_run() is None
    expected: dict[str, list[tuple[int, float]]] = {}
    for entry in trainer.state.log_history:
        for key, value in entry.items():
            if key != "step":
                expected.setdefault(key, []).append((entry["step"], float(value)))
    assert {"loss", "eval_loss", "learning_rate", "train_loss"} <= expected.keys()
    for key, points in expected.items():
        logged = [(m.step, m.value) for m in tracklib.get_metric_history(run_id, key)]
        assert logged == points, key
    params = run.data.params
    assert params["learning_rate"] == "0.001" and params["num_train_epochs"] == "2"
    assert params["per_device_train_batch_size"] == "8"
    assert params["model.hidden_size"] == "16" and params["model.vocab_size"] == "40"


def test_failing_train_is_ended_by_the_next(client: tracklib.Client, tmp_path: Path) -> None:
    first = TracklibCallback()
    with pytest.raises(ValueError, match="boom"):
        make_trainer(tmp_path, first, Boom()).train()
    # The Trainer skips on_train_end when training raises: the run is still open here ...
    assert tracklib.active_run() is not None
    second = TracklibCallback()
    with pytest.warns(UserWarning, match=str(first.run_id)):
        make_trainer(tmp_path, second, epochs=1).train()
    # ... and the next training ends it FAILED before starting its own.
    assert str(tracklib.get_run(str(first.run_id)).info.status) == "FAILED"
    assert str(tracklib.get_run(str(second.run_id)).info.status) == "FINISHED"
    assert tracklib.active_run() is None


def test_child_run_under_user_parent(client: tracklib.Client, tmp_path: Path) -> None:
    with tracklib.start_run() as parent:
        callback = TracklibCallback(nested=True, run_name="bert-tiny")
        make_trainer(tmp_path, callback, epochs=1).train()
        assert tracklib.active_run() is parent
    child = tracklib.get_run(str(callback.run_id))
    assert child.data.tags["mlflow.parentRunId"] == parent.run_id
    assert child.info.run_name == "bert-tiny" and "loss" in child.data.metrics


def test_checkpoints_logged_when_asked(client: tracklib.Client, tmp_path: Path) -> None:
    callback = TracklibCallback(log_checkpoints=True)
    make_trainer(tmp_path, callback, epochs=1, save="epoch").train()
    run_id = str(callback.run_id)
    assert [f.path for f in tracklib.list_artifacts(run_id, "checkpoints")] == [
        "checkpoints/checkpoint-4"  # 32 rows in batches of 8: 4 steps
    ]
    files = {f.path for f in tracklib.list_artifacts(run_id, "checkpoints/checkpoint-4")}
    assert "checkpoints/checkpoint-4/trainer_state.json" in files
