"""The ``tracklib`` command line (argparse). ``python -m tracklib`` runs the same.

Exit codes: 0 success, 1 something named was not found, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tracklib.cli import envverbs, listing, models, uiverbs
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
    envverbs.add_verbs(verbs)  # tracklib env, env diff, reproduce
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
