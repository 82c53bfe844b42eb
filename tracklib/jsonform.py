"""MLflow's JSON form of values, shared by the REST wire format and ``--json`` output."""

from __future__ import annotations

import math


def encode_double(value: float) -> float | str:
    """A double as MLflow's JSON carries it: NaN and infinities become strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value
