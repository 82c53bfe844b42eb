"""The ``tracklib`` command line: argparse entry point, one module per verb group, tables."""

from tracklib.cli.entry import main

__all__ = ["main"]
