"""The files of a run's ``environment/`` artifact folder, rendered from a snapshot.

Pure functions of a snapshot from :func:`tracklib.environment.capture.capture_environment`:
``requirements.txt``, MLflow's ``python_env.yaml`` and ``conda.yaml`` (by ``yaml.safe_dump``,
as MLflow writes them), ``metadata.json``, and MLflow's ``mlflow.source.git.*`` tags.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tracklib.environment.packages import local_path_of, normalize
from tracklib.tags import GIT_PREFIX

# yaml.safe_dump's output by its input: each file is rendered once per process, and (through the
# snapshot cache) once per installed set of packages, so most processes never import PyYAML.
yaml_texts: dict[str, str] = {}


def requirements_txt(snapshot: dict[str, Any]) -> str:
    """Returns the packages as a pip requirements file, one per line in snapshot order.

    A local or editable install is written as what it is (``-e <url>`` or ``name @ <url>``),
    never as a version pin, with ``# editable install of name==version`` after it. An editable
    install of a folder inside the script's git checkout is written relative to the checkout's
    root (``-e .``), so that ``pip install -r`` run there installs the checked-out code. A line
    that would repeat an earlier one is left out.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    root = (snapshot.get("git") or {}).get("root")
    lines: list[str] = []
    seen: set[str] = set()
    for package in snapshot["packages"]:
        requirement = package["requirement"]
        folder = local_path_of(requirement) if requirement.startswith("-e ") else None
        if root and folder and os.path.commonpath([folder, root]) == root:
            relative = os.path.relpath(folder, root)
            requirement = "-e ." if relative == "." else f"-e ./{relative}"
        if requirement in seen:
            continue  # two records of one folder (a renamed project): pip refuses it twice
        seen.add(requirement)
        comment = package["comment"]
        if comment:
            where = "" if requirement == package["requirement"] else f" from {folder}"
            requirement += "  # " + " ".join(f"{comment}{where}".splitlines())
        lines.append(requirement)
    return "\n".join(lines) + "\n"


def python_env_yaml(snapshot: dict[str, Any]) -> str:
    """Returns MLflow's ``python_env.yaml`` with the dependencies in ``requirements.txt``.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    versions = _versions(snapshot)
    tools = [f"{name}=={versions[name]}" if name in versions else name for name in _BUILD_TOOLS]
    data = {
        "python": snapshot["python"]["version"],
        "build_dependencies": tools,
        "dependencies": ["-r requirements.txt"],
    }
    return _yaml(data, sort_keys=False)  # MLflow writes this file in insertion order


def conda_yaml(snapshot: dict[str, Any]) -> str:
    """Returns MLflow's ``conda.yaml`` with the pip dependencies in ``requirements.txt``.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    pip = _versions(snapshot).get("pip")
    data = {
        "channels": ["conda-forge"],
        "dependencies": [
            "python=" + snapshot["python"]["version"],
            "pip<=" + pip if pip else "pip",
            {"pip": ["-r requirements.txt"]},
        ],
        "name": "mlflow-env",
    }
    return _yaml(data, sort_keys=True)  # and this one with sorted keys


def _yaml(data: dict[str, Any], sort_keys: bool) -> str:
    key = json.dumps([data, sort_keys])
    text = yaml_texts.get(key)
    if text is None:
        import yaml

        text = yaml_texts[key] = yaml.safe_dump(data, sort_keys=sort_keys)
    return text


def metadata_json(snapshot: dict[str, Any]) -> str:
    """Returns the snapshot as indented JSON, with ``package_count`` in place of ``packages``.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    data = {key: value for key, value in snapshot.items() if key != "packages"}
    data["package_count"] = len(snapshot["packages"])
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def restamp_metadata(text: str, snapshot: dict[str, Any], start_time: str) -> str:
    """Returns ``metadata.json`` of ``snapshot`` (rendered as ``text``) with a new start time.

    Later runs of a process reuse its snapshot; re-rendering the indented JSON (pure-Python
    encoder) for each would cost more than the rest of ``start_run``.

    Args:
        text: :func:`metadata_json` of ``snapshot``.
        snapshot: The snapshot ``text`` was rendered from.
        start_time: The new ``start_time`` (see :func:`utc_now`).
    """
    old = f'"start_time": {json.dumps(snapshot["start_time"])}'
    return text.replace(old, f'"start_time": {json.dumps(start_time)}', 1)


def snapshot_files(snapshot: dict[str, Any], diff: str | None) -> dict[str, str]:
    """Returns the files of a run's ``environment/`` artifact folder, as name -> text.

    Args:
        snapshot: A dict from :func:`capture_environment`.
        diff: Text from :func:`git_diff`; ``git.diff`` is included only when it is non-empty.
    """
    files = {
        "requirements.txt": requirements_txt(snapshot),
        "python_env.yaml": python_env_yaml(snapshot),
        "conda.yaml": conda_yaml(snapshot),
        "metadata.json": metadata_json(snapshot),
    }
    return {**files, "git.diff": diff} if diff else files


def git_tags(snapshot: dict[str, Any]) -> dict[str, str]:
    """Returns MLflow's ``mlflow.source.git.*`` run tags for the values the snapshot knows.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    git = snapshot.get("git") or {}
    names = {"commit": "commit", "branch": "branch", "remote_url": "repoURL"}
    return {f"{GIT_PREFIX}{tag}": git[key] for key, tag in names.items() if git.get(key)}


_BUILD_TOOLS = ("pip", "setuptools", "wheel")


def _versions(snapshot: dict[str, Any]) -> dict[str, str]:
    return {normalize(p["name"]): p["version"] for p in snapshot["packages"]}
