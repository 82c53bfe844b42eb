"""The ``tracklib`` command line (argparse). ``python -m tracklib`` runs the same.

Exit codes: 0 success, 1 something named was not found, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

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
    env = verbs.add_parser(
        "env",
        help="show a run's recorded environment, or diff two runs' environments",
        description="tracklib env RUN_ID: summary of a run's environment. "
        "tracklib env diff RUN_A RUN_B: packages, Python and git state that differ.",
    )
    env.add_argument("args", nargs="+", metavar="RUN_ID | diff RUN_A RUN_B")
    _add_uri(env)
    env.set_defaults(handler=_cmd_env)
    reproduce = verbs.add_parser(
        "reproduce",
        help="print the steps that run a run again (runs nothing)",
        description="Print the exact steps to run a run again: check out its commit, apply its "
        "uncommitted diff, rebuild its packages in a venv, run its command line.",
    )
    reproduce.add_argument("run_id", metavar="RUN_ID")
    _add_uri(reproduce)
    reproduce.set_defaults(handler=_cmd_reproduce)
    return parser


def _add_uri(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="tracking URI (default: TRACKLIB_TRACKING_URI, MLFLOW_TRACKING_URI, ./mlruns)",
    )


def _cmd_env(args: argparse.Namespace) -> int:
    from tracklib import envreport
    from tracklib.client import Client

    client = Client(args.tracking_uri)
    if len(args.args) == 1 and args.args[0] != "diff":
        print(envreport.summary(envreport.load(client, args.args[0])))
        return 0
    if len(args.args) == 3 and args.args[0] == "diff":
        a, b = (envreport.load(client, run_id) for run_id in args.args[1:])
        for line in envreport.diff(a, b):
            print(line)
        return 0
    raise InvalidInputError("usage: tracklib env RUN_ID | tracklib env diff RUN_A RUN_B")


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from tracklib import envreport
    from tracklib.client import Client

    print(envreport.reproduce_steps(envreport.load(Client(args.tracking_uri), args.run_id)))
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
