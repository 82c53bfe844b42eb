"""RestStore: the Store protocol over an MLflow tracking server's REST API.

Every call here is synchronous and explicit. With the default policy
(:data:`tracklib.stores.rest.http.DEFAULT_RETRY`) reads retry a few times quickly and writes
retry only when a resend cannot apply anything twice. Training code does not call this
directly for logging on the remote path: its writes go to the local spool, and the
background sender replicates them through a RestStore made with
:data:`~tracklib.stores.rest.http.NO_RETRY` (one attempt per call), because the sender has
its own, longer loop over the same :class:`~tracklib.stores.rest.http.RetryPolicy`. Batches
are cut to MLflow's limits by :func:`tracklib.stores.batches.split_batch`. The JSON shapes
live in :mod:`tracklib.stores.rest.wire`. Artifacts go through the server's
``mlflow-artifacts`` proxy, streamed from and to disk (:mod:`tracklib.stores.rest.artifacts`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from tracklib.entities import (
    Experiment,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from tracklib.errors import AlreadyExistsError, NotFoundError
from tracklib.stores.batches import split_batch
from tracklib.stores.rest.artifacts import RestArtifacts
from tracklib.stores.rest.http import DEFAULT_RETRY, HttpSession, RetryPolicy, retrying
from tracklib.stores.rest.wire import (
    API,
    HISTORY_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
    experiment_from_json,
    info_from_json,
    kv_json,
    metric_json,
    run_from_json,
)

_T = TypeVar("_T")


class RestStore(RestArtifacts):
    """A tracking store on an MLflow server, over one keep-alive ``requests.Session``.

    Args:
        tracking_uri: ``http[s]://[user:password@]host[:port][/prefix]``.
        retry: Retry policy of explicit calls (default: a few quick retries, ~10 s at most).
        history_page_size: ``max_results`` of each metrics/get-history page.
        env: Where to read auth/TLS/timeout settings (default ``os.environ``).
        timeout: ``(connect, read)`` seconds per request.

    Raises:
        InvalidInputError: The URI or an auth/TLS/timeout setting is invalid.
    """

    def __init__(
        self,
        tracking_uri: str,
        *,
        retry: RetryPolicy = DEFAULT_RETRY,
        history_page_size: int = HISTORY_PAGE_SIZE,
        env: Mapping[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        self.http = HttpSession(tracking_uri, env=env, timeout=timeout)
        self.retry = retry
        self.history_page_size = history_page_size
        self._artifact_urls: dict[str, tuple[str | None, str]] = {}

    def __repr__(self) -> str:
        return f"RestStore({self.http.base_url!r})"

    def close(self) -> None:
        """Close the session's connections."""
        self.http.close()

    # ----------------------------------------------------------------- plumbing
    def request(
        self, method: str, endpoint: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """One attempt at ``<API>/<endpoint>`` (no retry); raises as :meth:`HttpSession.request`."""
        return self.http.call(method, f"{API}/{endpoint}", body)

    def _call(
        self,
        method: str,
        endpoint: str,
        body: Mapping[str, Any] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        return retrying(self.retry, idempotent, lambda: self.request(method, endpoint, body))

    def _retry(self, attempt: Callable[[], _T]) -> _T:
        return retrying(self.retry, True, attempt)

    # ----------------------------------------------------------------- experiments
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: Mapping[str, str] | None = None
    ) -> str:
        """Create an experiment and return its id (AlreadyExistsError if the name is taken)."""
        body: dict[str, Any] = {"name": name}
        if artifact_location:
            body["artifact_location"] = artifact_location
        if tags:
            body["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        return str(
            self._call("POST", "experiments/create", body, idempotent=False)["experiment_id"]
        )

    def get_experiment(self, experiment_id: str) -> Experiment:
        """Return an experiment by id (NotFoundError if missing)."""
        reply = self._call("GET", "experiments/get", {"experiment_id": experiment_id})
        return experiment_from_json(reply["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Return the experiment with this name (also a deleted one), or None."""
        try:
            reply = self._call("GET", "experiments/get-by-name", {"experiment_name": name})
        except NotFoundError:
            return None
        return experiment_from_json(reply["experiment"])

    def search_experiments(self, view_type: ViewType = ViewType.ACTIVE_ONLY) -> list[Experiment]:
        """Return every experiment in ``view_type``, following page tokens."""
        found: list[Experiment] = []
        token: str | None = None
        while True:
            body: dict[str, Any] = {"max_results": SEARCH_PAGE_SIZE, "view_type": view_type.value}
            if token:
                body["page_token"] = token
            reply = self._call("POST", "experiments/search", body)
            found.extend(experiment_from_json(e) for e in reply.get("experiments") or ())
            token = reply.get("next_page_token")
            if not token:
                return found

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft-delete an experiment and its runs."""
        self._call("POST", "experiments/delete", {"experiment_id": experiment_id})

    def restore_experiment(self, experiment_id: str) -> None:
        """Undo :meth:`delete_experiment`."""
        self._call("POST", "experiments/restore", {"experiment_id": experiment_id})

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an experiment (``experiments/update``).

        Raises:
            AlreadyExistsError: The name is taken (checked first: a SQL server answers a
                taken name with a bare database error).
        """
        if self.get_experiment_by_name(new_name) is not None:
            raise AlreadyExistsError(
                f"Experiment {new_name!r} already exists (possibly deleted); choose another name."
            )
        body = {"experiment_id": experiment_id, "new_name": new_name}
        self._call("POST", "experiments/update", body)

    # ----------------------------------------------------------------- runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[RunTag] = (),
    ) -> RunInfo:
        """Create a RUNNING run (the server adds the ``mlflow.runName`` tag)."""
        body: dict[str, Any] = {
            "experiment_id": experiment_id,
            "user_id": user_id,
            "start_time": start_time,
            "run_name": run_name,
            "tags": kv_json(tags),
        }
        reply = self._call("POST", "runs/create", body, idempotent=False)
        return info_from_json(reply["run"]["info"])

    def get_run(self, run_id: str) -> Run:
        """Return a snapshot of a run (NotFoundError if missing)."""
        return run_from_json(self._call("GET", "runs/get", {"run_id": run_id})["run"])

    def update_run(
        self, run_id: str, status: RunStatus, end_time: int | None, run_name: str | None = None
    ) -> RunInfo:
        """Set a run's status, end time and (when given) name."""
        body: dict[str, Any] = {"run_id": run_id, "status": RunStatus(status).value}
        if end_time is not None:
            body["end_time"] = end_time
        if run_name is not None:
            body["run_name"] = run_name
        return info_from_json(self._call("POST", "runs/update", body)["run_info"])

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run."""
        self._call("POST", "runs/delete", {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`."""
        self._call("POST", "runs/restore", {"run_id": run_id})

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[Run], str | None]:
        """Return one page of runs; the filter string is evaluated by the server."""
        body: dict[str, Any] = {
            "experiment_ids": list(experiment_ids),
            "run_view_type": ViewType(view_type).value,
            "max_results": max_results,
        }
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = list(order_by)
        if page_token:
            body["page_token"] = page_token
        reply = self._call("POST", "runs/search", body)
        runs = [run_from_json(r) for r in reply.get("runs") or ()]
        return runs, reply.get("next_page_token") or None

    def run_ids(self) -> list[str]:
        """Every run id on the server, deleted runs and experiments included (pages of 50,000)."""
        experiments = [e.experiment_id for e in self.search_experiments(ViewType.ALL)]
        found: list[str] = []
        token: str | None = None
        while experiments:
            runs, token = self.search_runs(experiments, "", ViewType.ALL, 50_000, None, token)
            found.extend(run.info.run_id for run in runs)
            if not token:
                break
        return found

    # ----------------------------------------------------------------- logging
    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Log one point (not resent when the first attempt may have arrived)."""
        body = {"run_id": run_id, **metric_json(Metric(key, value, timestamp, step))}
        self._call("POST", "runs/log-metric", body, idempotent=False)

    def log_param(self, run_id: str, key: str, value: str) -> None:
        """Log a param (InvalidInputError if it exists with another value)."""
        self._call("POST", "runs/log-parameter", {"run_id": run_id, "key": key, "value": value})

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        """Set a tag."""
        self._call("POST", "runs/set-tag", {"run_id": run_id, "key": key, "value": value})

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a tag (``runs/delete-tag``)."""
        self._call("POST", "runs/delete-tag", {"run_id": run_id, "key": key})

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Log everything in as few log-batch requests as MLflow's limits allow.

        Requests are sent in order and each is all-or-nothing on a SQL server; a failure
        raises at once, leaving earlier requests applied.
        """
        unique_params = list(dict.fromkeys(params))  # the server rejects repeated keys
        for chunk_metrics, chunk_params, chunk_tags in split_batch(metrics, unique_params, tags):
            body: dict[str, Any] = {"run_id": run_id}
            if chunk_metrics:
                body["metrics"] = [metric_json(m) for m in chunk_metrics]
            if chunk_params:
                body["params"] = kv_json(chunk_params)
            if chunk_tags:
                body["tags"] = kv_json(chunk_tags)
            self._call("POST", "runs/log-batch", body, idempotent=not chunk_metrics)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every point of a metric, following page tokens ([] for an unknown key)."""
        points: list[Metric] = []
        token: str | None = None
        while True:
            query: dict[str, Any] = {
                "run_id": run_id,
                "metric_key": key,
                "max_results": self.history_page_size,
            }
            if token:
                query["page_token"] = token
            reply = self._call("GET", "metrics/get-history", query)
            for m in reply.get("metrics") or ():
                value = float(m.get("value", "NaN"))
                points.append(Metric(key, value, int(m.get("timestamp", 0)), int(m.get("step", 0))))
            token = reply.get("next_page_token")
            if not token:
                return points
