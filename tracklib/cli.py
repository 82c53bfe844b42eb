"""The ``tracklib`` command line (argparse). ``python -m tracklib`` runs the same."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``tracklib`` command."""
    from tracklib import __version__

    parser = argparse.ArgumentParser(
        prog="tracklib",
        description="tracklib: a small, fast, MLflow-compatible experiment tracker.",
    )
    parser.add_argument("--version", action="version", version=f"tracklib {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 not found, 2 bad usage)."""
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help()
    return 0
