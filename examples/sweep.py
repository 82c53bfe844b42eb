"""A small hyper-parameter sweep: one parent run, four child runs, standard library only.

Each child trains a one-hidden-layer network (written in plain Python) to predict the next
value of a noisy sine wave from the previous 8 values, for every combination of hidden size
(20, 40) and dropout (0.0, 0.2). A child logs its params, the validation ``mse`` and ``mae``
(and ``train_mse``) at every epoch with ``step=epoch``, and its trained weights as a JSON
artifact. The parent logs the grid and which child did best.

Run it from any folder: ``python examples/sweep.py``. Runs land in ``./mlruns`` (or wherever
``TRACKLIB_TRACKING_URI`` / ``MLFLOW_TRACKING_URI`` points), in the experiment
``sweep-example``. Open them with MLflow:
``MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ./mlruns``.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
from dataclasses import dataclass

import tracklib

EXPERIMENT = "sweep-example"
HIDDEN_SIZES = (20, 40)
DROPOUTS = (0.0, 0.2)
LAGS = 8  # the network sees the last 8 values
EPOCHS = 15
LEARNING_RATE = 0.01
SEED = 7

Sample = tuple[list[float], float]


def make_series(length: int = 300, seed: int = SEED) -> list[float]:
    """A sine wave with a 24-step period plus Gaussian noise (sigma 0.1)."""
    rng = random.Random(seed)
    return [math.sin(2 * math.pi * t / 24) + rng.gauss(0.0, 0.1) for t in range(length)]


def make_samples(series: list[float]) -> tuple[list[Sample], list[Sample]]:
    """Sliding windows (8 inputs -> next value), split 80/20 in time order."""
    samples = [(series[i : i + LAGS], series[i + LAGS]) for i in range(len(series) - LAGS)]
    cut = int(len(samples) * 0.8)
    return samples[:cut], samples[cut:]


@dataclass
class Net:
    """y = b2 + w2 . tanh(W1 x + b1), with inverted dropout on the hidden layer in training."""

    w1: list[list[float]]
    b1: list[float]
    w2: list[float]
    b2: float

    @classmethod
    def create(cls, hidden: int, rng: random.Random) -> Net:
        """Small uniform initial weights, scaled by fan-in."""
        scale_in, scale_out = 1 / math.sqrt(LAGS), 1 / math.sqrt(hidden)
        return cls(
            w1=[[rng.uniform(-scale_in, scale_in) for _ in range(LAGS)] for _ in range(hidden)],
            b1=[0.0] * hidden,
            w2=[rng.uniform(-scale_out, scale_out) for _ in range(hidden)],
            b2=0.0,
        )

    def hidden(self, x: list[float]) -> list[float]:
        """Hidden activations for one input window."""
        return [
            math.tanh(b + sum(w * v for w, v in zip(row, x, strict=True)))
            for row, b in zip(self.w1, self.b1, strict=True)
        ]

    def predict(self, x: list[float]) -> float:
        """The network's output, without dropout."""
        return self.b2 + sum(w * a for w, a in zip(self.w2, self.hidden(x), strict=True))

    def train_step(self, x: list[float], y: float, dropout: float, rng: random.Random) -> float:
        """One SGD step on 0.5 * (y_hat - y)^2; returns the squared error before the step."""
        act = self.hidden(x)
        keep = 1.0 - dropout
        mask = [(rng.random() < keep) / keep for _ in act] if dropout else [1.0] * len(act)
        err = self.b2 + sum(w * a * m for w, a, m in zip(self.w2, act, mask, strict=True)) - y
        for h, (a, m) in enumerate(zip(act, mask, strict=True)):
            grad_h = err * self.w2[h] * m * (1.0 - a * a)  # uses w2 before its update
            self.w2[h] -= LEARNING_RATE * err * a * m
            self.b1[h] -= LEARNING_RATE * grad_h
            row = self.w1[h]
            for j, v in enumerate(x):
                row[j] -= LEARNING_RATE * grad_h * v
        self.b2 -= LEARNING_RATE * err
        return err * err

    def to_json(self) -> str:
        """The weights as JSON (the model file logged as an artifact)."""
        weights = {"lags": LAGS, "w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2}
        return json.dumps(weights)


def evaluate(net: Net, samples: list[Sample]) -> tuple[float, float]:
    """Mean squared and mean absolute error over ``samples``."""
    errors = [net.predict(x) - y for x, y in samples]
    return sum(e * e for e in errors) / len(errors), sum(abs(e) for e in errors) / len(errors)


def train_child(
    hidden: int, dropout: float, data: tuple[list[Sample], list[Sample]]
) -> tuple[str, float]:
    """Train one configuration inside a child run; return its run id and final validation mse."""
    train, valid = data
    rng = random.Random(SEED)
    with tracklib.start_run(run_name=f"h{hidden}-d{dropout}", nested=True) as run:
        tracklib.log_params(
            {"hidden_size": hidden, "dropout": dropout, "lags": LAGS, "epochs": EPOCHS,
             "learning_rate": LEARNING_RATE, "seed": SEED}
        )  # fmt: skip
        net = Net.create(hidden, rng)
        for epoch in range(EPOCHS):
            order = list(range(len(train)))
            rng.shuffle(order)
            train_mse = sum(net.train_step(*train[i], dropout, rng) for i in order) / len(order)
            mse, mae = evaluate(net, valid)
            tracklib.log_metrics({"mse": mse, "mae": mae, "train_mse": train_mse}, step=epoch)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(net.to_json())
            tracklib.log_artifact(path, artifact_path="model")
        print(f"  child {run.info.run_id}  hidden={hidden:<3} dropout={dropout:<4} "
              f"mse={mse:.5f} mae={mae:.5f}")  # fmt: skip
        return run.info.run_id, mse


def main() -> None:
    """Run the sweep: one parent run, one child run per grid point."""
    data = make_samples(make_series())
    with tracklib.start_run(experiment=EXPERIMENT, run_name="sweep") as parent:
        tracklib.log_params(
            {"hidden_sizes": list(HIDDEN_SIZES), "dropouts": list(DROPOUTS), "epochs": EPOCHS}
        )
        print(f"parent {parent.info.run_id} in experiment {EXPERIMENT!r}")
        results = [train_child(h, d, data) for h in HIDDEN_SIZES for d in DROPOUTS]
        best_id, best_mse = min(results, key=lambda result: result[1])
        tracklib.set_tag("best_run_id", best_id)
        tracklib.log_metric("best_mse", best_mse)
    print(f"best child: {best_id} (mse={best_mse:.5f})")
    print(f"logged to {tracklib.get_tracking_uri()}")


if __name__ == "__main__":
    main()
