"""A run's recorded environment for the browser, and what differs between runs' environments.

Reads the same ``environment/`` artifacts as ``tracklib env`` (:mod:`tracklib.envreport`); a
run started without a snapshot is answered with ``available: false``, not an error.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from tracklib import envreport
from tracklib.client import Client
from tracklib.entities import Run
from tracklib.errors import NotFoundError, TracklibError

_GIT_FIELDS = ("commit", "branch", "dirty", "remote_url")


def environment_json(client: Client, run_id: str) -> dict[str, Any]:
    """The ``/api/runs/<id>/environment`` answer.

    Raises:
        NotFoundError: No run has this id.
    """
    client.get_run(run_id)  # a missing run is a 404; a missing snapshot is not
    env = _load(client, run_id)
    if env is None:
        return {"available": False, "summary": {}, "requirements": "", "raw": {}}
    meta = env.metadata
    python = meta.get("python") if isinstance(meta.get("python"), dict) else {}
    host = meta.get("platform") if isinstance(meta.get("platform"), dict) else {}
    git = meta.get("git") if isinstance(meta.get("git"), dict) else None
    summary = {
        "python": python.get("version") if python else None,
        "platform": host.get("platform") if host else None,
        "packages_count": len(env.requirements),
        "git": {k: git.get(k) for k in _GIT_FIELDS} if git else None,
    }
    return {
        "available": True,
        "summary": summary,
        "requirements": _requirements_text(env.folder),
        "raw": meta,
    }


def env_diffs(client: Client, runs: Sequence[Run]) -> list[dict[str, Any]]:
    """``tracklib env diff`` of the first run against each other run.

    A run without a snapshot gets one line saying so instead of a diff.
    """
    if not runs:
        return []
    first = runs[0].info.run_id
    base = _load(client, first)
    diffs = []
    for run in runs[1:]:
        other = _load(client, run.info.run_id)
        if base is None or other is None:
            missing = first if base is None else run.info.run_id
            lines = [f"run {missing} has no recorded environment"]
        else:
            lines = envreport.diff(base, other)
        diffs.append({"a": first, "b": run.info.run_id, "lines": lines})
    return diffs


def _load(client: Client, run_id: str) -> envreport.RunEnvironment | None:
    try:
        return envreport.load(client, run_id)
    except NotFoundError:
        return None
    except (TracklibError, OSError, ValueError):  # an unreadable snapshot: best effort
        return None


def _requirements_text(folder: str) -> str:
    try:
        with open(os.path.join(folder, "requirements.txt"), encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""
