"""The ``env``, ``env diff`` and ``reproduce`` verbs: text for people, ``--json`` for scripts."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tracklib.cli import runids
from tracklib.cli.args import add_uri
from tracklib.cli.opening import client_for
from tracklib.errors import InvalidInputError

USAGE = "usage: tracklib env RUN_ID | tracklib env diff RUN_A RUN_B  [--json]"


def add_verbs(verbs: Any) -> None:
    """Add ``env`` (and ``env diff``) and ``reproduce``."""
    env = verbs.add_parser(
        "env",
        help="show a run's recorded environment, or diff two runs' environments",
        description="tracklib env RUN_ID: summary of a run's environment. "
        "tracklib env diff RUN_A RUN_B: packages, Python and git state that differ.",
    )
    env.add_argument("args", nargs="+", metavar="RUN_ID | diff RUN_A RUN_B")
    env.add_argument("--json", action="store_true", help="machine-readable JSON")
    add_uri(env)
    env.set_defaults(handler=run_env)
    reproduce = verbs.add_parser(
        "reproduce",
        help="print the steps that run a run again (runs nothing)",
        description="Print the exact steps to run a run again: check out its commit, apply its "
        "uncommitted diff, rebuild its packages in a venv, run its command line.",
    )
    reproduce.add_argument("run_id", metavar="RUN_ID")
    reproduce.add_argument("--json", action="store_true", help="the steps as a JSON list")
    add_uri(reproduce)
    reproduce.set_defaults(handler=run_reproduce)


def run_env(args: argparse.Namespace) -> int:
    """``tracklib env RUN_ID`` and ``tracklib env diff RUN_A RUN_B``.

    Raises:
        InvalidInputError: The arguments are neither form.
        NotFoundError: A run is unknown or recorded no environment.
    """
    from tracklib.environment import report

    single = len(args.args) == 1 and args.args[0] != "diff"
    if not single and not (len(args.args) == 3 and args.args[0] == "diff"):
        raise InvalidInputError(USAGE)  # before the store is opened: usage comes first
    client = client_for(args.tracking_uri)
    if single:
        env = report.load(client, runids.resolve(client, args.args[0]))
        _out(args, report.summary_json(env), [report.summary(env)])
        return 0
    a, b = (report.load(client, run_id) for run_id in runids.resolve_all(client, args.args[1:]))
    _out(args, report.diff_json(a, b), report.diff(a, b))
    return 0


def run_reproduce(args: argparse.Namespace) -> int:
    """``tracklib reproduce RUN_ID``: print the steps (``--json``: ``{"run_id", "steps"}``).

    Raises:
        NotFoundError: The run is unknown or recorded no environment.
    """
    from tracklib.environment import report, reproduce

    client = client_for(args.tracking_uri)
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
