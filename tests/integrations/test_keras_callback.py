"""The Keras 3 callback (torch backend, CPU) against what Keras itself reports."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import tracklib
from tracklib.errors import InvalidInputError
from tracklib.integrations.keras import TracklibCallback


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((80, 4), dtype=np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype=np.float32))


def make_model(lr: float = 0.01) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
    )
    model.compile(keras.optimizers.Adam(learning_rate=lr), "mse", metrics=["mae"])
    return model


class Boom(keras.callbacks.Callback):
    """Makes fit raise at the end of the first epoch (after tracklib logged it)."""

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        raise ValueError("boom")


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in tracklib.get_metric_history(run_id, key)]


def test_epoch_metrics_equal_keras_history(client: tracklib.Client, data: Any) -> None:
    callback = TracklibCallback(log_every_n_batches=2)
    result = make_model().fit(
        *data, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[callback]
    )
    assert tracklib.active_run() is None
    run = tracklib.get_run(str(callback.run_id))
    assert str(run.info.status) == "FINISHED"
    assert run.data.tags["tracklib.integration"] == "keras"
    assert set(result.history) == {"loss", "mae", "val_loss", "val_mae"}
    for key, values in result.history.items():
        assert history(run.info.run_id, key) == list(enumerate(values))
    # 60 training rows in batches of 16: 4 batches an epoch, 12 in all; logged every 2nd.
    assert [step for step, _ in history(run.info.run_id, "batch/loss")] == [2, 4, 6, 8, 10, 12]
    params = run.data.params
    assert params["epochs"] == "3" and params["batch_size"] == "16"
    assert params["steps_per_epoch"] == "4"
    assert params["optimizer"] == "Adam" and params["loss"] == "mse"
    assert float(params["optimizer.learning_rate"]) == pytest.approx(0.01)
    assert params["model.total_params"] == "49" == params["model.trainable_params"]
    summary = Path(tracklib.download_artifacts(run.info.run_id, "model_summary.txt"))
    assert "dense" in summary.read_text()


def test_default_batch_size_and_model_file(client: tracklib.Client, data: Any) -> None:
    model = make_model()
    callback = TracklibCallback(log_model=True)
    model.fit(*data, epochs=1, verbose=0, callbacks=[callback])
    run = tracklib.get_run(str(callback.run_id))
    assert run.data.params["batch_size"] == "32"  # Keras' default when fit is given none
    path = tracklib.download_artifacts(run.info.run_id, "model/model.keras")
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(data[0], verbose=0), model.predict(data[0], verbose=0)
    )


def test_learning_rate_schedule_params(client: tracklib.Client, data: Any) -> None:
    model = make_model()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    model.compile(keras.optimizers.SGD(learning_rate=schedule), "mse")
    callback = TracklibCallback()
    model.fit(*data, epochs=1, verbose=0, callbacks=[callback])
    params = tracklib.get_run(str(callback.run_id)).data.params
    assert params["optimizer"] == "SGD"
    assert params["optimizer.learning_rate.class_name"] == "ExponentialDecay"
    assert params["optimizer.learning_rate.config.initial_learning_rate"] == "0.1"
    assert params["optimizer.learning_rate.config.decay_steps"] == "10"


def test_logs_into_active_run_and_nested_children(client: tracklib.Client, data: Any) -> None:
    with tracklib.start_run(run_name="sweep") as parent:
        make_model().fit(*data, epochs=1, verbose=0, callbacks=[TracklibCallback()])
        assert tracklib.active_run() is parent  # the user's run: not ended by the callback
        children = []
        for lr in (0.01, 0.1):
            callback = TracklibCallback(nested=True, run_name=f"lr{lr}")
            make_model(lr).fit(*data, epochs=2, verbose=0, callbacks=[callback])
            children.append(tracklib.get_run(str(callback.run_id)))
            assert tracklib.active_run() is parent
    assert "loss" in tracklib.get_run(parent.run_id).data.metrics
    for child, lr in zip(children, (0.01, 0.1), strict=True):
        assert child.data.tags["mlflow.parentRunId"] == parent.run_id
        assert child.info.run_name == f"lr{lr}" and str(child.info.status) == "FINISHED"
        assert [s for s, _ in history(child.info.run_id, "loss")] == [0, 1]


def test_sweep_loop_survives_a_failing_fit(client: tracklib.Client, data: Any) -> None:
    run_ids = []
    for extra in ([Boom()], []):
        callback = TracklibCallback()
        try:  # noqa: SIM105  (a sweep loop as users write it)
            make_model().fit(*data, epochs=2, verbose=0, callbacks=[callback, *extra])
        except ValueError:
            pass
        # Keras skipped on_train_end for the first fit; its run is over all the same.
        assert tracklib.active_run() is None
        run_ids.append(callback.run_id)
    failed, finished = (tracklib.get_run(str(run_id)) for run_id in run_ids)
    assert run_ids[0] != run_ids[1]
    assert str(failed.info.status) == "FAILED"
    assert [s for s, _ in history(failed.info.run_id, "loss")] == [0]
    assert str(finished.info.status) == "FINISHED"
    assert [s for s, _ in history(finished.info.run_id, "loss")] == [0, 1]


def test_failed_fit_kept_alive_is_ended_by_the_next_fit(client: tracklib.Client, data: Any) -> None:
    first = TracklibCallback()
    try:
        make_model().fit(*data, epochs=2, verbose=0, callbacks=[first, Boom()])
    except ValueError as exc:
        kept = exc  # a notebook keeps the last error (and with it the fit's frames)
    active = tracklib.active_run()
    assert active is not None and active.run_id == first.run_id
    second = TracklibCallback()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_model().fit(*data, epochs=1, verbose=0, callbacks=[second])
    assert any(str(first.run_id) in str(w.message) for w in caught)
    assert str(tracklib.get_run(str(first.run_id)).info.status) == "FAILED"
    assert str(tracklib.get_run(str(second.run_id)).info.status) == "FINISHED"
    assert [s for s, _ in history(str(first.run_id), "loss")] == [0]  # epoch 0 was logged
    assert tracklib.active_run() is None
    del kept


def test_second_fit_with_other_params_keeps_training(client: tracklib.Client, data: Any) -> None:
    model = make_model()
    with tracklib.start_run() as run:
        model.fit(*data, epochs=1, verbose=0, callbacks=[TracklibCallback()])
        with pytest.warns(UserWarning, match="epochs"):
            model.fit(*data, epochs=2, verbose=0, callbacks=[TracklibCallback()])
    assert tracklib.get_run(run.run_id).data.params["epochs"] == "1"


def test_non_zero_rank_logs_nothing(
    monkeypatch: pytest.MonkeyPatch, store_root: str, data: Any
) -> None:
    tracklib.set_tracking_uri(store_root)
    monkeypatch.setenv("RANK", "1")
    callback = TracklibCallback(log_model=True, log_every_n_batches=1)
    make_model().fit(*data, epochs=2, verbose=0, callbacks=[callback])
    assert callback.run_id == "" and tracklib.active_run() is None
    assert not Path(store_root).exists()


def test_bad_batch_interval() -> None:
    with pytest.raises(InvalidInputError, match="log_every_n_batches"):
        TracklibCallback(log_every_n_batches=0)
