"""A run's recorded environment for the browser, and what differs between runs' environments.

Reads the same ``environment/`` artifacts as ``tracklib env``
(:mod:`tracklib.environment.report`); a run started without a snapshot is answered with
``available: false``, not an error. A snapshot is written when its run starts and never
changes, so the parsed ones are kept (a few dozen): a compare page of many runs, or a remote
server's runs, are then not fetched again on every request; a remote run's downloaded copy is
deleted once parsed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tracklib.entities import Run
from tracklib.environment import report
from tracklib.errors import TracklibError
from tracklib.settings import is_remote
from tracklib.tracking.client import Client

_GIT_FIELDS = ("commit", "branch", "dirty", "remote_url")
_KEEP = 64


@dataclass(frozen=True)
class _Snapshot:
    env: report.RunEnvironment
    requirements: str  # requirements.txt as recorded


class Environments:
    """The environment snapshots of one store's runs, parsed once each.

    Args:
        client: Where the runs live.
        get_run: How to read a run (default: the client's ``get_run``).
    """

    def __init__(self, client: Client, get_run: Callable[[str], Run] | None = None) -> None:
        self.client = client
        self._get_run = get_run or client.get_run
        self._kept: OrderedDict[str, _Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def environment_json(self, run_id: str) -> dict[str, Any]:
        """The ``/api/runs/<id>/environment`` answer.

        Raises:
            NotFoundError: No run has this id.
        """
        self._get_run(run_id)  # a missing run is a 404; a missing snapshot is not
        snapshot = self._load(run_id)
        if snapshot is None:
            return {"available": False, "summary": {}, "requirements": "", "raw": {}}
        meta = snapshot.env.metadata
        python = meta.get("python") if isinstance(meta.get("python"), dict) else {}
        host = meta.get("platform") if isinstance(meta.get("platform"), dict) else {}
        git = meta.get("git") if isinstance(meta.get("git"), dict) else None
        summary = {
            "python": python.get("version") if python else None,
            "platform": host.get("platform") if host else None,
            "packages_count": len(snapshot.env.requirements),
            "git": {k: git.get(k) for k in _GIT_FIELDS} if git else None,
        }
        return {
            "available": True,
            "summary": summary,
            "requirements": snapshot.requirements,
            "raw": meta,
        }

    def env_diffs(self, runs: Sequence[Run]) -> list[dict[str, Any]]:
        """``tracklib env diff`` of the first run against each other run.

        A run without a snapshot gets one line saying so instead of a diff.
        """
        if not runs:
            return []
        first = runs[0].info.run_id
        base = self._load(first)
        diffs = []
        for run in runs[1:]:
            other = self._load(run.info.run_id)
            if base is None or other is None:
                missing = first if base is None else run.info.run_id
                lines = [f"run {missing} has no recorded environment"]
            else:
                lines = report.diff(base.env, other.env)
            diffs.append({"a": first, "b": run.info.run_id, "lines": lines})
        return diffs

    def _load(self, run_id: str) -> _Snapshot | None:
        with self._lock:
            kept = self._kept.get(run_id)
            if kept is not None:
                self._kept.move_to_end(run_id)
                return kept
        try:
            # A listing is cheap; loading reads the whole run first (every metric's latest).
            if not self.client.list_artifacts(run_id, report.ENV_FOLDER):
                return None
            env = report.load(self.client, run_id)
        except (TracklibError, OSError, ValueError):  # none recorded, or unreadable
            return None
        snapshot = _Snapshot(env, _read_text(os.path.join(env.folder, "requirements.txt")))
        if is_remote(self.client.tracking_uri):
            _remove_download(env.folder)
        with self._lock:
            self._kept[run_id] = snapshot
            while len(self._kept) > _KEEP:
                self._kept.popitem(last=False)
        return snapshot


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def _remove_download(folder: str) -> None:
    """Delete the temporary folder a remote store downloaded ``folder`` into (only that)."""
    parent = os.path.dirname(os.path.abspath(folder))
    in_temp = os.path.dirname(parent) == os.path.abspath(tempfile.gettempdir())
    if in_temp and os.path.basename(parent).startswith("tracklib-"):
        shutil.rmtree(parent, ignore_errors=True)
