"""``python -m tracklib``: the command line."""

import sys

from tracklib.cli.entry import main

sys.exit(main())
