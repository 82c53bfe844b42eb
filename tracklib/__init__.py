"""tracklib: a small, fast experiment tracker that writes MLflow's file store.

Usage::

    import tracklib

    with tracklib.start_run(experiment="lstm"):
        tracklib.log_params({"batch_size": 32})
        tracklib.log_metric("mse", 0.1, step=0)

Importing tracklib does nothing but define these names: no files, threads or heavy imports;
the modules behind them load on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing

if TYPE_CHECKING:  # the names below, for type checkers; at run time they load on first use
    from tracklib import errors
    from tracklib.entities import (
        Experiment,
        FileInfo,
        Metric,
        Param,
        Run,
        RunData,
        RunInfo,
        RunStatus,
        RunTag,
        ViewType,
    )
    from tracklib.registry.register import register_model
    from tracklib.tracking.active_run import ActiveRun
    from tracklib.tracking.client import Client
    from tracklib.tracking.fluent import (
        active_run,
        download_artifacts,
        end_run,
        get_experiment,
        get_experiment_by_name,
        get_metric_history,
        get_run,
        get_tracking_uri,
        list_artifacts,
        log_artifact,
        log_artifacts,
        log_dict,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_text,
        search_experiments,
        search_runs,
        set_experiment,
        set_tag,
        set_tags,
        set_tracking_uri,
        start_run,
    )

__version__ = "0.1.0"

__all__ = [
    "ActiveRun",
    "Client",
    "Experiment",
    "FileInfo",
    "Metric",
    "Param",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "ViewType",
    "__version__",
    "active_run",
    "download_artifacts",
    "end_run",
    "errors",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "get_tracking_uri",
    "list_artifacts",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

_HOMES = {
    "errors": "",
    "Client": "tracklib.tracking.client",
    "ActiveRun": "tracklib.tracking.active_run",
    "register_model": "tracklib.registry.register",
    **dict.fromkeys(
        (
            "Experiment",
            "FileInfo",
            "Metric",
            "Param",
            "Run",
            "RunData",
            "RunInfo",
            "RunStatus",
            "RunTag",
            "ViewType",
        ),
        "tracklib.entities",
    ),
}


def __getattr__(name: str) -> object:
    # PEP 562: `import tracklib` stays a few hundred microseconds; the modules behind the
    # public names load when a name is first used (then they are ordinary attributes).
    import importlib

    home = _HOMES.get(name, "tracklib.tracking.fluent" if name in __all__ else None)
    if home is None:
        raise AttributeError(f"module 'tracklib' has no attribute {name!r}")
    module = importlib.import_module(home or f"tracklib.{name}")
    value = module if not home else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
