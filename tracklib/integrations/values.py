"""Turning what frameworks hand over into what tracklib logs: float metrics, flat params.

Frameworks report metrics as Python numbers, numpy scalars or 0-d tensors that may live on
an accelerator. ``float(tensor)`` on a GPU tensor waits for the device, once per value; here
the tensors of one report are stacked per device and dtype and copied to the host in one
transfer. Nothing here imports a framework: a value is recognised as a torch tensor only if
torch is already loaded (it must be, for such a value to exist).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

_NUMBER_TYPES = (float, int, bool)


def metric_floats(values: Mapping[str, Any]) -> dict[str, float]:
    """Return the real-number scalars of ``values`` as floats, in their order.

    Python numbers, numpy scalars and one-element arrays, torch tensors with one element
    (batched: one host copy per device and dtype), and anything else with a single value
    (``.item()``, e.g. a jax array) or that ``float()`` accepts are kept; other values
    (strings, lists, multi-element tensors) are left out, since a framework's log dict may
    carry them and training must not stop.
    """
    result: dict[str, float | None] = {}
    tensors: dict[tuple[Any, Any], list[tuple[str, Any]]] = {}
    torch = sys.modules.get("torch")
    for key, value in values.items():
        if type(value) in _NUMBER_TYPES:
            result[key] = float(value)
        elif torch is not None and isinstance(value, torch.Tensor):
            if value.numel() == 1:
                result[key] = None  # keeps the key's place; filled below
                tensors.setdefault((value.device, value.dtype), []).append((key, value))
        else:
            number = _to_float(value)
            if number is not None:
                result[key] = number
    for group in tensors.values():
        # One stack and one .tolist() per device/dtype: a single device-to-host copy.
        stacked = torch.stack([t.detach().reshape(()) for _, t in group])  # type: ignore[union-attr]
        for (key, _), number in zip(group, stacked.tolist(), strict=True):
            result[key] = float(number)
    return {k: v for k, v in result.items() if v is not None}


def _to_float(value: Any) -> float | None:
    if value is None or isinstance(value, (str, bytes, bytearray, complex)):
        return None
    size = getattr(value, "size", None)  # numpy/jax arrays: only single values are metrics
    if isinstance(size, int):
        if size != 1 or not hasattr(value, "item"):
            return None
        value = value.item()  # NumPy 2 refuses float() of a 1-element array of ndim > 0
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def flat_params(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts into dotted keys (``optimizer.learning_rate``).

    Lists and other values stay as they are (tracklib stores ``str(value)``, cut to MLflow's
    6000 characters). Keys are made strings.
    """
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flat_params(value, f"{name}."))
        else:
            flat[name] = value
    return flat
