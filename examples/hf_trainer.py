"""A tiny Transformer trained with the Hugging Face ``Trainer``, logged by tracklib.

The model is a 2-layer BERT built from a config (no download) over a 32-token vocabulary;
the task is synthetic: a sequence is labelled 1 when it holds more "high" tokens (ids 16-31)
than low ones. ``TracklibCallback`` logs the ``TrainingArguments`` and the model config as
params, the training loss, learning rate and evaluation metrics at their global step.

Run it: ``python examples/hf_trainer.py`` (``--fast`` for a few-second smoke run). Needs
``transformers`` and ``accelerate``.
"""

from __future__ import annotations

import argparse
import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here needs the hub

import torch
import transformers

from tracklib.integrations.transformers import TracklibCallback

EXPERIMENT = "hf-trainer"
VOCAB, LENGTH = 32, 16


class MajorityTokens(torch.utils.data.Dataset[dict[str, torch.Tensor]]):
    """Random sequences; label 1 when most tokens are in the upper half of the vocabulary."""

    def __init__(self, rows: int, seed: int) -> None:
        gen = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, VOCAB, (rows, LENGTH), generator=gen)
        self.labels = ((self.ids >= VOCAB // 2).sum(dim=1) > LENGTH // 2).long()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "labels": self.labels[i]}


def main() -> None:
    """Train and evaluate; print the run id."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few-second smoke run")
    fast = parser.parse_args().fast
    epochs, rows, every = (1, 64, 1) if fast else (4, 1024, 5)
    config = transformers.BertConfig(
        vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=LENGTH, num_labels=2,
    )  # fmt: skip
    torch.manual_seed(0)
    callback = TracklibCallback(experiment=EXPERIMENT, run_name="bert-tiny")
    with tempfile.TemporaryDirectory() as output_dir:
        args = transformers.TrainingArguments(
            output_dir=output_dir, num_train_epochs=epochs, per_device_train_batch_size=32,
            learning_rate=2e-3, logging_steps=every, eval_strategy="epoch", save_strategy="no",
            report_to="none", use_cpu=True, disable_tqdm=True,
        )  # fmt: skip
        trainer = transformers.Trainer(
            model=transformers.BertForSequenceClassification(config),
            args=args,
            train_dataset=MajorityTokens(rows, seed=1),
            eval_dataset=MajorityTokens(rows // 4, seed=2),
            callbacks=[callback],
        )
        trainer.train()
    print(f"run {callback.run_id}: eval_loss={trainer.state.log_history[-2]['eval_loss']:.4f}")
    print(f"see it: tracklib show {callback.run_id}")


if __name__ == "__main__":
    main()
