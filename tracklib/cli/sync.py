"""``tracklib sync``: push pending spool data, or a local store, to an MLflow server.

* ``tracklib sync``: every spool (one per server, see :mod:`tracklib.remote`) to its server.
* ``tracklib sync PATH --to URL``: the runs of a local store (an offline cluster node, a
  laptop on a plane) to a server, by experiment name; ``--experiment`` puts them all in one.

Both are incremental and idempotent: the checkpoints live in the run folders, so running it
again, or from a copy of the store, sends only what the server does not have yet.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from tracklib import settings
from tracklib.cli.opening import existing_store_path
from tracklib.errors import InvalidInputError
from tracklib.remote.replicator import Replicator, SyncStats
from tracklib.stores import open_store


def run(
    path: str | None, to: str | None, experiment: str | None, dry_run: bool, as_json: bool
) -> int:
    """Run the sync verb; returns the exit code.

    Raises:
        InvalidInputError: PATH without --to, or --to without PATH.
        StoreError: The server failed; what it acknowledged is checkpointed.
    """
    if (path is None) != (to is None) or (path is None and experiment is not None):
        raise InvalidInputError(
            "usage: tracklib sync  |  tracklib sync PATH --to URL [--experiment NAME]"
        )
    jobs = [(existing_store_path(path, _PATH_ADVICE), to)] if path and to else _spool_jobs()
    progress = _progress if sys.stderr.isatty() and not as_json else None
    total = SyncStats()
    for root, target in jobs:
        replicator = Replicator(open_store(target), settings.redact_uri(target), experiment,
                                dry_run, progress)  # fmt: skip
        stats = replicator.sync_store(root)
        for name in ("runs", "points", "params", "tags", "files", "bytes"):
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        total.warnings += stats.warnings
    if progress is not None:
        print(file=sys.stderr)
    carried = _carry_models(path, to, dry_run)  # model registry (issue 12)
    if as_json:
        print(json.dumps({**total.as_dict(), "dry_run": dry_run, "targets": len(jobs),
                          "registry": carried}))  # fmt: skip
    else:
        verb = "would send" if dry_run else "sent"
        print(f"tracklib sync: {verb} {_summary(total)} to {len(jobs)} server(s).")
        if carried["models"]:
            print(f"tracklib sync: {carried['models']} registered models, "
                  f"{carried['versions']} new versions.")  # fmt: skip
    return 0


def _carry_models(path: str | None, to: str | None, dry_run: bool) -> dict[str, Any]:
    """Carry a local store's registered models after its runs (see registry/carry.py)."""
    if path is None or to is None:  # spools hold no registry: register_model goes to the server
        return {"models": 0, "versions": 0}
    from tracklib.registry.carry import ModelCarrier

    carrier = ModelCarrier(
        settings.local_path(path), open_store(to), settings.redact_uri(to), dry_run
    )
    stats = carrier.carry_all()
    for warning in stats.warnings:
        print(f"tracklib sync: {warning}", file=sys.stderr)
    return {"models": stats.models, "versions": stats.versions}


def _spool_jobs() -> list[tuple[str, str]]:
    from tracklib.remote.spool import TARGET_FILE, spool_base

    base = spool_base()
    jobs = []
    for entry in sorted(os.scandir(base), key=lambda e: e.name) if os.path.isdir(base) else []:
        marker = os.path.join(entry.path, TARGET_FILE)
        if os.path.isfile(marker):
            with open(marker, encoding="utf-8") as f:
                jobs.append((entry.path, str(json.load(f)["tracking_uri"])))
    return jobs


def _summary(stats: SyncStats) -> str:
    return (
        f"{stats.runs} runs, {stats.points} points, {stats.params} params, {stats.tags} tags, "
        f"{stats.files} files ({stats.bytes} bytes)"
    )


def _progress(stats: SyncStats) -> None:
    print(f"\rtracklib sync: {_summary(stats)}", end="", file=sys.stderr, flush=True)


_PATH_ADVICE = "PATH is the folder that holds the experiment folders, e.g. ./mlruns."
_DESCRIPTION = """\
  tracklib sync                   send what the spools of remote runs still hold to their
                                  servers (one spool per server, see docs/remote.md)
  tracklib sync PATH --to URL     send the runs of a local store (an offline cluster node,
                                  a laptop on a plane) to the MLflow server at URL, by
                                  experiment name; --experiment puts them all in one

Both are incremental and idempotent: what a server acknowledged is checkpointed in the run
folders, so running it again, or from a copy of the store, sends only what is new."""


def describe() -> dict[str, Any]:
    """The argparse help of the verb (plain text: argparse shows it as written)."""
    return {
        "help": "send pending spool data, or a local store's runs, to an MLflow server",
        "description": _DESCRIPTION,
    }
