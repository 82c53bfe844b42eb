"""Search results: MLflow's ordering of runs, pages of runs, and pandas DataFrames.

The companion of :mod:`tracklib.query.grammar` (which parses and evaluates filters): the ordering
rules are MLflow 3.17's, so a file store answers in exactly the order MLflow would.
"""

from __future__ import annotations

import importlib
import math
import operator
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from tracklib.entities import Run
from tracklib.query.grammar import OrderKey, Query, RunValues, lookup

T = TypeVar("T", bound=RunValues)


def sort_runs(runs: Iterable[T], order: Sequence[OrderKey]) -> list[T]:
    """Sort as MLflow does: ``start_time`` DESC then ``run_id``, then each key (last first)
    with stable sorts, so earlier keys win. Runs lacking a key go last, NaN before missing."""
    result = sorted(runs, key=lambda r: (-_int(r.attribute("start_time")), r.attribute("run_id")))
    for entry in reversed(order):
        present: list[tuple[Any, T]] = []
        nans: list[T] = []
        missing: list[T] = []
        for run in result:
            value = lookup(run, entry.entity, entry.key)
            if value is None:
                missing.append(run)
            elif isinstance(value, float) and math.isnan(value):
                nans.append(run)
            else:
                present.append((value, run))
        present.sort(key=operator.itemgetter(0), reverse=not entry.ascending)
        result = [run for _, run in present] + nans + missing
    return result


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


# --------------------------------------------------------------------------- full runs
class RunAccess:
    """:class:`RunValues` over a fully read :class:`~tracklib.entities.Run`."""

    __slots__ = ("run",)

    def __init__(self, run: Run) -> None:
        self.run = run

    def metric(self, key: str) -> float | None:
        return self.run.data.metrics.get(key)

    def param(self, key: str) -> str | None:
        return self.run.data.params.get(key)

    def tag(self, key: str) -> str | None:
        return self.run.data.tags.get(key)

    def attribute(self, key: str) -> str | int | None:
        value = getattr(self.run.info, key)
        return value.value if key == "status" else value  # type: ignore[no-any-return]


def filter_and_sort(runs: Iterable[Run], query: Query) -> list[Run]:
    """Apply a parsed query to runs already in memory (the in-memory store uses this)."""
    views = [RunAccess(run) for run in runs]
    return [view.run for view in sort_runs([v for v in views if query.matches(v)], query.order)]


# --------------------------------------------------------------------------- results
class PagedList(list[Run]):
    """A page of runs; ``token`` fetches the next page (None on the last), like MLflow's."""

    def __init__(self, runs: Iterable[Run], token: str | None) -> None:
        super().__init__(runs)
        self.token = token


PANDAS_HINT = "pip install 'tracklib-ml[pandas]'"  # the distribution's name


def to_pandas(runs: Sequence[Run]) -> Any:
    """Return the runs as a DataFrame shaped like ``mlflow.search_runs``'s: ``run_id``,
    ``experiment_id``, ``status``, ``artifact_uri``, ``start_time``, ``end_time`` (UTC
    datetimes), then ``metrics.*`` (NaN when missing), ``params.*`` and ``tags.*`` (None).

    Raises:
        ImportError: pandas is not installed (the message says how to get it).
    """
    try:
        pd = importlib.import_module("pandas")  # optional: imported only when asked for
    except ImportError:
        raise ImportError(
            f"output_format='pandas' needs pandas, which is an optional extra: {PANDAS_HINT}"
        ) from None

    def when(ms: int | None) -> Any:
        return pd.to_datetime(ms, unit="ms", utc=True)

    data: dict[str, list[Any]] = {
        "run_id": [r.info.run_id for r in runs],
        "experiment_id": [r.info.experiment_id for r in runs],
        "status": [r.info.status.value for r in runs],
        "artifact_uri": [r.info.artifact_uri for r in runs],
        "start_time": [when(r.info.start_time) for r in runs],
        "end_time": [when(r.info.end_time) for r in runs],
    }
    for prefix, missing in (("metrics", math.nan), ("params", None), ("tags", None)):
        keys = dict.fromkeys(k for r in runs for k in getattr(r.data, prefix))  # first seen
        for key in keys:
            column = [getattr(r.data, prefix).get(key, missing) for r in runs]
            data[f"{prefix}.{key}"] = column
    return pd.DataFrame(data)
