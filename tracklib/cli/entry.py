"""The ``tracklib`` command line (argparse). ``python -m tracklib`` runs the same.

Exit codes: 0 success, 1 something named was not found, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tracklib.cli import listing, models, runids, uiverbs
from tracklib.cli.args import add_uri
from tracklib.cli.opening import client_for
from tracklib.errors import InvalidInputError, NotFoundError, TracklibError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``tracklib`` command."""
    from tracklib import __version__

    parser = argparse.ArgumentParser(
        prog="tracklib",
        description="tracklib: a small, fast, MLflow-compatible experiment tracker.",
    )
    parser.add_argument("--version", action="version", version=f"tracklib {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    listing.add_verbs(verbs)
    env = verbs.add_parser(
        "env",
        help="show a run's recorded environment, or diff two runs' environments",
        description="tracklib env RUN_ID: summary of a run's environment. "
        "tracklib env diff RUN_A RUN_B: packages, Python and git state that differ.",
    )
    env.add_argument("args", nargs="+", metavar="RUN_ID | diff RUN_A RUN_B")
    add_uri(env)
    env.set_defaults(handler=_cmd_env)
    reproduce = verbs.add_parser(
        "reproduce",
        help="print the steps that run a run again (runs nothing)",
        description="Print the exact steps to run a run again: check out its commit, apply its "
        "uncommitted diff, rebuild its packages in a venv, run its command line.",
    )
    reproduce.add_argument("run_id", metavar="RUN_ID")
    add_uri(reproduce)
    reproduce.set_defaults(handler=_cmd_reproduce)
    _add_sync_verb(verbs)
    uiverbs.add_verbs(verbs)  # tracklib ui, tracklib report
    models.add_verbs(verbs)  # tracklib models ...
    return parser


def _add_sync_verb(verbs: Any) -> None:
    from tracklib.cli import sync

    parser = verbs.add_parser(
        "sync", formatter_class=argparse.RawDescriptionHelpFormatter, **sync.describe()
    )
    parser.add_argument("path", nargs="?", metavar="PATH", help="a local store (e.g. ./mlruns)")
    parser.add_argument("--to", metavar="URL", help="the MLflow server to push PATH to")
    parser.add_argument("--experiment", metavar="NAME", help="put every run in this experiment")
    parser.add_argument("--dry-run", action="store_true", help="count what would be sent")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.set_defaults(handler=_cmd_sync)


def _cmd_sync(args: argparse.Namespace) -> int:
    from tracklib.cli import sync

    return sync.run(args.path, args.to, args.experiment, args.dry_run, args.json)


def _cmd_env(args: argparse.Namespace) -> int:
    from tracklib.environment import report

    single = len(args.args) == 1 and args.args[0] != "diff"
    if not single and not (len(args.args) == 3 and args.args[0] == "diff"):
        raise InvalidInputError("usage: tracklib env RUN_ID | tracklib env diff RUN_A RUN_B")
    client = client_for(args.tracking_uri)
    if single:
        print(report.summary(report.load(client, runids.resolve(client, args.args[0]))))
        return 0
    ids = runids.resolve_all(client, args.args[1:])
    a, b = (report.load(client, run_id) for run_id in ids)
    for line in report.diff(a, b):
        print(line)
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from tracklib.environment import report

    client = client_for(args.tracking_uri)
    run_id = runids.resolve(client, args.run_id)
    print(report.reproduce_steps(report.load(client, run_id)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except NotFoundError as exc:
        print(f"tracklib: {exc}", file=sys.stderr)
        return 1
    except InvalidInputError as exc:
        print(f"tracklib: {exc}", file=sys.stderr)
        return 2
    except TracklibError as exc:
        print(f"tracklib: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `tracklib runs | head`: the reader left; stop quietly
        _silence_stdout()
        return 1


def _silence_stdout() -> None:
    # Python flushes stdout at exit; pointing it at devnull keeps that flush from failing.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass
