"""``python -m tracklib.environment``: print this interpreter's environment snapshot as JSON."""

import json

from tracklib.environment.capture import capture_environment

print(json.dumps(capture_environment(), indent=2))
