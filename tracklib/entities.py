"""The vocabulary every store speaks: frozen dataclasses and enums, shaped like MLflow's."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "Experiment",
    "FileInfo",
    "LifecycleStage",
    "Metric",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "ViewType",
]


class RunStatus(str, Enum):
    """A run's status. Compares equal to its name (``RunStatus.FINISHED == "FINISHED"``)."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def code(self) -> int:
        """The integer MLflow writes in a run's meta.yaml (1 RUNNING ... 5 KILLED)."""
        return _STATUS_CODES[self]

    @classmethod
    def from_code(cls, code: int | str) -> RunStatus:
        """Return the status for an int code or a name (meta.yaml may hold either)."""
        if isinstance(code, str):
            return cls(code.upper())
        return _STATUS_BY_CODE[code]

    def is_terminated(self) -> bool:
        """True for FINISHED, FAILED and KILLED."""
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)

    def __str__(self) -> str:
        return self.value


_STATUS_CODES = {
    RunStatus.RUNNING: 1,
    RunStatus.SCHEDULED: 2,
    RunStatus.FINISHED: 3,
    RunStatus.FAILED: 4,
    RunStatus.KILLED: 5,
}
_STATUS_BY_CODE = {code: status for status, code in _STATUS_CODES.items()}


class LifecycleStage(str, Enum):
    """Whether an experiment or run is active or (soft-)deleted."""

    ACTIVE = "active"
    DELETED = "deleted"

    def __str__(self) -> str:
        return self.value


class ViewType(str, Enum):
    """Which runs or experiments a search returns."""

    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    def admits(self, stage: str) -> bool:
        """True if an entity in lifecycle ``stage`` belongs in this view."""
        if self is ViewType.ALL:
            return True
        return (stage == LifecycleStage.ACTIVE) == (self is ViewType.ACTIVE_ONLY)


@dataclass(frozen=True)
class Metric:
    """One logged metric point."""

    key: str
    value: float
    timestamp: int
    step: int = 0


@dataclass(frozen=True)
class Param:
    """One param (values are always strings)."""

    key: str
    value: str


@dataclass(frozen=True)
class RunTag:
    """One run tag (values are always strings)."""

    key: str
    value: str


@dataclass(frozen=True)
class Experiment:
    """An experiment: a named group of runs."""

    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str = LifecycleStage.ACTIVE
    creation_time: int | None = None
    last_update_time: int | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunInfo:
    """A run's metadata (what meta.yaml holds)."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str = LifecycleStage.ACTIVE

    @property
    def run_uuid(self) -> str:
        """MLflow's legacy alias of ``run_id``."""
        return self.run_id


@dataclass(frozen=True)
class RunData:
    """A run's params, latest metric values and tags, as plain ``str -> value`` dicts."""

    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    """A snapshot of a run: its info and data when it was read."""

    info: RunInfo
    data: RunData


@dataclass(frozen=True)
class FileInfo:
    """An artifact entry: a run-relative POSIX path, whether it is a folder, its size."""

    path: str
    is_dir: bool
    file_size: int | None = None


# ---------------------------------------------------------------- model registry (issue 12)
@dataclass(frozen=True)
class ModelVersion:
    """One version of a registered model: a pointer to a run's model files.

    ``version`` is an int (MLflow's REST API sends it as a string; tracklib converts).
    ``current_stage`` is ``"None"`` unless an MLflow client set a (deprecated) stage.
    """

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    source: str
    run_id: str | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = "None"
    status: str = "READY"
    status_message: str | None = None
    run_link: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    model_id: str | None = None


@dataclass(frozen=True)
class RegisteredModel:
    """A named model: its versions' latest, aliases (alias -> version number) and tags."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    deployment_job_id: str | None = None


# ---------------------------------------------------------------- end model registry
