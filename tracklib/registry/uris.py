"""``runs:/`` and ``models:/`` URIs: parsing, and resolving a model version to run artifacts.

``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/latest`` and
``models:/<name>/<stage>`` are MLflow's forms. A version points at its ``source``: for a
version registered from a run, ``<run artifact_uri>/<path>``, which resolves to that run's
artifact ``path`` (so it downloads through the tracking store, local or server). A source
outside any run that is a local path or ``file:`` URI is copied directly.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tracklib.entities import ModelVersion
from tracklib.errors import InvalidInputError, NotFoundError
from tracklib.registry import rules

if TYPE_CHECKING:
    from tracklib.registry.client import RegistryClient

RUNS = "runs:/"
MODELS = "models:/"


def is_uri(text: str) -> bool:
    """True for a ``runs:/`` or ``models:/`` URI (not a bare run id)."""
    return text.startswith((RUNS, MODELS))


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` -> (run_id, path).

    Raises:
        InvalidInputError: Not such a URI.
    """
    rest = uri[len(RUNS) :].lstrip("/") if uri.startswith(RUNS) else ""
    run_id, _, path = rest.partition("/")
    if not run_id:
        raise InvalidInputError(
            f"Not a runs URI: {uri!r}; expected runs:/<run_id>/<artifact path>."
        )
    return run_id, path.strip("/")


def parse_model_uri(uri: str) -> tuple[str, str]:
    """``models:/<name>/<version|latest|stage>`` or ``models:/<name>@<alias>`` -> (name, ref);
    ``ref`` is ``"@alias"``, a version number, ``latest`` or a stage.

    Raises:
        InvalidInputError: Not such a URI.
    """
    rest = uri[len(MODELS) :].lstrip("/") if uri.startswith(MODELS) else ""
    if "@" in rest and "/" not in rest.split("@", 1)[1]:
        name, alias = rest.split("@", 1)
        return rules.model_name(name), "@" + rules.alias_name(alias)
    name, _, ref = rest.partition("/")
    if not name or not ref or "/" in ref:
        raise InvalidInputError(
            f"Not a model URI: {uri!r}; expected models:/<name>/<version> or "
            "models:/<name>@<alias>."
        )
    return rules.model_name(name), ref


def resolve_version(client: RegistryClient, uri: str) -> ModelVersion:
    """The model version a ``models:/`` URI names.

    Raises:
        InvalidInputError: A malformed URI.
        NotFoundError: No such model, version or alias.
    """
    name, ref = parse_model_uri(uri)
    if ref.startswith("@"):
        return client.get_model_version_by_alias(name, ref[1:])
    if ref.isdigit():
        return client.get_model_version(name, ref)
    if ref.lower() == "latest":
        return client.get_model_version_by_alias(name, "latest")
    found = client.get_latest_versions(name, [ref])
    if not found:
        raise NotFoundError(f"Model {name!r} has no version in stage {ref!r}.")
    return found[0]


def run_artifact(client: RegistryClient, version: ModelVersion) -> tuple[str, str] | None:
    """(run_id, artifact path) of a version's source, or None when it is not a run's."""
    source = version.source
    if source.startswith(RUNS):
        return parse_runs_uri(source)
    if not version.run_id:
        return None
    root = client.get_run(version.run_id).info.artifact_uri.rstrip("/")
    if source.rstrip("/") == root:
        return version.run_id, ""
    if source.startswith(root + "/"):
        return version.run_id, source[len(root) + 1 :].strip("/")
    return None


def copy_local_source(source: str, dst_path: str | os.PathLike[str] | None) -> str:
    """Copy a version source that is a local path or ``file:`` URI; return the copy.

    Raises:
        InvalidInputError: The source is remote (s3:, gs:, ...): tracklib cannot fetch it.
        NotFoundError: The local source does not exist.
    """
    import shutil
    import tempfile
    from urllib.parse import unquote, urlparse

    parsed = urlparse(source)
    if parsed.scheme not in ("", "file"):
        raise InvalidInputError(
            f"The model's source {source!r} is not a run artifact nor a local path; fetch it "
            "with the tool of its storage (e.g. mlflow.artifacts.download_artifacts)."
        )
    path = unquote(parsed.path) if parsed.scheme == "file" else source
    if not os.path.exists(path):
        raise NotFoundError(f"The model's source {path!r} does not exist.")
    root = os.fspath(dst_path) if dst_path is not None else tempfile.mkdtemp(prefix="tracklib-")
    target = os.path.join(root, os.path.basename(path.rstrip("/")) or "model")
    if os.path.isdir(path):
        shutil.copytree(path, target, dirs_exist_ok=True)
    else:
        os.makedirs(root, exist_ok=True)
        shutil.copyfile(path, target)
    return target


def add_registered_model_meta(local: str, version: ModelVersion, as_text: bool) -> None:
    """Write MLflow's ``registered_model_meta`` into a downloaded model folder (one holding
    an ``MLmodel`` file), naming the model and version it came from (the version as text
    when MLflow's client would have it as text: from a server)."""
    if os.path.isdir(local) and os.path.isfile(os.path.join(local, "MLmodel")):
        from tracklib.stores.file.disk import dump_yaml

        data = dump_yaml(
            {
                "model_name": version.name,
                "model_version": str(version.version) if as_text else version.version,
            }
        )
        with open(os.path.join(local, "registered_model_meta"), "wb") as f:
            f.write(data)
