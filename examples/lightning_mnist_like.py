"""A small image classifier with PyTorch Lightning, logged by tracklib's Lightning logger.

"MNIST-like": 8 x 8 grey images of 10 classes made here (each class a fixed random pattern
plus noise; nothing is downloaded), a small convolutional network, ``self.log(...)`` for the
training loss and the validation loss and accuracy, ``save_hyperparameters()`` for the
params, and the best checkpoint logged as an artifact. ``TracklibLogger`` starts a run in
the experiment ``lightning-mnist-like`` and ends it when training ends.

Run it: ``python examples/lightning_mnist_like.py`` (``--fast`` for a few-second smoke run).
"""

from __future__ import annotations

import argparse
import tempfile
from typing import Any

import lightning
import torch
from torch import nn

from tracklib.integrations.lightning import TracklibLogger

EXPERIMENT = "lightning-mnist-like"
CLASSES, SIZE = 10, 8


def make_images(count: int, seed: int) -> torch.utils.data.TensorDataset:
    """``count`` noisy 8x8 images: class k is pattern k (fixed by seed 0) plus noise."""
    patterns = torch.rand(CLASSES, 1, SIZE, SIZE, generator=torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, CLASSES, (count,), generator=gen)
    images = patterns[labels] + 0.3 * torch.randn(count, 1, SIZE, SIZE, generator=gen)
    return torch.utils.data.TensorDataset(images, labels)


class Classifier(lightning.LightningModule):
    """Two convolutions, a linear head; cross-entropy; Adam."""

    def __init__(self, channels: int = 8, lr: float = 0.01) -> None:
        super().__init__()
        self.save_hyperparameters()  # -> params "channels" and "lr" of the run
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(), nn.Flatten(),
            nn.Linear(channels * (SIZE // 2) ** 2, CLASSES),
        )  # fmt: skip

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        images, labels = batch
        loss = nn.functional.cross_entropy(self.net(images), labels)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        images, labels = batch
        logits = self.net(images)
        self.log("val_loss", nn.functional.cross_entropy(logits, labels))
        self.log("val_acc", (logits.argmax(dim=1) == labels).float().mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def main() -> None:
    """Train, then print the run id and the final validation accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few-second smoke run")
    fast = parser.parse_args().fast
    epochs, rows = (2, 256) if fast else (5, 2000)
    torch.manual_seed(0)
    train = torch.utils.data.DataLoader(make_images(rows, 1), batch_size=64, shuffle=True)
    val = torch.utils.data.DataLoader(make_images(rows // 4, 2), batch_size=256)
    logger = TracklibLogger(experiment=EXPERIMENT, log_checkpoints=True)
    with tempfile.TemporaryDirectory() as checkpoints:
        trainer = lightning.Trainer(
            max_epochs=epochs, accelerator="cpu", devices=1, logger=logger,
            default_root_dir=checkpoints, enable_progress_bar=False, log_every_n_steps=5,
        )  # fmt: skip
        trainer.fit(Classifier(), train, val)
    print(f"run {logger.version}: val_acc={float(trainer.callback_metrics['val_acc']):.3f}")
    print(f"see it: tracklib show {logger.version}")


if __name__ == "__main__":
    main()
