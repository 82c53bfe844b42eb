"""The JSON API of ``tracklib ui``: every answer is computed here from a Client.

All of it is read-only. Errors are :class:`ApiError` with an HTTP status, a code and, for a
malformed filter, the position the frontend puts its caret at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracklib.entities import Run
from tracklib.errors import InvalidInputError, NotFoundError, StoreError, TracklibError
from tracklib.query import grammar
from tracklib.settings import is_remote
from tracklib.tags import PARENT_RUN_ID
from tracklib.tracking.client import Client
from tracklib.ui import environment, files, views
from tracklib.ui.history import DEFAULT_POINTS, MAX_POINTS, HistoryReader
from tracklib.ui.runreader import RunReader

Query = Mapping[str, Sequence[str]]
MAX_RUNS = 50000  # MLflow's largest search page
DEFAULT_RUNS = 1000
REMOTE_COUNT = 1000  # runs counted per experiment on an MLflow server (see Api.experiments)
MIN_COMPARE, MAX_COMPARE = 2, 20


@dataclass
class ApiError(Exception):
    """An answer that is an error: ``{"error": {"message", "code", "position"}}``."""

    status: int
    code: str
    message: str
    position: int | None = None

    def json(self) -> dict[str, Any]:
        """The error as the API sends it."""
        return {"error": {"message": self.message, "code": self.code, "position": self.position}}


def to_api_error(exc: TracklibError) -> ApiError:
    """The HTTP answer for a tracklib error (a server's "not found" stays a 404)."""
    if isinstance(exc, NotFoundError):
        return ApiError(404, "NOT_FOUND", str(exc))
    if isinstance(exc, InvalidInputError):
        return ApiError(400, "INVALID_PARAMETER", str(exc), exc.position)
    if isinstance(exc, StoreError) and exc.error_code == "RESOURCE_DOES_NOT_EXIST":
        return ApiError(404, "NOT_FOUND", str(exc))
    return ApiError(502, "STORE_ERROR", str(exc))


class Api:
    """Answers ``/api/...`` GETs from one Client.

    Args:
        client: The tracking store to read.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.histories = HistoryReader(client)
        self.runs_read = RunReader(client)
        self.environments = environment.Environments(client, self.runs_read.get_run)
        self._routes: list[tuple[re.Pattern[str], Callable[..., dict[str, Any]]]] = [
            (re.compile(r"/api/health"), self.health),
            (re.compile(r"/api/experiments"), self.experiments),
            (re.compile(r"/api/experiments/([^/]+)/runs"), self.runs),
            (re.compile(r"/api/runs/([^/]+)"), self.run),
            (re.compile(r"/api/runs/([^/]+)/history"), self.history),
            (re.compile(r"/api/runs/([^/]+)/artifacts"), self.artifacts),
            (re.compile(r"/api/runs/([^/]+)/environment"), self.environment),
            (re.compile(r"/api/compare"), self.compare),
        ]

    def get(self, path: str, query: Query) -> dict[str, Any]:
        """Answer one API path (already URL-decoded) with its query parameters.

        Raises:
            ApiError: Unknown path, bad parameters, missing run, or a store failure.
        """
        for pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is not None:
                try:
                    return handler(query, *match.groups())
                except TracklibError as exc:
                    raise to_api_error(exc) from None
        raise ApiError(404, "NOT_FOUND", f"No API endpoint {path}.")

    # ----------------------------------------------------------------- endpoints
    def health(self, query: Query) -> dict[str, Any]:
        """``{"ok": true}``."""
        return {"ok": True}

    def experiments(self, query: Query) -> dict[str, Any]:
        """Every active experiment with its run counts and last activity.

        Counting means listing every run; an MLflow server sends each with all its data, so
        there the count stops at :data:`REMOTE_COUNT` (``run_count_capped`` says so).
        """
        cap = REMOTE_COUNT if is_remote(self.client.tracking_uri) else MAX_RUNS - 1
        found = []
        for experiment in self.client.search_experiments():
            runs = list(self.client.search_runs([experiment.experiment_id], max_results=cap + 1))
            data = views.experiment_json(experiment, runs[:cap])
            data["run_count_capped"] = len(runs) > cap
            found.append(data)
        return {"experiments": found}

    def runs(self, query: Query, experiment_id: str) -> dict[str, Any]:
        """One experiment's runs, filtered and ordered with MLflow's grammar.

        Raises:
            ApiError: 400 INVALID_FILTER (or INVALID_ORDER_BY) with the position of the
                malformed filter (or order_by entry).
        """
        experiment = self.client.get_experiment(experiment_id)
        filter_string = _one(query, "filter", "")
        order_by = [o for o in query.get("order_by", ()) if o.strip()]
        limit = _int(query, "max_results", DEFAULT_RUNS, 1, MAX_RUNS)
        # Parsed here too, so a remote server's runs get the position as well.
        try:
            grammar.parse_filter(filter_string)
        except InvalidInputError as exc:
            raise ApiError(400, "INVALID_FILTER", str(exc), exc.position) from None
        try:
            grammar.parse_order_by(order_by)
        except InvalidInputError as exc:
            raise ApiError(400, "INVALID_ORDER_BY", str(exc), exc.position) from None
        found = list(
            self.client.search_runs(
                [experiment_id],
                filter_string=filter_string,
                max_results=min(limit + 1, MAX_RUNS),
                order_by=order_by or None,
            )
        )
        chosen = found[:limit]
        everything = chosen
        if filter_string.strip() or len(found) > limit:  # the counts are the experiment's
            everything = self.client.search_runs([experiment_id], max_results=MAX_RUNS)
        return {
            "experiment": views.experiment_json(experiment, everything),
            "runs": [views.run_summary(r) for r in chosen],
            "param_keys": views.key_union(chosen, "params"),
            "metric_keys": views.key_union(chosen, "metrics"),
            "truncated": len(found) > limit,
        }

    def run(self, query: Query, run_id: str) -> dict[str, Any]:
        """One run in detail, its experiment's name and its child runs."""
        run = self.runs_read.get_run(run_id)
        experiment_id = run.info.experiment_id
        try:
            name = self.client.get_experiment(experiment_id).name
        except TracklibError:
            name = ""
        children = self.client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{PARENT_RUN_ID}` = '{run.info.run_id}'",
            max_results=MAX_RUNS,
        )
        return {
            "run": views.run_detail(run),
            "experiment": {"experiment_id": experiment_id, "name": name},
            "children": [views.run_summary(c) for c in children],
            "metric_keys": sorted(run.data.metrics),
        }

    def history(self, query: Query, run_id: str) -> dict[str, Any]:
        """A metric's points, downsampled keeping extremes when there are too many.

        Raises:
            ApiError: No ``key`` parameter, or a bad ``max_points``.
        """
        key = _one(query, "key", "")
        if not key:
            raise ApiError(400, "INVALID_PARAMETER", "Give the metric with ?key=NAME.")
        limit = _int(query, "max_points", DEFAULT_POINTS, 4, MAX_POINTS)
        # No get_run first: it would read the latest value of every metric, which for a
        # million-point one is a scan of the whole file. A missing run is still a 404.
        return self.histories.history_json(run_id, key, limit)

    def artifacts(self, query: Query, run_id: str) -> dict[str, Any]:
        """The artifact entries directly under ``?path=``."""
        self.runs_read.get_run(run_id)  # a missing run is a 404, not an empty folder
        return files.list_folder(self.client, run_id, _one(query, "path", ""))

    def environment(self, query: Query, run_id: str) -> dict[str, Any]:
        """The run's environment snapshot (``available: false`` when none was recorded)."""
        return self.environments.environment_json(run_id)

    def compare(self, query: Query) -> dict[str, Any]:
        """2 to 20 runs side by side, with the params that differ and the environment diffs.

        Raises:
            ApiError: Fewer than 2 or more than 20 distinct run ids.
        """
        ids = list(dict.fromkeys(i for i in _one(query, "runs", "").split(",") if i))
        if not MIN_COMPARE <= len(ids) <= MAX_COMPARE:
            raise ApiError(
                400,
                "INVALID_PARAMETER",
                f"Compare takes {MIN_COMPARE} to {MAX_COMPARE} distinct run ids "
                f"(?runs=ID,ID,...); got {len(ids)}.",
            )
        runs = [self.runs_read.get_run(run_id) for run_id in ids]
        return compare_json(runs, self.environments)


def compare_json(runs: Sequence[Run], environments: environment.Environments) -> dict[str, Any]:
    """The ``/api/compare`` answer for runs already read."""
    return {
        "runs": [views.run_summary(r) for r in runs],
        "param_keys": views.key_union(runs, "params"),
        "metric_keys": views.key_union(runs, "metrics"),
        "differing_params": views.differing_params(runs),
        "env_diff": environments.env_diffs(runs),
    }


def _one(query: Query, name: str, default: str) -> str:
    values = query.get(name)
    return values[-1] if values else default


def _int(query: Query, name: str, default: int, low: int, high: int) -> int:
    """An integer parameter; values above ``high`` are capped.

    Raises:
        ApiError: Not an integer, or below ``low``.
    """
    text = _one(query, name, "")
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if value < low:
        raise ApiError(400, "INVALID_PARAMETER", f"{name} must be an integer >= {low}.")
    return min(value, high)
