"""``tracklib models``: the model registry on the command line.

* ``tracklib models``: every registered model with its latest version and aliases.
* ``tracklib models show NAME``: its versions, their aliases, source runs and those runs'
  metrics.
* ``tracklib models register RUN PATH NAME``: register a run's artifact ``PATH`` (RUN may be
  a unique id prefix) as the next version of ``NAME``.
* ``tracklib models alias NAME ALIAS VERSION``: point ``ALIAS`` at a version.

Each takes ``--json`` and ``--tracking-uri``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from tracklib.cli import tables
from tracklib.cli.opening import client_for
from tracklib.entities import ModelVersion, RegisteredModel
from tracklib.errors import NotFoundError
from tracklib.tracking.client import Client

_METRIC_COLUMNS = 4  # metrics shown per version in `models show` (all of them in --json)


def add_verbs(verbs: Any) -> None:
    """Add the ``models`` verb group to the command's subparsers."""
    models = verbs.add_parser(
        "models",
        help="list registered models; show, register, alias (the model registry)",
        description=(__doc__ or "").split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(models)
    models.set_defaults(handler=_cmd_list)
    actions = models.add_subparsers(dest="models_action", metavar="ACTION")
    show = actions.add_parser("show", help="a model's versions, aliases and source runs")
    show.add_argument("name", metavar="NAME")
    _common(show)
    show.set_defaults(handler=_cmd_show)
    register = actions.add_parser("register", help="register a run's artifact as a version")
    register.add_argument("run", metavar="RUN", help="run id or unique prefix")
    register.add_argument("path", metavar="PATH", help="artifact path in the run, e.g. model")
    register.add_argument("name", metavar="NAME", help="registered model name")
    _common(register)
    register.set_defaults(handler=_cmd_register)
    alias = actions.add_parser("alias", help="point an alias (e.g. champion) at a version")
    alias.add_argument("name", metavar="NAME")
    alias.add_argument("alias", metavar="ALIAS")
    alias.add_argument("version", metavar="VERSION")
    _common(alias)
    alias.set_defaults(handler=_cmd_alias)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON")
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="tracking URI (default: TRACKLIB_TRACKING_URI, MLFLOW_TRACKING_URI, ./mlruns)",
    )


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, allow_nan=False))


def version_json(version: ModelVersion) -> dict[str, Any]:
    """A model version as a JSON object."""
    return {
        "name": version.name,
        "version": version.version,
        "aliases": list(version.aliases),
        "run_id": version.run_id,
        "source": version.source,
        "status": version.status,
        "description": version.description,
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
        "tags": dict(version.tags),
    }


def model_json(model: RegisteredModel) -> dict[str, Any]:
    """A registered model as a JSON object (``latest_version``: the highest live version)."""
    latest = max((v.version for v in model.latest_versions), default=None)
    return {
        "name": model.name,
        "latest_version": latest,
        "aliases": dict(model.aliases),
        "description": model.description,
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
        "tags": dict(model.tags),
    }


def _all_models(client: Client) -> list[RegisteredModel]:
    found: list[RegisteredModel] = []
    token: str | None = None
    while True:
        page = client.search_registered_models(max_results=1000, page_token=token)
        found += page
        token = page.token
        if not token:
            return found


def _aliases_text(aliases: dict[str, int]) -> str:
    return ", ".join(f"{a}={v}" for a, v in sorted(aliases.items())) or "-"


def _cmd_list(args: argparse.Namespace) -> int:
    models = _all_models(client_for(args.tracking_uri))
    if args.json:
        _print_json([model_json(m) for m in models])
        return 0
    if not models:
        print("No registered models. Register one: tracklib models register RUN PATH NAME")
        return 0
    rows = []
    for model in models:
        data = model_json(model)
        latest = "-" if data["latest_version"] is None else str(data["latest_version"])
        updated = tables.local_time(model.last_updated_timestamp)
        rows.append([model.name, latest, _aliases_text(model.aliases), updated])
    colour = tables.colour_enabled()
    print(tables.render(["NAME", "LATEST", "ALIASES", "UPDATED"], rows, colour))
    return 0


def _all_versions(client: Client, name: str) -> list[ModelVersion]:
    escaped = name.replace("'", "''") if "'" in name else name
    found: list[ModelVersion] = []
    token: str | None = None
    while True:
        page = client.search_model_versions(
            f"name = '{escaped}'", order_by=["version_number DESC"], page_token=token
        )
        found += page
        token = page.token
        if not token:
            return found


def _run_metrics(client: Client, versions: Sequence[ModelVersion]) -> dict[str, dict[str, float]]:
    metrics: dict[str, dict[str, float]] = {}
    for run_id in {v.run_id for v in versions if v.run_id}:
        try:
            metrics[run_id] = dict(client.get_run(run_id).data.metrics)
        except NotFoundError:  # the run was deleted for good, or lives elsewhere
            metrics[run_id] = {}
    return metrics


def _cmd_show(args: argparse.Namespace) -> int:
    client = client_for(args.tracking_uri)
    model = client.get_registered_model(args.name)  # NotFoundError: exit 1
    versions = _all_versions(client, model.name)
    metrics = _run_metrics(client, versions)
    if args.json:
        data = model_json(model)
        data["versions"] = [
            {**version_json(v), "run_metrics": metrics.get(v.run_id or "", {})} for v in versions
        ]
        _print_json(data)
        return 0
    counts: dict[str, int] = {}
    for values in metrics.values():
        for key in values:
            counts[key] = counts.get(key, 0) + 1
    keys = sorted(counts, key=lambda k: (-counts[k], k))[:_METRIC_COLUMNS]
    rows = []
    for v in versions:
        values = metrics.get(v.run_id or "", {})
        cells = [tables.number(values[k]) if k in values else "-" for k in keys]
        rows.append([str(v.version), ", ".join(v.aliases) or "-", (v.run_id or "-")[:8],
                     *cells, tables.local_time(v.creation_timestamp)])  # fmt: skip
    colour = tables.colour_enabled()
    print(tables.heading(f"{model.name}", colour) + f"  aliases: {_aliases_text(model.aliases)}")
    if model.description:
        print(f"  {model.description}")
    headers = ["VERSION", "ALIASES", "RUN", *keys, "CREATED"]
    print(tables.render(headers, rows, colour) if rows else "  (no versions)")
    return 0


def _cmd_register(args: argparse.Namespace) -> int:
    from tracklib.cli import runids
    from tracklib.registry.register import register_with

    client = client_for(args.tracking_uri)
    run_id = runids.resolve(client, args.run)
    version = register_with(client, f"runs:/{run_id}/{args.path.strip('/')}", args.name)
    if args.json:
        _print_json(version_json(version))
    else:
        print(f"Registered {args.path!r} of run {run_id} as {version.name} version "
              f"{version.version}.")  # fmt: skip
    return 0


def _cmd_alias(args: argparse.Namespace) -> int:
    client = client_for(args.tracking_uri)
    client.set_registered_model_alias(args.name, args.alias, args.version)
    version = client.get_model_version_by_alias(args.name, args.alias)
    if args.json:
        _print_json(version_json(version))
    else:
        print(f"{args.name}@{args.alias} -> version {version.version}")
    return 0
