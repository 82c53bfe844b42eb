"""SilentRun: what ``start_run()`` returns on a process that does not log (a non-zero rank).

A distributed job runs the same script in every process; only rank 0 writes (see
:mod:`tracklib.tracking.ranks`). On the others, ``start_run()`` returns a :class:`SilentRun`: it is
the active run (so ``with tracklib.start_run():`` and the fluent ``log_*`` functions work
unchanged and ``active_run()`` returns it), and every write returns at once without
checking or writing anything. Its ``info.run_id`` is the empty string: the run that holds
the job's data is rank 0's.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from tracklib.entities import Run, RunInfo, RunStatus
from tracklib.errors import RunStateError
from tracklib.stores.base import Store
from tracklib.tracking.active_run import ActiveRun, to_terminal_status


class SilentRun(ActiveRun):
    """An active run whose writes do nothing (a non-zero rank of a distributed job)."""

    def __init__(self, rank: int, on_end: Callable[[ActiveRun], None] | None = None) -> None:
        # ActiveRun.__init__ is not called on purpose: a silent run has no store.
        self._rank = rank
        self._on_end = on_end
        self._ended = False
        self._info = RunInfo(
            run_id="",
            experiment_id="",
            run_name="",
            user_id="",
            status=RunStatus.RUNNING,
            start_time=int(time.time() * 1000),
            end_time=None,
            artifact_uri="",
        )

    def __repr__(self) -> str:
        return f"<SilentRun rank {self._rank}>"

    @property
    def rank(self) -> int:
        """The global rank of this process."""
        return self._rank

    @property
    def store(self) -> Store:
        """A silent run has no store.

        Raises:
            RunStateError: Always.
        """
        raise RunStateError(self._no_data("has no store"))

    def get(self) -> Run:
        """A silent run holds no data to read back.

        Raises:
            RunStateError: Always.
        """
        raise RunStateError(self._no_data("holds no data"))

    def _no_data(self, what: str) -> str:
        return (
            f"This process (rank {self._rank}) does not log, so its run {what}; rank 0's run "
            "holds the job's data. Set TRACKLIB_LOG_ALL_RANKS=1 to log from every rank."
        )

    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Do nothing (this rank does not log)."""

    def log_metrics(
        self, metrics: Mapping[str, float], step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Do nothing (this rank does not log)."""

    def log_param(self, key: str, value: Any) -> Any:
        """Do nothing (this rank does not log); return ``value`` as ActiveRun does."""
        return value

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Do nothing (this rank does not log)."""

    def set_tag(self, key: str, value: Any) -> None:
        """Do nothing (this rank does not log)."""

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Do nothing (this rank does not log)."""

    def log_artifact(
        self, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Do nothing (this rank does not log)."""

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Do nothing (this rank does not log)."""

    def log_text(self, text: str, artifact_file: str) -> None:
        """Do nothing (this rank does not log)."""

    def log_dict(self, dictionary: Mapping[str, Any], artifact_file: str) -> None:
        """Do nothing (this rank does not log)."""

    def end(self, status: str | RunStatus = RunStatus.FINISHED) -> None:
        """Leave the active-run stack; nothing is written.

        Raises:
            InvalidInputError: ``status`` is not FINISHED, FAILED or KILLED.
        """
        final = to_terminal_status(status)
        if self._ended:
            return
        self._ended = True
        self._info = dataclasses.replace(self._info, status=final)
        if self._on_end is not None:
            self._on_end(self)
