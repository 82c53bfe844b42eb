"""Arguments and output shared by the verbs of the command line."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_common(parser: argparse.ArgumentParser, with_json: bool = True) -> None:
    """Add ``--json`` (unless told not to), ``--color`` and ``--tracking-uri``."""
    if with_json:
        parser.add_argument("--json", action="store_true", help="machine-readable JSON")
    parser.add_argument(
        "--color", "--colour", choices=("auto", "always", "never"), default="auto",
        help="colour the output: auto (a terminal without NO_COLOR), always or never",
    )  # fmt: skip
    add_uri(parser)


def positive(text: str) -> int:
    """argparse type: a positive integer.

    Raises:
        argparse.ArgumentTypeError: The text is not one.
    """
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def add_uri(parser: argparse.ArgumentParser) -> None:
    """Add ``--tracking-uri``."""
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="tracking URI (default: TRACKLIB_TRACKING_URI, MLFLOW_TRACKING_URI, ./mlruns)",
    )


def print_json(data: Any) -> None:
    """Print JSON as every ``--json`` does (indented, no NaN literals)."""
    print(json.dumps(data, indent=2, allow_nan=False))
