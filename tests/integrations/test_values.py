"""Framework values become the floats a run stores."""

from __future__ import annotations

import numpy as np
import torch

from tracklib.integrations.values import flat_params, metric_floats


def test_scalars_of_every_kind_become_floats() -> None:
    values = {
        "py_int": 3,
        "py_bool": True,
        "np_float32": np.float32(0.25),
        "np_int64": np.int64(7),
        "np_one": np.array([1.5]),
        "t_float32": torch.tensor(0.1),
        "t_float64": torch.tensor(0.1, dtype=torch.float64),
        "t_bf16": torch.tensor(2.5, dtype=torch.bfloat16),
        "t_int": torch.tensor(4),
        "t_one": torch.tensor([[6.0]]),
        "t_grad": torch.tensor(1.25, requires_grad=True) * 2,
        "nan": float("nan"),
    }
    floats = metric_floats(values)
    assert list(floats) == list(values)  # order kept
    assert all(type(v) is float for v in floats.values())
    assert floats["t_float32"] == float(torch.tensor(0.1))  # float32 value, not 0.1
    assert floats["t_float64"] == 0.1  # no detour through float32
    assert floats["np_float32"] == 0.25 and floats["np_one"] == 1.5
    assert floats["t_bf16"] == 2.5 and floats["t_int"] == 4.0 and floats["t_one"] == 6.0
    assert floats["t_grad"] == 2.5 and floats["py_bool"] == 1.0
    assert floats["nan"] != floats["nan"]


def test_non_scalars_are_left_out() -> None:
    values = {
        "text": "adamw",
        "none": None,
        "list": [1.0, 2.0],
        "vector": torch.ones(3),
        "matrix": np.ones((2, 2)),
        "empty": torch.ones(0),
        "ok": 1.0,
    }
    assert metric_floats(values) == {"ok": 1.0}


def test_flat_params_dot_nested_keys() -> None:
    nested = {"optimizer": {"name": "adam", "lr": {"initial": 0.1}}, "layers": [1, 2], "e": {}}
    assert flat_params(nested) == {
        "optimizer.name": "adam",
        "optimizer.lr.initial": 0.1,
        "layers": [1, 2],
        "e": {},
    }
    assert flat_params({"hidden": 8}, "model.") == {"model.hidden": 8}
