"""The ``env``, ``env diff`` and ``reproduce`` verbs: text for people, ``--json`` for scripts."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tracklib.cli import runids
from tracklib.errors import InvalidInputError

USAGE = "usage: tracklib env RUN_ID | tracklib env diff RUN_A RUN_B  [--json]"


def run_env(args: argparse.Namespace) -> int:
    """``tracklib env RUN_ID`` and ``tracklib env diff RUN_A RUN_B``.

    Raises:
        InvalidInputError: The arguments are neither form.
        NotFoundError: A run is unknown or recorded no environment.
    """
    from tracklib.environment import report
    from tracklib.tracking.client import Client

    client = Client(args.tracking_uri)
    if len(args.args) == 1 and args.args[0] != "diff":
        env = report.load(client, runids.resolve(client, args.args[0]))
        _out(args, report.summary_json(env), [report.summary(env)])
        return 0
    if len(args.args) == 3 and args.args[0] == "diff":
        a, b = (report.load(client, run_id) for run_id in runids.resolve_all(client, args.args[1:]))
        _out(args, report.diff_json(a, b), report.diff(a, b))
        return 0
    raise InvalidInputError(USAGE)


def run_reproduce(args: argparse.Namespace) -> int:
    """``tracklib reproduce RUN_ID``: print the steps (``--json``: ``{"run_id", "steps"}``).

    Raises:
        NotFoundError: The run is unknown or recorded no environment.
    """
    from tracklib.environment import report, reproduce
    from tracklib.tracking.client import Client

    client = Client(args.tracking_uri)
    env = report.load(client, runids.resolve(client, args.run_id))
    lines = reproduce.steps(env)
    data = {"run_id": env.run.info.run_id, "run_name": env.run.info.run_name, "steps": lines}
    _out(args, data, lines)
    return 0


def _out(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, allow_nan=False))
    else:
        for line in lines:
            print(line)
