"""An LSTM forecasting sweep with Keras 3, logged by tracklib's Keras callback.

A synthetic hourly series (a daily and a weekly cycle, a slow trend and noise; made here,
nothing is downloaded) is cut into 24 x 7 input windows (24 hourly steps of 7 features: the
value, the value a day and a week before, hour-of-day and day-of-week as sine/cosine) that
predict the next hour. A 2-layer LSTM is trained for every combination of hidden units (20, 40) and
dropout (0.0, 0.2), each in a child run of one parent run; ``TracklibCallback`` logs the
params, ``loss``/``mae``/``val_loss``/``val_mae`` at every epoch and the model file. Then
``tracklib.search_runs`` picks the child with the lowest validation MAE, and the script
prints its id and the ``tracklib compare`` command for the four children.

Run it: ``python examples/lstm_sweep.py`` (about a minute on a laptop CPU; ``--fast`` for a
few-second smoke run). Needs ``keras>=3`` and a backend (torch here: ``KERAS_BACKEND``
defaults to ``torch`` in this script). Runs land in ``./mlruns`` (or wherever
``TRACKLIB_TRACKING_URI`` / ``MLFLOW_TRACKING_URI`` points), experiment ``lstm-sweep``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "torch")  # read once, when keras is imported

import keras
import numpy as np

import tracklib
from tracklib.integrations.keras import TracklibCallback

EXPERIMENT = "lstm-sweep"
STEPS, FEATURES = 24, 7  # a window: 24 hourly steps x 7 features
WEEK = 24 * 7
HIDDEN_UNITS = (20, 40)
DROPOUTS = (0.0, 0.2)
SEED = 7


def make_series(hours: int, seed: int = SEED) -> np.ndarray:
    """Hourly values: daily and weekly cycles, a slow trend and Gaussian noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(hours, dtype=np.float32)
    daily = np.sin(2 * np.pi * t / 24)
    weekly = 0.5 * np.sin(2 * np.pi * t / WEEK)
    return (daily + weekly + t / hours + rng.normal(0.0, 0.1, hours)).astype(np.float32)


def make_features(series: np.ndarray) -> np.ndarray:
    """7 features an hour: the value, the value a day and a week before, and the hour of
    the day and the day of the week as sine/cosine pairs. The first week is dropped (no
    value a week before it)."""
    t = np.arange(WEEK, len(series))
    day, week = 2 * np.pi * (t % 24) / 24, 2 * np.pi * (t % WEEK) / WEEK
    columns = [series[t], series[t - 24], series[t - WEEK],
               np.sin(day), np.cos(day), np.sin(week), np.cos(week)]  # fmt: skip
    return np.stack(columns, axis=1).astype(np.float32)


def make_windows(series: np.ndarray) -> tuple[np.ndarray, ...]:
    """Windows of 24 hours x 7 features -> the next hour's value; 80/20 split in time order."""
    features = make_features(series)
    starts = np.arange(len(features) - STEPS)
    x = np.stack([features[s : s + STEPS] for s in starts])
    y = features[starts + STEPS, :1]
    cut = int(len(x) * 0.8)
    return x[:cut], y[:cut], x[cut:], y[cut:]


def build_model(units: int, dropout: float) -> keras.Model:
    """Two stacked LSTM layers and a linear head, trained on MSE with Adam."""
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [
            keras.Input((STEPS, FEATURES)),
            keras.layers.LSTM(units, dropout=dropout, return_sequences=True),
            keras.layers.LSTM(units, dropout=dropout),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def main() -> None:
    """Train the four configurations as child runs, then report the best one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a few-second smoke run")
    fast = parser.parse_args().fast
    epochs, hours = (2, WEEK + 200) if fast else (8, WEEK + 1500)
    x_train, y_train, x_val, y_val = make_windows(make_series(hours))
    started = time.perf_counter()
    with tracklib.start_run(experiment=EXPERIMENT, run_name="lstm-sweep") as parent:
        grid = {"hidden_units": list(HIDDEN_UNITS), "dropouts": list(DROPOUTS)}
        tracklib.log_params(
            {"window": f"{STEPS}x{FEATURES}", "epochs": epochs, "train_windows": len(x_train)}
            | grid
        )
        print(f"parent {parent.info.run_id}: {len(x_train)} training windows of "
              f"{STEPS} h x {FEATURES} features")  # fmt: skip
        for units in HIDDEN_UNITS:
            for dropout in DROPOUTS:
                with tracklib.start_run(run_name=f"h{units}-d{dropout}", nested=True) as child:
                    tracklib.log_params({"units": units, "dropout": dropout})
                    history = build_model(units, dropout).fit(
                        x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                        batch_size=32, verbose=0, callbacks=[TracklibCallback(log_model=True)],
                    )  # fmt: skip
                print(f"  child {child.info.run_id} units={units:<3} dropout={dropout:<4} "
                      f"val_mae={history.history['val_mae'][-1]:.4f}")  # fmt: skip
    children = tracklib.search_runs(
        experiment_names=[EXPERIMENT],
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        order_by=["metrics.val_mae ASC"],
    )
    best = children[0]
    print(f"best child by val_mae: {best.info.run_id} ({best.info.run_name}, "
          f"val_mae={best.data.metrics['val_mae']:.4f})")  # fmt: skip
    print(f"sweep took {time.perf_counter() - started:.1f} s")
    ids = " ".join(run.info.run_id for run in children)
    uri = tracklib.get_tracking_uri()
    print(f"compare them: tracklib compare {ids} --diff-only --tracking-uri {uri}")


if __name__ == "__main__":
    main()
