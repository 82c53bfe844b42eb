"""Client: the explicit, id-based API over one store, like ``mlflow.MlflowClient``.

Reads live here; the fluent API's read functions are one-line calls to a Client.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast, overload

from tracklib import settings, validation
from tracklib.entities import (
    Metric,
    Param,
    Run,
    RunInfo,
    RunTag,
    ViewType,
)
from tracklib.errors import InvalidInputError, NotFoundError
from tracklib.query import results
from tracklib.stores import open_store
from tracklib.stores.base import Store
from tracklib.tags import RUN_NAME
from tracklib.tags import USER as USER_TAG
from tracklib.tracking.active_run import to_terminal_status
from tracklib.tracking.artifact_client import ArtifactClient
from tracklib.tracking.experiment_client import ExperimentClient
from tracklib.tracking.runnames import resolve_run_name

if TYPE_CHECKING:
    import pandas

V = TypeVar("V")


class Client(ExperimentClient, ArtifactClient):
    """Explicit access to a tracking store by experiment and run id.

    Args:
        tracking_uri: Where to read and write; default: :func:`tracklib.get_tracking_uri`.

    Raises:
        InvalidInputError: The URI is not one tracklib can use.
    """

    def __init__(self, tracking_uri: str | os.PathLike[str] | None = None) -> None:
        uri = settings.get_tracking_uri() if tracking_uri is None else os.fspath(tracking_uri)
        self.tracking_uri = uri
        self.store: Store = open_store(uri)

    def __repr__(self) -> str:
        return f"Client({settings.redact_uri(self.tracking_uri)!r})"  # no user:password@

    # ------------------------------------------------------------- runs
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: Mapping[str, Any] | None = None,
        run_name: str | None = None,
        user_id: str | None = None,
    ) -> Run:
        """Create a RUNNING run. Like MlflowClient, adds no system tags but ``mlflow.runName``;
        the user is ``user_id``, else the ``mlflow.user`` tag, else ``"unknown"`` (MLflow's rule).

        Raises:
            InvalidInputError: Bad tag key, or ``run_name`` disagrees with an
                ``mlflow.runName`` tag.
            NotFoundError: The experiment does not exist.
            RunStateError: The experiment is deleted.
        """
        run_tags = [validation.run_tag(k, v) for k, v in (tags or {}).items()]
        name = resolve_run_name(run_name, tags)
        info = self.store.create_run(
            validation.validate_experiment_id(experiment_id),
            user_id or next((t.value for t in run_tags if t.key == USER_TAG), "unknown"),
            validation.timestamp_ms(start_time),
            name,
            [t for t in run_tags if t.key != RUN_NAME],
        )
        return self.store.get_run(info.run_id)

    def get_run(self, run_id: str) -> Run:
        """Return a snapshot of a run: info, params, latest metrics, tags.

        On a server, a run that was logged offline (or in a local store, then synced) is
        also found by the id it had there: the returned run's ``info.run_id`` is then the
        server's id.

        Raises:
            NotFoundError: No run has this id (for a run still waiting in this machine's
                spool, the message says so and how to deliver it).
        """
        checked = validation.validate_run_id(run_id)
        try:
            return self.store.get_run(checked)
        except NotFoundError:
            if not settings.is_remote(self.tracking_uri):
                raise
            from tracklib.remote import spool
            from tracklib.remote.replicas import find_replica  # the id a script printed

            found = find_replica(self.store, checked)
            if found is not None:
                return found
            pending = spool.undelivered(self.tracking_uri, checked)
            if pending is None:
                raise
            raise NotFoundError(pending) from None

    def set_terminated(
        self, run_id: str, status: str = "FINISHED", end_time: int | None = None
    ) -> RunInfo:
        """End a run with a terminal status.

        Raises:
            InvalidInputError: ``status`` is not FINISHED, FAILED or KILLED.
            NotFoundError: No run has this id.
        """
        final = to_terminal_status(status)
        return self.store.update_run(
            validation.validate_run_id(run_id), final, validation.timestamp_ms(end_time)
        )

    def update_run(
        self, run_id: str, status: str | None = None, name: str | None = None
    ) -> RunInfo:
        """Change a run's status and/or name; the end time stays as it is (MLflow's rule:
        :meth:`set_terminated` sets it).

        Raises:
            InvalidInputError: ``status`` is not a run status.
            NotFoundError: No run has this id.
            RunStateError: The run is deleted.
        """
        new_status = validation.run_status(status) if status else None
        info = self.get_run(run_id).info
        return self.store.update_run(run_id, new_status or info.status, info.end_time, name)

    def delete_run(self, run_id: str) -> None:
        """Soft-delete a run (its folder stays; MLflow's ``gc`` removes it).

        Raises:
            NotFoundError: No run has this id.
        """
        self.store.delete_run(validation.validate_run_id(run_id))

    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`.

        Raises:
            NotFoundError: No run has this id.
        """
        self.store.restore_run(validation.validate_run_id(run_id))

    @overload
    def search_runs(
        self,
        experiment_ids: Sequence[str] | str | None = None,
        filter_string: str = "",
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        experiment_names: Sequence[str] | None = None,
        output_format: Literal["list"] = "list",
    ) -> results.PagedList: ...

    @overload
    def search_runs(
        self,
        experiment_ids: Sequence[str] | str | None = None,
        filter_string: str = "",
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        experiment_names: Sequence[str] | None = None,
        *,
        output_format: Literal["pandas"],
    ) -> pandas.DataFrame: ...

    @overload
    def search_runs(
        self,
        experiment_ids: Sequence[str] | str | None = None,
        filter_string: str = "",
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        experiment_names: Sequence[str] | None = None,
        output_format: str = "list",
    ) -> results.PagedList | pandas.DataFrame: ...

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str | None = None,
        filter_string: str = "",
        run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
        experiment_names: Sequence[str] | None = None,
        output_format: str = "list",
    ) -> results.PagedList | pandas.DataFrame:
        """Return one page of runs matching MLflow's filter grammar (see docs/query.md).

        With ``output_format="list"`` (default) the result is a list of runs whose ``token``
        attribute fetches the next page (None on the last page); with ``"pandas"`` it is a
        DataFrame shaped like ``mlflow.search_runs``'s. Runs come in ``order_by`` order, then
        newest first, then by run id. All active experiments are searched by default.

        Raises:
            InvalidInputError: A malformed filter, order_by or page token (the message
                points at the position), max_results negative or above 50,000, or an
                unknown output_format.
            ImportError: output_format="pandas" without pandas installed.
            NotFoundError: A named experiment does not exist.
        """
        if output_format not in ("list", "pandas"):
            raise InvalidInputError(
                f"output_format must be 'list' or 'pandas', got {output_format!r}."
            )
        ids = self._experiment_ids(experiment_ids, experiment_names)
        runs, token = self.store.search_runs(
            ids,
            filter_string,
            validation.view_type(run_view_type),
            max_results,
            order_by,
            page_token,
        )
        if output_format == "pandas":
            return results.to_pandas(runs)
        return results.PagedList(runs, token)

    # ------------------------------------------------------------- logging
    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        step: int | None = None,
        timestamp: int | None = None,
    ) -> None:
        """Log one metric point to a run.

        Raises:
            InvalidInputError: Bad key, value, step or timestamp.
            NotFoundError: No run has this id.
            RunStateError: The run is deleted.
        """
        self.log_batch(run_id, metrics=[validation.metric_point(key, value, step, timestamp)])

    def log_param(self, run_id: str, key: str, value: V) -> V:
        """Log a param to a run; returns ``value``.

        Raises:
            InvalidInputError: Bad key, or the param exists with a different value.
        """
        self.log_batch(run_id, params=[Param(key, cast(Any, value))])  # log_batch converts
        return value

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        """Set a tag on a run (``str(value)``, kept whole: MlflowClient.set_tag does not cut
        values over 8000 characters on a file store, only log_batch does).

        Raises:
            InvalidInputError: Bad key.
            NotFoundError: No run has this id.
            RunStateError: The run is deleted.
        """
        tag = RunTag(validation.validate_key(key, "tag"), validation.tag_value(key, value, False))
        self.store.log_batch(validation.validate_run_id(run_id), tags=[tag])

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a tag from a run, like ``MlflowClient.delete_tag``.

        Raises:
            NotFoundError: No run has this id, or the run has no such tag.
            RunStateError: The run is deleted.
        """
        self.store.delete_tag(
            validation.validate_run_id(run_id), validation.validate_key(key, "tag")
        )

    def log_batch(
        self,
        run_id: str,
        metrics: Iterable[Metric] = (),
        params: Iterable[Param] = (),
        tags: Iterable[RunTag] = (),
    ) -> None:
        """Log metrics, params and tags at once; everything is checked before anything is written.

        Raises:
            InvalidInputError: Any entity is invalid, a param is named twice, or a param
                conflicts with its logged value.
            NotFoundError: No run has this id.
            RunStateError: The run is deleted.
        """
        checked_metrics = [
            validation.metric_point(m.key, m.value, m.step, m.timestamp) for m in metrics
        ]
        checked_params = [
            Param(validation.validate_key(p.key, "param"), validation.param_value(p.key, p.value))
            for p in params
        ]
        validation.unique_keys([p.key for p in checked_params], "log_batch")
        checked_tags = [validation.run_tag(t.key, t.value) for t in tags]
        self.store.log_batch(
            validation.validate_run_id(run_id), checked_metrics, checked_params, checked_tags
        )

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every point of a metric in logged order.

        Raises:
            NotFoundError: No run has this id.
        """
        return self.store.get_metric_history(validation.validate_run_id(run_id), key)
