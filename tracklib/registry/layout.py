"""MLflow 3.17's registry layout under ``<root>/models/`` (spec §1.11): paths, meta.yaml
content and reading entities back.

::

    models/<name>/meta.yaml               aliases (informational copy), creation_timestamp,
                                          deployment_job_id, deployment_job_state, description,
                                          last_updated_timestamp, name, workspace
    models/<name>/tags/<key>              value, no trailing newline
    models/<name>/aliases/<alias>         the version number as text, e.g. "1"
    models/<name>/version-<N>/meta.yaml   see :func:`version_meta`
    models/<name>/version-<N>/tags/<key>

meta.yaml files are written with the file store's YAML writer (MLflow's PyYAML options), so
the bytes are MLflow's. Rewrites start from the file's own content, so keys a newer MLflow
adds survive a tracklib update. Folders whose name starts with ``.tracklib-tmp-`` are
tracklib's work in progress (a version being published): MLflow lists only ``version-*``
folders inside a model, and tracklib skips them.
"""

from __future__ import annotations

import os
from typing import Any

from tracklib.entities import ModelVersion, RegisteredModel
from tracklib.errors import NotFoundError
from tracklib.registry.base import DELETED_STAGE, STAGES
from tracklib.stores.file.disk import TMP_PREFIX, load_yaml, read_text, read_value_files

MODELS = "models"
META = "meta.yaml"
TAGS = "tags"
ALIASES = "aliases"
VERSION_PREFIX = "version-"
WORKSPACE = "default"


def model_meta(name: str, created: int, description: str | None) -> dict[str, Any]:
    """A new registered model's meta.yaml content."""
    return {
        "aliases": {},
        "creation_timestamp": created,
        "deployment_job_id": None,
        "deployment_job_state": None,
        "description": description,
        "last_updated_timestamp": created,
        "name": name,
        "workspace": WORKSPACE,
    }


def version_meta(
    name: str, version: int, created: int, source: str, run_id: str | None,
    run_link: str | None, description: str | None,
) -> dict[str, Any]:  # fmt: skip
    """A new model version's meta.yaml content (MLflow writes user_id and model_id null)."""
    return {
        "creation_timestamp": created,
        "current_stage": "None",
        "deployment_job_state": None,
        "description": description,
        "last_updated_timestamp": created,
        "model_id": None,
        "name": name,
        "run_id": run_id,
        "run_link": run_link,
        "source": source,
        "status": "READY",
        "status_message": None,
        "storage_location": source,
        "user_id": None,
        "version": version,
        "workspace": WORKSPACE,
    }


def version_numbers(model_dir: str) -> list[int]:
    """Every ``version-N`` folder's N (deleted versions included), ascending."""
    numbers = []
    try:
        entries = list(os.scandir(model_dir))
    except FileNotFoundError:
        return []
    for entry in entries:
        suffix = entry.name[len(VERSION_PREFIX) :]
        if entry.name.startswith(VERSION_PREFIX) and suffix.isdigit() and entry.is_dir():
            numbers.append(int(suffix))
    return sorted(numbers)


def model_names(root: str) -> list[str]:
    """Names of the registered models (folders with a meta.yaml), sorted."""
    try:
        entries = list(os.scandir(os.path.join(root, MODELS)))
    except FileNotFoundError:
        return []
    return sorted(
        e.name
        for e in entries
        if not e.name.startswith(TMP_PREFIX) and os.path.isfile(os.path.join(e.path, META))
    )


def read_aliases(model_dir: str) -> dict[str, int]:
    """alias -> version number, from the ``aliases`` folder."""
    found = {}
    for alias, text in read_value_files(os.path.join(model_dir, ALIASES)).items():
        if text.strip().isdigit():
            found[alias] = int(text)
    return found


def read_version(model_dir: str, version: int, aliases: dict[str, int]) -> ModelVersion | None:
    """One version as an entity (None when the folder has no readable meta.yaml)."""
    folder = os.path.join(model_dir, f"{VERSION_PREFIX}{version}")
    try:
        meta = load_yaml(os.path.join(folder, META))
    except (FileNotFoundError, NotADirectoryError):
        return None
    return ModelVersion(
        name=str(meta.get("name")),
        version=int(meta.get("version", version)),
        creation_timestamp=int(meta.get("creation_timestamp") or 0),
        last_updated_timestamp=int(meta.get("last_updated_timestamp") or 0),
        source=str(meta.get("source") or ""),
        run_id=meta.get("run_id"),
        description=meta.get("description"),
        user_id=meta.get("user_id"),
        current_stage=str(meta.get("current_stage") or "None"),
        status=str(meta.get("status") or "READY"),
        status_message=meta.get("status_message"),
        run_link=meta.get("run_link"),
        tags=read_value_files(os.path.join(folder, TAGS)),
        aliases=sorted(a for a, v in aliases.items() if v == version),
        model_id=meta.get("model_id"),
    )


def read_versions(model_dir: str, with_deleted: bool = False) -> list[ModelVersion]:
    """Every version of a model, oldest first (without deleted ones unless asked)."""
    aliases = read_aliases(model_dir)
    found = [read_version(model_dir, n, aliases) for n in version_numbers(model_dir)]
    return [
        v for v in found if v is not None and (with_deleted or v.current_stage != DELETED_STAGE)
    ]


def latest_per_stage(versions: list[ModelVersion], stages: tuple[str, ...]) -> list[ModelVersion]:
    """The highest version in each of ``stages`` (MLflow's get_latest_versions)."""
    latest: dict[str, ModelVersion] = {}
    for version in versions:
        best = latest.get(version.current_stage)
        if version.current_stage in stages and (best is None or best.version < version.version):
            latest[version.current_stage] = version
    return [latest[s] for s in stages if s in latest]


def read_model(model_dir: str) -> RegisteredModel:
    """A registered model as an entity.

    Raises:
        NotFoundError: The folder holds no model.
    """
    try:
        meta = load_yaml(os.path.join(model_dir, META))
    except (FileNotFoundError, NotADirectoryError):
        raise NotFoundError(
            f"Registered Model with name={os.path.basename(model_dir)} not found"
        ) from None
    versions = read_versions(model_dir)
    return RegisteredModel(
        name=str(meta.get("name")),
        creation_timestamp=int(meta.get("creation_timestamp") or 0),
        last_updated_timestamp=int(meta.get("last_updated_timestamp") or 0),
        description=meta.get("description"),
        latest_versions=latest_per_stage(versions, STAGES),
        tags=read_value_files(os.path.join(model_dir, TAGS)),
        aliases=read_aliases(model_dir),
        deployment_job_id=meta.get("deployment_job_id"),
    )


def read_alias(model_dir: str, alias: str) -> int | None:
    """The version an alias points at, or None."""
    try:
        text = read_text(os.path.join(model_dir, ALIASES, alias))
    except (FileNotFoundError, NotADirectoryError):
        return None
    return int(text) if text.strip().isdigit() else None
