"""``tracklib runs end|delete|restore|rename``: fix up runs by hand, as MLflow's CLI can.

The usual need: a run left RUNNING by ``kill -9`` or a lost node, which nothing else will end.
"""

from __future__ import annotations

import argparse
from typing import Any

from tracklib.cli import runids, views
from tracklib.cli.args import add_uri, print_json
from tracklib.cli.opening import client_for
from tracklib.entities import RunStatus
from tracklib.errors import RunStateError


def add_actions(runs: argparse.ArgumentParser) -> None:
    """Add the run actions as optional sub-verbs of ``tracklib runs`` (plain ``runs`` lists)."""
    actions = runs.add_subparsers(dest="action", metavar="ACTION", required=False)
    end = actions.add_parser(
        "end",
        help="end a run left RUNNING (killed process, lost node)",
        description="Mark a RUNNING run as ended now: KILLED by default, or --status.",
    )
    end.add_argument("run_id", metavar="RUN_ID")
    end.add_argument("--status", default="KILLED", choices=("KILLED", "FAILED", "FINISHED"),
                     type=str.upper, help="the status to end it with (default KILLED)")  # fmt: skip
    _finish(end, _cmd_end)
    for verb, what in (("delete", "soft-delete runs (restorable)"), ("restore", "undo delete")):
        action = actions.add_parser(verb, help=what, description=f"{what.capitalize()}.")
        action.add_argument("run_ids", nargs="+", metavar="RUN_ID")
        _finish(action, _cmd_delete_or_restore)
    rename = actions.add_parser("rename", help="give a run a new name", description="Rename.")
    rename.add_argument("run_id", metavar="RUN_ID")
    rename.add_argument("name", metavar="NAME")
    _finish(rename, _cmd_rename)


def _finish(parser: argparse.ArgumentParser, handler: Any) -> None:
    parser.add_argument("--json", action="store_true", help="print the changed runs as JSON")
    add_uri(parser)
    parser.set_defaults(handler=handler)


def _report(args: argparse.Namespace, run_ids: list[str], done: str) -> int:
    client = client_for(args.tracking_uri)
    runs = [client.get_run(run_id) for run_id in run_ids]
    if args.json:
        print_json([views.run_json(run) for run in runs])
    else:
        for run in runs:
            print(f"{done} run {run.info.run_id} ({run.info.run_name}): {run.info.status}")
    return 0


def _cmd_end(args: argparse.Namespace) -> int:
    client = client_for(args.tracking_uri)
    run_id = runids.resolve(client, args.run_id)
    status = client.get_run(run_id).info.status
    if status != RunStatus.RUNNING:
        raise RunStateError(f"Run {run_id} already ended ({status}); nothing to do.")
    client.set_terminated(run_id, args.status)
    return _report(args, [run_id], "ended")


def _cmd_delete_or_restore(args: argparse.Namespace) -> int:
    client = client_for(args.tracking_uri)
    ids = runids.resolve_all(client, args.run_ids)
    change = client.delete_run if args.action == "delete" else client.restore_run
    for run_id in ids:
        change(run_id)
    return _report(args, ids, "deleted" if args.action == "delete" else "restored")


def _cmd_rename(args: argparse.Namespace) -> int:
    client = client_for(args.tracking_uri)
    run_id = runids.resolve(client, args.run_id)
    client.update_run(run_id, name=args.name)
    return _report(args, [run_id], "renamed")
