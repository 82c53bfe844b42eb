"""The differential harness: one operation, run through MLflow 3.17.2 and through tracklib.

Each side is a :class:`Side`: a client on its own file store (``MlflowClient`` on MLflow's
``FileStore``, ``tracklib.Client`` on tracklib's), the entity classes of that library and its
spelling of view types. An operation's result becomes an :class:`Outcome`: the value, put
into a shape both libraries can produce (run names instead of run ids, which differ between
stores; NaN as a string), or the error as a tracklib class name. MLflow's errors are mapped
onto tracklib's classes by their ``error_code`` (:func:`mlflow_error_class`), so "both raise
the same kind of error" is a plain equality.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow.entities as mlflow_entities
from mlflow.exceptions import MissingConfigException, MlflowException
from mlflow.tracking import MlflowClient

import tracklib
import tracklib.entities as tracklib_entities
from tracklib import errors

# MLflow's error codes and the tracklib class that stands for the same kind of failure.
_CODE_TO_CLASS = {
    "INVALID_PARAMETER_VALUE": "InvalidInputError",
    "BAD_REQUEST": "InvalidInputError",
    "INTERNAL_ERROR": "InvalidInputError",  # MLflow's answer to an unknown view type
    "RESOURCE_DOES_NOT_EXIST": "NotFoundError",
    "RESOURCE_ALREADY_EXISTS": "AlreadyExistsError",
    "INVALID_STATE": "RunStateError",
}
# MLflow says INVALID_PARAMETER_VALUE when the object's state is wrong; tracklib has a class.
_STATE_MESSAGES = (
    "must be in 'active' lifecycle_stage",
    "non-active experiment",
    "non-active lifecycle stage",
)
# Python errors MLflow lets through for bad arguments; tracklib must raise InvalidInputError.
_BAD_INPUT_TYPES = (TypeError, ValueError, AttributeError)
_TRACKLIB_CLASSES = (
    errors.StoreUnavailableError,
    errors.StoreError,
    errors.RunStateError,
    errors.NotFoundError,
    errors.AlreadyExistsError,
    errors.InvalidInputError,
)


def mlflow_error_class(exc: BaseException) -> str:
    """The tracklib class name that matches an error MLflow raised."""
    if isinstance(exc, MissingConfigException):  # a run folder whose meta.yaml is gone
        return "NotFoundError"
    if any(m in str(exc) for m in _STATE_MESSAGES):
        return "RunStateError"
    if isinstance(exc, MlflowException):
        return _CODE_TO_CLASS.get(exc.error_code, f"mlflow:{exc.error_code}")
    if isinstance(exc, _BAD_INPUT_TYPES) or type(exc) is Exception:
        return "InvalidInputError"
    return f"python:{type(exc).__name__}"


def tracklib_error_class(exc: BaseException) -> str:
    """The name of the most specific tracklib class of an error (``python:X`` for others)."""
    for cls in _TRACKLIB_CLASSES:
        if isinstance(exc, cls):
            return cls.__name__
    return f"python:{type(exc).__name__}"


@dataclass(frozen=True)
class Outcome:
    """``kind`` is ``"ok"`` (with ``value``) or the tracklib error class name."""

    kind: str
    value: Any = None


@dataclass
class Side:
    """One library on one store."""

    name: str
    client: Any
    Metric: Any
    Param: Any
    RunTag: Any
    views: Mapping[str, Any]
    error_class: Callable[[BaseException], str]
    root: Path
    names: dict[str, str] = field(default_factory=dict)  # run id -> run name

    def outcome(self, operation: Callable[[], Any]) -> Outcome:
        """Run ``operation`` and return its normalised value or error class."""
        try:
            return Outcome("ok", self.normalise(operation()))
        except Exception as exc:  # the class is the outcome being compared
            return Outcome(self.error_class(exc))

    def normalise(self, value: Any) -> Any:
        """Turn entities into comparable plain data (run ids into run names)."""
        if isinstance(value, (list, tuple)):
            return [self.normalise(v) for v in value]
        if isinstance(value, float):
            return "nan" if math.isnan(value) else value
        if hasattr(value, "info") and hasattr(value, "data"):
            return run_view(value)
        if hasattr(value, "run_id") and hasattr(value, "lifecycle_stage"):
            return info_view(value)
        if hasattr(value, "experiment_id") and hasattr(value, "name"):
            return experiment_view(value)
        if hasattr(value, "key") and hasattr(value, "step"):
            return (value.key, self.normalise(float(value.value)), value.timestamp, value.step)
        return value


def info_view(info: Any) -> dict[str, Any]:
    """The RunInfo fields that do not depend on the store's ids and paths."""
    return {
        "run_name": info.run_name,
        "user_id": info.user_id,
        "status": str(info.status),
        "start_time": info.start_time,
        "end_time": info.end_time,
        "lifecycle_stage": str(info.lifecycle_stage),
    }


def short(text: str) -> str:
    """Long values as their length and a digest, so a failure message stays readable."""
    if len(text) <= 100:
        return text
    return f"<{len(text)} chars, sha1 {hashlib.sha1(text.encode()).hexdigest()[:12]}>"


def run_view(run: Any) -> dict[str, Any]:
    """A run as comparable data."""
    metrics = {k: "nan" if math.isnan(v) else v for k, v in run.data.metrics.items()}
    return {
        **info_view(run.info),
        "params": {k: short(v) for k, v in run.data.params.items()},
        "tags": {k: short(v) for k, v in run.data.tags.items()},
        "metrics": metrics,
    }


def experiment_view(experiment: Any) -> dict[str, Any]:
    """An experiment as comparable data (ids and times differ between stores)."""
    return {
        "name": experiment.name,
        "lifecycle_stage": str(experiment.lifecycle_stage),
        "tags": dict(experiment.tags),
    }


def mlflow_side(root: Path) -> Side:
    """MLflow's own client on MLflow's file store at ``root``."""
    views = {
        v: getattr(mlflow_entities.ViewType, v) for v in ("ACTIVE_ONLY", "DELETED_ONLY", "ALL")
    }
    return Side(
        "mlflow",
        MlflowClient(root.as_uri()),
        mlflow_entities.Metric,
        mlflow_entities.Param,
        mlflow_entities.RunTag,
        views,
        mlflow_error_class,
        root,
    )


def tracklib_side(root: Path) -> Side:
    """tracklib's Client on tracklib's file store at ``root``."""
    views = {v: tracklib.ViewType(v) for v in ("ACTIVE_ONLY", "DELETED_ONLY", "ALL")}
    return Side(
        "tracklib",
        tracklib.Client(os.fspath(root)),
        tracklib_entities.Metric,
        tracklib_entities.Param,
        tracklib_entities.RunTag,
        views,
        tracklib_error_class,
        root,
    )


def both_sides(work: Path) -> tuple[Side, Side]:
    """A fresh MLflow side and a fresh tracklib side under ``work``."""
    return mlflow_side(work / "mlflow-store"), tracklib_side(work / "tracklib-store")
