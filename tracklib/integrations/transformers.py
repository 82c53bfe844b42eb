"""Hugging Face Transformers callback: ``Trainer(..., callbacks=[TracklibCallback()])``.

Importing this module imports ``transformers`` (the callback must subclass
``transformers.TrainerCallback``); ``import tracklib`` never does.

What it logs (see docs/integrations.md): at train begin, ``TrainingArguments`` as params
(nested values flattened to dotted keys) and the model's config under ``model.``; every
``on_log`` report (``loss``, ``learning_rate``, ``grad_norm``, ``epoch``, ``eval_*``, ...)
with ``step`` = the global step; ``on_evaluate`` metrics the log report did not carry;
checkpoints as artifacts when ``log_checkpoints=True``.
"""

from __future__ import annotations

import os
from typing import Any

import transformers

from tracklib.integrations import training_run
from tracklib.integrations.values import flat_params, metric_floats


class TracklibCallback(transformers.TrainerCallback):
    """Log a ``transformers.Trainer`` run into the active run, or into a run of its own.

    With no active run, the callback starts a run at train begin and ends it at train end.
    The Trainer does not call ``on_train_end`` when training raises; the run is then ended
    FAILED when the next training session of any tracklib integration begins. Only the
    Trainer's world process zero logs unless ``TRACKLIB_LOG_ALL_RANKS=1``.

    Args:
        log_checkpoints: Log each checkpoint folder the Trainer saves as
            ``checkpoints/checkpoint-<step>``.
        nested: Start a child run of the active run instead of logging into it.
        experiment: Experiment name for a run the callback starts.
        run_name: Name of a run the callback starts (default: ``TrainingArguments.run_name``).
        tags: Extra tags for a run the callback starts.
    """

    def __init__(
        self,
        log_checkpoints: bool = False,
        nested: bool = False,
        experiment: str | None = None,
        run_name: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> None:
        self._log_checkpoints = log_checkpoints
        self._nested = nested
        self._experiment = experiment
        self._run_name = run_name
        self._tags = tags
        self._session: training_run.TrainingRun | None = None
        self._logged: tuple[int, set[str]] = (-1, set())  # keys logged at the last step

    @property
    def run_id(self) -> str | None:
        """The id of the run the current (or last) training logged into."""
        return None if self._session is None else self._session.run.run_id

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Pick the run (and start one if needed); log the arguments and model config."""
        self._session = self._begin(args, state)
        if self._session.silent:
            return
        params = flat_params(args.to_dict())
        config = getattr(kwargs.get("model"), "config", None)
        if config is not None and hasattr(config, "to_dict"):
            params.update(flat_params(config.to_dict(), "model."))
        self._session.log_params(params)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        """Log the numbers of a log report with ``step`` = the global step."""
        self._log(args, state, logs)

    def on_evaluate(
        self, args: Any, state: Any, control: Any, metrics: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        """Log evaluation metrics; those the Trainer's log report already carried are skipped."""
        step, seen = self._logged
        if metrics and step == state.global_step:
            metrics = {k: v for k, v in metrics.items() if k not in seen}
        self._log(args, state, metrics)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """With ``log_checkpoints``, log the checkpoint folder just saved."""
        session = self._session
        if not self._log_checkpoints or session is None or session.silent:
            return
        name = f"checkpoint-{state.global_step}"
        folder = os.path.join(args.output_dir, name)
        if os.path.isdir(folder):
            session.run.log_artifacts(folder, f"checkpoints/{name}")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """End the run if the callback started it."""
        if self._session is not None:
            self._session.end()

    def _begin(self, args: Any, state: Any) -> training_run.TrainingRun:
        return training_run.begin(
            "transformers",
            experiment=self._experiment,
            run_name=self._run_name or getattr(args, "run_name", None),
            nested=self._nested,
            tags=self._tags,
            rank=0 if state.is_world_process_zero else 1,
        )

    def _log(self, args: Any, state: Any, values: dict[str, Any] | None) -> None:
        if self._session is None:  # evaluate() before any train(): a run for it too
            self._session = self._begin(args, state)
        if not values or self._session.silent:
            return
        metrics = metric_floats(values)
        if metrics:
            self._session.run.log_metrics(metrics, step=state.global_step)
            step, seen = self._logged
            self._logged = (state.global_step, (seen if step == state.global_step else set()))
            self._logged[1].update(metrics)
