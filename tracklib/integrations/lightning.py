"""PyTorch Lightning logger: ``lightning.Trainer(logger=TracklibLogger(experiment="lstm"))``.

Importing this module imports ``lightning`` (the logger must subclass Lightning's
``Logger``); ``import tracklib`` never does.

What it logs (see docs/integrations.md): ``save_hyperparameters()`` / ``log_hyperparams``
as params (nested dicts flattened to dotted keys), everything ``self.log(...)`` sends to
loggers with Lightning's step (the global step), and checkpoint files as artifacts under
``checkpoints/`` when ``log_checkpoints=True``.
"""

from __future__ import annotations

import os
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from lightning.fabric.loggers.logger import rank_zero_experiment
from lightning.fabric.utilities.rank_zero import rank_zero_only
from lightning.pytorch.loggers.logger import Logger

from tracklib.integrations import training_run
from tracklib.integrations.values import flat_params, metric_floats
from tracklib.tracking.active_run import ActiveRun

_STATUS_FAILED = ("failed",)  # Lightning's finalize statuses: success, failed, finished


class TracklibLogger(Logger):
    """A Lightning logger writing to the active tracklib run, or to a run of its own.

    The run is picked at the first use (Lightning asks for ``version`` at setup): the active
    run if there is one, else a new run, which :meth:`finalize` ends (FAILED when training
    raised: Lightning calls ``finalize("failed")``). Logging after ``finalize`` (``test``
    after ``fit`` with the same logger) goes to the same run. Only global rank 0 logs unless
    ``TRACKLIB_LOG_ALL_RANKS=1``.

    Args:
        experiment: Experiment name for a run the logger starts; also the logger's ``name``.
        run_name: Name of a run the logger starts.
        nested: Start a child run of the active run instead of logging into it.
        tags: Extra tags for a run the logger starts.
        log_checkpoints: Log each checkpoint file Lightning saves under ``checkpoints/``.
        save_dir: Where Lightning writes checkpoints (default: the Trainer's
            ``default_root_dir``), as ``<save_dir>/<name>/<run id>/checkpoints``.
    """

    def __init__(
        self,
        experiment: str | None = None,
        run_name: str | None = None,
        nested: bool = False,
        tags: Mapping[str, Any] | None = None,
        log_checkpoints: bool = False,
        save_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__()
        self._experiment_name = experiment
        self._start: dict[str, Any] = {
            "experiment": experiment, "run_name": run_name, "nested": nested,
            "tags": dict(tags or {}),
        }  # fmt: skip
        self._log_checkpoints = log_checkpoints
        self._save_dir = None if save_dir is None else os.fspath(save_dir)
        self._session: training_run.TrainingRun | None = None
        self._logged_files: dict[str, float] = {}  # checkpoint path -> mtime when logged

    def _training_run(self) -> training_run.TrainingRun:
        if self._session is None:
            rank = getattr(rank_zero_only, "rank", None)
            self._session = training_run.begin("lightning", rank=rank, **self._start)
        return self._session

    @property
    def name(self) -> str:
        """The experiment name given, else ``tracklib`` (a folder name for checkpoints)."""
        return self._experiment_name or "tracklib"

    @property
    def version(self) -> str:
        """The run id (empty on a rank that does not log)."""
        return self._training_run().run.run_id

    @property
    def save_dir(self) -> str | None:
        """The folder under which Lightning writes checkpoints (None: the Trainer's)."""
        return self._save_dir

    @property
    def log_dir(self) -> str | None:
        """Lightning's log folder for this logger: ``save_dir`` (tracklib writes elsewhere)."""
        return self._save_dir

    @property
    @rank_zero_experiment
    def experiment(self) -> ActiveRun:
        """The tracklib run (``self.logger.experiment.log_text(...)`` in a module)."""
        return self._training_run().run

    @property
    def run_id(self) -> str:
        """The id of the run this logger writes to."""
        return self.version

    def log_hyperparams(self, params: Mapping[str, Any] | Namespace, *args: Any,
                        **kwargs: Any) -> None:  # fmt: skip
        """Log hyperparameters as params (nested dicts become dotted keys)."""
        session = self._training_run()
        if session.silent:
            return
        values = vars(params) if isinstance(params, Namespace) else dict(params)
        session.log_params(flat_params(values))

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Log the numbers Lightning reports at ``step``."""
        session = self._training_run()
        if session.silent:
            return
        values = metric_floats(metrics)
        if values:
            session.run.log_metrics(values, step=step or 0)

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """With ``log_checkpoints``, log the checkpoint files that are new or changed."""
        session = self._session
        if not self._log_checkpoints or session is None or session.silent:
            return
        folder = getattr(checkpoint_callback, "dirpath", None)
        if not folder or not os.path.isdir(folder):
            return
        for entry in os.scandir(folder):
            if entry.is_file() and self._logged_files.get(entry.path) != entry.stat().st_mtime:
                session.run.log_artifact(entry.path, "checkpoints")
                self._logged_files[entry.path] = entry.stat().st_mtime

    def save(self) -> None:
        """Nothing to do: each write is in the operating system when ``log_*`` returns."""

    def finalize(self, status: str) -> None:
        """End a run the logger started: FAILED for ``failed``, else FINISHED."""
        if self._session is not None:
            self._session.end(failed=status in _STATUS_FAILED)
