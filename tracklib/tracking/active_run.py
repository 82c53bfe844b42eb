"""ActiveRun: one run's lifecycle (RUNNING -> FINISHED / FAILED / KILLED) and its writes.

Every write of the fluent API goes through an :class:`ActiveRun`: it validates (keys are
checked once and cached, so the hot path is a set lookup), normalises values the way MLflow's
client does, and calls its store. MLflow calls this object ``ActiveRun`` too; the name also
keeps it apart from :class:`tracklib.entities.Run`, the read-only snapshot.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from tracklib import validation
from tracklib.entities import Param, Run, RunInfo, RunStatus, RunTag
from tracklib.errors import InvalidInputError, RunStateError
from tracklib.jsonform import encode_dict
from tracklib.stores.base import Store
from tracklib.tags import RUN_NAME
from tracklib.validation import param_conflict

V = TypeVar("V")


class ActiveRun:
    """A run being logged to. Returned by :func:`tracklib.start_run`; a context manager.

    Leaving the ``with`` block normally ends the run FINISHED, by an exception FAILED (the
    exception propagates), by ``KeyboardInterrupt`` KILLED.
    """

    def __init__(
        self, store: Store, info: RunInfo, on_end: Callable[[ActiveRun], None] | None = None
    ) -> None:
        self._store = store
        self._info = info
        self._on_end = on_end
        self._ended = False
        self._metric_keys: set[str] = set()
        self._params: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<ActiveRun {self._info.run_id} {self._info.run_name!r} {self._info.status}>"

    @property
    def info(self) -> RunInfo:
        """The run's info as this process knows it (status changes when the run ends)."""
        return self._info

    @property
    def run_id(self) -> str:
        """Shortcut for ``info.run_id``."""
        return self._info.run_id

    @property
    def store(self) -> Store:
        """The store this run writes to."""
        return self._store

    def get(self) -> Run:
        """Read the run back from its store (params, latest metrics, tags)."""
        return self._store.get_run(self._info.run_id)

    # --------------------------------------------------------------- metrics
    def log_metric(
        self, key: str, value: float, step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Log one metric point.

        Args:
            key: Metric name (MLflow's key rules; ``/`` makes groups, e.g. ``train/loss``).
            value: A real number; ints, bools and numpy/torch scalars become floats.
            step: Integer step (default 0).
            timestamp: Milliseconds since the epoch (default: now).

        Raises:
            InvalidInputError: Bad key, non-numeric value, non-integer step or timestamp.
        """
        if type(key) is not str or key not in self._metric_keys:
            validation.validate_key(key, "metric")
        if type(value) is not float:
            value = validation.metric_value(key, value)
        if type(step) is not int:
            step = validation.metric_step(key, step)
        if timestamp is None:
            timestamp = int(time.time() * 1000)
        elif type(timestamp) is not int or timestamp < 0:
            timestamp = validation.timestamp_ms(timestamp)
        self._store.log_metric(self._info.run_id, key, value, timestamp, step)
        self._metric_keys.add(key)

    def log_metrics(
        self, metrics: Mapping[str, float], step: int | None = None, timestamp: int | None = None
    ) -> None:
        """Log several metrics at one step and timestamp; all are checked before any is written.

        Raises:
            InvalidInputError: Any key, value, step or timestamp is invalid.
        """
        validation.check_mapping(metrics, "log_metrics")
        ts = validation.timestamp_ms(timestamp)
        points = [validation.metric_point(k, v, step, ts) for k, v in metrics.items()]
        self._store.log_batch(self._info.run_id, metrics=points)
        self._metric_keys.update(metrics)

    # --------------------------------------------------------------- params and tags
    def log_param(self, key: str, value: V) -> V:
        """Log a param (stored as ``str(value)``); returns ``value``.

        Raises:
            InvalidInputError: Bad key, or the param was logged before with another value.
        """
        self.log_params({key: value})
        return value

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log several params; all are checked before any is written.

        Raises:
            InvalidInputError: A bad key, or a param already logged with another value.
        """
        validation.check_mapping(params, "log_params")
        checked = [
            Param(validation.validate_key(k, "param"), validation.param_value(k, v))
            for k, v in params.items()
        ]
        new = []
        for param in checked:
            old = self._params.get(param.key)
            if old is None:
                new.append(param)
            elif old != param.value:
                raise param_conflict(param.key, old, param.value)
        if new:
            self._store.log_batch(self._info.run_id, params=new)
            self._params.update((p.key, p.value) for p in new)

    def set_tag(self, key: str, value: Any) -> None:
        """Set a tag (stored as ``str(value)``, kept whole as ``mlflow.set_tag`` keeps it on a
        file store); setting ``mlflow.runName`` renames the run.

        Raises:
            InvalidInputError: Bad key.
        """
        tag = RunTag(validation.validate_key(key, "tag"), validation.tag_value(key, value, False))
        self._write_tags([tag])

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set several tags; all are checked before any is written. Values over 8000
        characters are truncated (or refused, see docs/api.md), as ``mlflow.set_tags`` does.

        Raises:
            InvalidInputError: Any key is invalid, or a value too long with truncation off.
        """
        validation.check_mapping(tags, "set_tags")
        checked = [validation.run_tag(k, v) for k, v in tags.items()]
        self._write_tags(checked)

    def _write_tags(self, checked: list[RunTag]) -> None:
        self._store.log_batch(self._info.run_id, tags=checked)
        for tag in checked:
            if tag.key == RUN_NAME:
                self._info = dataclasses.replace(self._info, run_name=tag.value)

    # --------------------------------------------------------------- artifacts
    def log_artifact(
        self, local_path: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local file into the run's artifacts, under ``artifact_path`` if given.

        Raises:
            InvalidInputError: The file is missing, or the target would leave the run's
                artifact folder (``..``, an absolute path, a symlink pointing out).
        """
        self._store.log_artifact(self._info.run_id, local_path, artifact_path)

    def log_artifacts(
        self, local_dir: str | os.PathLike[str], artifact_path: str | None = None
    ) -> None:
        """Copy a local folder's content into the run's artifacts.

        Raises:
            InvalidInputError: The folder is missing, or the target would leave the run's
                artifact folder.
        """
        self._store.log_artifacts(self._info.run_id, local_dir, artifact_path)

    def log_text(self, text: str, artifact_file: str) -> None:
        """Save ``text`` as the artifact file ``artifact_file`` (e.g. ``notes/summary.md``).

        Raises:
            InvalidInputError: ``text`` is not a string, or ``artifact_file`` would leave the
                run's artifact folder.
        """
        if not isinstance(text, str):
            raise InvalidInputError(f"log_text takes a str, got {type(text).__name__}.")
        self._store.log_bytes(self._info.run_id, text.encode("utf-8"), artifact_file)

    def log_dict(self, dictionary: Mapping[str, Any], artifact_file: str) -> None:
        """Save a dict as JSON, or YAML when ``artifact_file`` ends in ``.yaml``/``.yml``.

        Raises:
            InvalidInputError: The dict cannot be serialised, or ``artifact_file`` would
                leave the run's artifact folder.
        """
        data = encode_dict(validation.check_mapping(dictionary, "log_dict"), artifact_file)
        self._store.log_bytes(self._info.run_id, data, artifact_file)

    # --------------------------------------------------------------- lifecycle
    def end(self, status: str | RunStatus = RunStatus.FINISHED) -> None:
        """End the run with ``status`` (FINISHED, FAILED or KILLED). A second call does nothing.

        Raises:
            InvalidInputError: ``status`` is not a terminal status.
        """
        final = to_terminal_status(status)
        if self._ended:
            return
        self._ended = True
        end_time = int(time.time() * 1000)
        try:
            self._info = self._store.update_run(self._info.run_id, final, end_time)
        except RunStateError as exc:
            # Deleted while it ran (e.g. from another process): a deleted run cannot be
            # updated, and ending must not replace the script's own outcome with an error.
            warnings.warn(f"{exc} It was left deleted, with its status unchanged.", stacklevel=2)
        finally:
            if self._on_end is not None:
                self._on_end(self)

    @property
    def ended(self) -> bool:
        """Whether :meth:`end` was called."""
        return self._ended

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.end(RunStatus.FINISHED)
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end(RunStatus.KILLED)
        else:
            self.end(RunStatus.FAILED)


def to_terminal_status(status: str | RunStatus) -> RunStatus:
    """Return ``status`` as a terminal RunStatus.

    Raises:
        InvalidInputError: It is not FINISHED, FAILED or KILLED.
    """
    try:
        final = RunStatus(str(status).upper())
    except ValueError:
        final = None
    if final is None or not final.is_terminated():
        raise InvalidInputError(
            f"A run ends with status FINISHED, FAILED or KILLED, not {status!r}."
        )
    return final
