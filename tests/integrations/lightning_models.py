"""A tiny LightningModule and data for the logger tests (also run by the DDP script)."""

from __future__ import annotations

from typing import Any

import lightning
import torch


class Regressor(lightning.LightningModule):
    """Linear regression with a hidden layer; ``fail_at_epoch`` makes training raise."""

    def __init__(self, lr: float = 0.05, hidden: int = 8, fail_at_epoch: int = -1) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.current_epoch == self.hparams.fail_at_epoch:
            raise ValueError("boom")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loader(rows: int = 64, batch_size: int = 16) -> torch.utils.data.DataLoader[Any]:
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(rows, 4, generator=gen)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size)


def trainer(**kwargs: Any) -> lightning.Trainer:
    options: dict[str, Any] = {
        "max_epochs": 3,
        "accelerator": "cpu",
        "devices": 1,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "log_every_n_steps": 2,
    }
    return lightning.Trainer(**{**options, **kwargs})
