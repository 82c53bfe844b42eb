"""MLflow's JSON form of values (REST wire format, ``--json`` output) and ``log_dict``'s files."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from tracklib.errors import InvalidInputError


def encode_double(value: float) -> float | str:
    """A double as MLflow's JSON carries it: NaN and infinities become strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def encode_dict(dictionary: Mapping[str, Any], artifact_file: str) -> bytes:
    """Serialise a dict as YAML for ``.yaml``/``.yml`` files and as JSON otherwise.

    Raises:
        InvalidInputError: The dict holds values that cannot be serialised.
    """
    try:
        if artifact_file.lower().endswith((".yaml", ".yml")):
            import yaml

            text = yaml.safe_dump(dict(dictionary), default_flow_style=False, sort_keys=False)
        else:
            text = json.dumps(dictionary, indent=2)
    except Exception as exc:  # TypeError/ValueError from json, RepresenterError from yaml
        raise InvalidInputError(f"log_dict: cannot serialise the dict ({exc}).") from None
    return text.encode("utf-8")
