"""``python -m tracklib``: the command line."""

import sys

from tracklib.cli import main

sys.exit(main())
