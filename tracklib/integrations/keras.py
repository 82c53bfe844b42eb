"""Keras 3 callback: ``model.fit(..., callbacks=[TracklibCallback()])``.

Importing this module imports Keras (the callback must subclass
``keras.callbacks.Callback``); ``import tracklib`` never does.

What it logs (see docs/integrations.md): at train begin, the params (epochs, batch size,
steps per epoch, optimizer and its config, loss, parameter counts) and the model summary as
``model_summary.txt``; at each epoch end, every number in Keras' ``logs`` with
``step=epoch``; every N batches (``log_every_n_batches``) the batch logs as ``batch/<key>``
with step = batches seen; at train end, the model file if ``log_model=True``.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import weakref
from typing import Any

import keras

from tracklib.errors import InvalidInputError
from tracklib.integrations import training_run
from tracklib.integrations.values import flat_params, metric_floats


class TracklibCallback(keras.callbacks.Callback):
    """Log a Keras ``fit`` into the active run, or into a run of its own.

    With no active run, the callback starts a run at train begin and ends it at train end.
    When ``fit`` raises, Keras does not call ``on_train_end``; the run is then ended FAILED
    when the next training session of any tracklib integration begins (see
    docs/integrations.md). Only global rank 0 logs unless ``TRACKLIB_LOG_ALL_RANKS=1``.

    Args:
        log_every_n_batches: Also log the batch logs every N training batches (as
            ``batch/<key>``, step = batches seen); None logs per epoch only.
        log_model: Save the model at train end and log it as ``model/<model_filename>``.
        model_filename: The file name for ``log_model`` (``.keras`` or ``.h5``).
        nested: Start a child run of the active run instead of logging into it.
        experiment: Experiment name for a run the callback starts.
        run_name: Name of a run the callback starts.
        tags: Extra tags for a run the callback starts.

    Raises:
        InvalidInputError: ``log_every_n_batches`` is not a positive integer.
    """

    def __init__(
        self,
        log_every_n_batches: int | None = None,
        log_model: bool = False,
        model_filename: str = "model.keras",
        nested: bool = False,
        experiment: str | None = None,
        run_name: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if log_every_n_batches is not None and (
            type(log_every_n_batches) is not int or log_every_n_batches < 1
        ):
            raise InvalidInputError(
                f"log_every_n_batches must be a positive integer or None, "
                f"got {log_every_n_batches!r}."
            )
        self._every = log_every_n_batches
        self._log_model = log_model
        self._model_filename = model_filename
        self._start: dict[str, Any] = {
            "nested": nested, "experiment": experiment, "run_name": run_name, "tags": tags
        }  # fmt: skip
        self._session: training_run.TrainingRun | None = None
        self._watch: weakref.finalize[Any, Any] | None = None
        self._batches = 0

    @property
    def run_id(self) -> str | None:
        """The id of the run the current (or last) ``fit`` logged into."""
        return None if self._session is None else self._session.run.run_id

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Pick the run (and start one if needed); log params and the model summary."""
        self._session = training_run.begin("keras", **self._start)
        self._batches = 0
        if self._session.silent:
            return
        fit_locals = _fit_locals(self.model)
        self._watch_fit(fit_locals.get("callbacks"))
        self._session.log_params(self._params(fit_locals))
        lines: list[str] = []
        self.model.summary(print_fn=lambda line, *args, **kwargs: lines.append(str(line)))
        self._session.run.log_text("\n".join(lines) + "\n", "model_summary.txt")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Log every number in ``logs`` with ``step=epoch``."""
        if self._session is not None and not self._session.silent and logs:
            self._session.run.log_metrics(metric_floats(logs), step=epoch)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Every ``log_every_n_batches`` batches, log the batch logs as ``batch/<key>``."""
        if self._every is None or self._session is None or self._session.silent:
            return
        self._batches += 1
        if logs and self._batches % self._every == 0:
            values = metric_floats(logs)
            batch_logs = {f"batch/{key}": value for key, value in values.items()}
            self._session.run.log_metrics(batch_logs, step=self._batches)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Log the model file if asked; end the run if the callback started it."""
        session = self._session
        if session is None:
            return
        try:
            if self._log_model and not session.silent:
                with tempfile.TemporaryDirectory() as tmp:
                    path = os.path.join(tmp, self._model_filename)
                    self.model.save(path)
                    session.run.log_artifact(path, "model")
        finally:
            if self._watch is not None:
                self._watch.detach()
            session.end()

    def _watch_fit(self, fit_callbacks: Any) -> None:
        """End the run FAILED as soon as the ``fit`` that raised is let go.

        ``fit`` holds its callback list in a local variable, so that list is freed when the
        call is over: right after ``on_train_end`` when fit returns, or when the caller is
        done handling the exception (the end of its ``except`` block) when fit raised. A
        finalizer on it ends a run ``on_train_end`` did not end. If the list stays alive (an
        uncaught exception kept by a notebook), the next training session ends the run.
        """
        self._watch = None
        if fit_callbacks is None or not self._session or not self._session.owned:
            return
        try:
            self._watch = weakref.finalize(fit_callbacks, self._session.end, failed=True)
        except TypeError:  # not weak-referenceable: the next session ends the run
            return
        self._watch.atexit = False  # at exit, tracklib's exit handler ends open runs

    def _params(self, fit_locals: dict[str, Any]) -> dict[str, Any]:
        model = self.model
        params: dict[str, Any] = {
            "epochs": self.params.get("epochs"),
            "steps_per_epoch": self.params.get("steps"),
            "batch_size": _batch_size(fit_locals),
            "loss": _loss_name(getattr(model, "loss", None)),
            "model.total_params": model.count_params(),
            "model.trainable_params": sum(math.prod(w.shape) for w in model.trainable_weights),
        }
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            params["optimizer"] = type(optimizer).__name__
            config = {k: v for k, v in optimizer.get_config().items() if k != "name"}
            params.update(flat_params(config, "optimizer."))
        return {k: v for k, v in params.items() if v is not None}


def _loss_name(loss: Any) -> str | None:
    if loss is None or isinstance(loss, str):
        return loss
    return str(getattr(loss, "name", None) or getattr(loss, "__name__", type(loss).__name__))


def _fit_locals(model: Any) -> dict[str, Any]:
    """The local variables of the running ``fit`` of ``model`` ({} when not found).

    Keras does not hand callbacks the batch size or its callback list; the ``fit`` frame
    on the call stack has both. Not found in a custom loop that calls callbacks itself.
    """
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "fit" and frame.f_locals.get("self") is model:
            return dict(frame.f_locals)
        frame = frame.f_back  # type: ignore[assignment]
    return {}


def _batch_size(fit_locals: dict[str, Any]) -> int | None:
    size = fit_locals.get("batch_size")
    if size is None:  # Keras' default for arrays; datasets batch themselves
        adapter = getattr(fit_locals.get("epoch_iterator"), "data_adapter", None)
        size = getattr(adapter, "batch_size", None)
    return size if isinstance(size, int) else None
