"""``python -m tracklib.environment``: print this interpreter's environment snapshot as JSON."""

import json
import os
import sys

from tracklib.environment.capture import capture_environment


def main() -> int:
    """Print the snapshot; a reader that stops early (``| head``) is not an error."""
    text = json.dumps(capture_environment(), indent=2)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # Point stdout at devnull: the interpreter's own flush at exit would raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
