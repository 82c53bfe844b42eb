"""The registry step of a sweep: the best child becomes version 1 of a named model with the
alias ``champion``; a later, better run becomes version 2 and takes the alias.

Standard library only. Each "training" run fits ``y = a * x`` to noisy data by least squares
with a ridge penalty (the swept hyper-parameter), logs ``mse`` on held-out data, and saves its
model folder (the coefficient as JSON) as the artifact ``model``; to tracklib any artifact
folder is a model (save it with ``mlflow.pyfunc.save_model`` to make it servable by MLflow).
Deployment code then refers to ``models:/sine-regressor@champion``, never a run id.

Run it from any folder: ``python examples/registry_flow.py``. Everything lands in ``./mlruns``
(or wherever ``TRACKLIB_TRACKING_URI`` points); MLflow's UI shows the model under "Models":
``MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ./mlruns``.
"""

from __future__ import annotations

import json
import os
import random
import tempfile

import tracklib

MODEL = "sine-regressor"
EXPERIMENT = "registry-example"
PENALTIES = (30.0, 10.0, 3.0)


def make_data(seed: int, n: int) -> list[tuple[float, float]]:
    """``n`` points of y = 3x + Gaussian noise (sigma 0.5), x uniform in [-1, 1]."""
    rng = random.Random(seed)
    return [(x, 3.0 * x + rng.gauss(0, 0.5)) for x in (rng.uniform(-1, 1) for _ in range(n))]


TEST = make_data(seed=99, n=500)  # one held-out set for every run, so mse values compare


def fit(train: list[tuple[float, float]], penalty: float) -> float:
    """Ridge least squares for a single coefficient."""
    return sum(x * y for x, y in train) / (sum(x * x for x, _ in train) + penalty)


def train_run(name: str, penalty: float, points: int) -> tuple[str, float]:
    """One child run: fit, log mse, save the model folder as the artifact ``model``."""
    train = make_data(seed=1, n=points)
    with tracklib.start_run(run_name=name, nested=True) as run:
        tracklib.log_params({"penalty": penalty, "points": points})
        coefficient = fit(train, penalty)
        mse = sum((y - coefficient * x) ** 2 for x, y in TEST) / len(TEST)
        tracklib.log_metric("mse", mse)
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "coefficient.json"), "w", encoding="utf-8") as f:
                json.dump({"a": coefficient}, f)
            tracklib.log_artifacts(folder, "model")
        return run.info.run_id, mse


def main() -> None:
    """Sweep, register the best child as champion, then promote a better later run."""
    tracklib.set_experiment(EXPERIMENT)
    client = tracklib.Client()
    with tracklib.start_run(run_name="sweep"):
        results = [train_run(f"penalty-{p}", p, points=30) for p in PENALTIES]
    best_id, best_mse = min(results, key=lambda r: r[1])
    first = tracklib.register_model(f"runs:/{best_id}/model", MODEL)
    client.set_registered_model_alias(MODEL, "champion", first.version)
    print(f"version {first.version} from run {best_id} (mse {best_mse:.4f}) is the champion")

    # Later: 100 times more data gives a better model; it becomes version 2 and the champion.
    with tracklib.start_run(run_name="retrain"):
        later_id, later_mse = train_run("more-data", 3.0, points=3000)
    if later_mse < best_mse:
        second = tracklib.register_model(f"runs:/{later_id}/model", MODEL)
        client.set_registered_model_alias(MODEL, "champion", second.version)
        print(f"version {second.version} from run {later_id} (mse {later_mse:.4f}) "
              "is the new champion")  # fmt: skip

    champion = client.get_model_version_by_alias(MODEL, "champion")
    local = client.download_artifacts(f"models:/{MODEL}@champion")
    with open(os.path.join(local, "coefficient.json"), encoding="utf-8") as f:
        print(
            f"models:/{MODEL}@champion is version {champion.version}: a = {json.load(f)['a']:.4f}"
        )


if __name__ == "__main__":
    main()
