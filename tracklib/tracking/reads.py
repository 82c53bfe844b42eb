"""The module-level read functions (``tracklib.get_run()``, ``tracklib.search_runs()``, ...):
each is a call to a :class:`~tracklib.tracking.client.Client` on the current tracking URI.
:mod:`tracklib.tracking.fluent` re-exports them beside the functions that write.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, overload

from tracklib.entities import Experiment, FileInfo, Metric, Run, ViewType
from tracklib.tracking import start, targets
from tracklib.tracking.client import Client

if TYPE_CHECKING:
    import pandas

    from tracklib.query.results import PagedList


# ------------------------------------------------------------------ experiments
def get_experiment_by_name(name: str) -> Experiment | None:
    """Return the experiment with this name, or None."""
    return Client().get_experiment_by_name(name)


def get_experiment(experiment_id: str) -> Experiment:
    """Return an experiment by id.

    Raises:
        NotFoundError: No experiment has this id.
    """
    return Client().get_experiment(experiment_id)


def search_experiments(view_type: ViewType | str = ViewType.ACTIVE_ONLY) -> list[Experiment]:
    """Return the experiments of the tracking store (active ones by default)."""
    return Client().search_experiments(view_type)


# ------------------------------------------------------------------ runs and artifacts
def get_run(run_id: str) -> Run:
    """Return a snapshot of a run (info, params, latest metrics, tags).

    Raises:
        NotFoundError: No run has this id.
    """
    return Client().get_run(run_id)


def get_metric_history(run_id: str, key: str) -> list[Metric]:
    """Return every point of a metric in logged order.

    Raises:
        NotFoundError: No run has this id.
    """
    return Client().get_metric_history(run_id, key)


@overload
def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    experiment_names: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    output_format: Literal["list"] = "list",
    page_token: str | None = None,
) -> PagedList: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    experiment_names: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    *,
    output_format: Literal["pandas"],
    page_token: str | None = None,
) -> pandas.DataFrame: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    experiment_names: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    output_format: str = "list",
    page_token: str | None = None,
) -> PagedList | pandas.DataFrame: ...


def search_runs(
    experiment_ids: Sequence[str] | str | None = None,
    experiment_names: Sequence[str] | None = None,
    filter_string: str = "",
    order_by: Sequence[str] | None = None,
    max_results: int = 1000,
    run_view_type: ViewType | str = ViewType.ACTIVE_ONLY,
    output_format: str = "list",
    page_token: str | None = None,
) -> PagedList | pandas.DataFrame:
    """Search runs with MLflow's filter grammar (see :meth:`Client.search_runs`).

    With no experiment given: the default experiment's runs. ``output_format="pandas"``
    returns a DataFrame like ``mlflow.search_runs`` (needs ``tracklib-ml[pandas]``).

    Raises:
        InvalidInputError: A malformed filter or ordering (the message shows where).
        ImportError: output_format="pandas" without pandas installed.
        NotFoundError: A named experiment does not exist.
    """
    client = Client()
    if experiment_ids is None and experiment_names is None:
        target = targets.current()
        from tracklib.tracking import fluent  # the experiment set_experiment made the default

        default = start.default_experiment_id(target, fluent._active_experiment)
        # For a server, the spool's experiment has the server's by the same name.
        experiment_ids, experiment_names = target.search_scope(default)
    return client.search_runs(
        experiment_ids,
        filter_string,
        run_view_type,
        max_results,
        order_by,
        page_token,
        experiment_names=experiment_names,
        output_format=output_format,
    )


def list_artifacts(run_id: str, path: str | None = None) -> list[FileInfo]:
    """List a run's artifacts directly under ``path``.

    Raises:
        NotFoundError: No run has this id.
    """
    return Client().list_artifacts(run_id, path)


def download_artifacts(
    run_id: str, path: str = "", dst_path: str | os.PathLike[str] | None = None
) -> str:
    """Return a local path holding a run's artifact (copied into ``dst_path`` if given).

    Raises:
        NotFoundError: No such run or artifact.
    """
    return Client().download_artifacts(run_id, path, dst_path)
