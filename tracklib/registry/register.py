"""``tracklib.register_model``: register a run's artifact folder as the next model version.

With an http(s) tracking URI, a run still in the local spool is pushed first (the hook in
:mod:`tracklib.registry.spool`), so the version names the server's run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from tracklib import settings
from tracklib.entities import ModelVersion
from tracklib.errors import AlreadyExistsError, NotFoundError
from tracklib.registry import rules, uris
from tracklib.registry.client import RegistryClient


def register_model(
    model_uri: str, name: str, tags: Mapping[str, Any] | None = None
) -> ModelVersion:
    """Register a run's model as the next version of ``name`` (created if needed).

    ``model_uri`` is ``runs:/<run_id>/<artifact path>`` (any artifact folder or file of a
    run), ``models:/...`` (a new version with the same source) or any other URI (kept as
    the source, with no run). With an http(s) tracking URI, a run still in the local spool is
    pushed to the server first, so the version names the server's run.

    Raises:
        InvalidInputError: Bad URI, name or tag.
        NotFoundError: The run or its artifact does not exist.
        StoreUnavailableError: The server cannot be reached.
    """
    from tracklib.tracking.client import Client

    return register_with(Client(), model_uri, name, tags)


def register_with(
    client: RegistryClient, model_uri: str, name: str, tags: Mapping[str, Any] | None = None
) -> ModelVersion:
    """:func:`register_model` through a given client (the CLI's ``--tracking-uri``).

    Raises:
        InvalidInputError: Bad URI, name or tag.
        NotFoundError: The run or its artifact does not exist.
        StoreUnavailableError: The server cannot be reached.
    """
    model = rules.model_name(name)
    checked = rules.tags(tags)
    run_id: str | None = None
    source = model_uri
    if model_uri.startswith(uris.RUNS):
        run_id, path = uris.parse_runs_uri(model_uri)
        if settings.is_remote(client.tracking_uri):  # remote path hook: see registry/spool.py
            from tracklib.registry.spool import server_run_id

            run_id = server_run_id(client.tracking_uri, run_id)
        source = _run_source(client, run_id, path)
    elif model_uri.startswith(uris.MODELS):
        version = uris.resolve_version(client, model_uri)
        run_id, source = version.run_id, version.source
    with contextlib.suppress(AlreadyExistsError):
        client.create_registered_model(model)
    return client.create_model_version(model, source, run_id, checked)


def _run_source(client: RegistryClient, run_id: str, path: str) -> str:
    """``<artifact_uri>/<path>`` of a run, after checking that the artifact exists."""
    root = client.get_run(run_id).info.artifact_uri.rstrip("/")
    if path:
        parent = os.path.dirname(path)
        listed = {f.path for f in client.list_artifacts(run_id, parent or None)}
        if path not in listed:
            raise NotFoundError(
                f"Run {run_id} has no artifact {path!r} to register; log the model first "
                f"(tracklib.log_artifacts(folder, {path!r}))."
            )
    return f"{root}/{path}" if path else root
