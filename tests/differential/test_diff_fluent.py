"""The fluent API, differential: the same calls through ``mlflow`` and through ``tracklib``
(each on its own file store) must leave the same run, or fail the same way.

Cases follow MLflow's fluent tests of params, tags and metrics: values of every type,
``None``, line endings, values past the length limits (with and without truncation) and
``set_tag`` versus ``set_tags`` for long values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import mlflow
import pytest
from mlflow_diff import Outcome, Side, both_sides

import tracklib

# Truncating a long value warns; the warning is the expected behaviour, not news here.
pytestmark = pytest.mark.filterwarnings("ignore:The value of .* characters long:UserWarning")
LONG_PARAM = "p" * 6001
LONG_TAG = "t" * 8001

# Each case: the calls a script makes inside one run, as (function name, args).
CASES: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
    "param values": [
        ("log_param", ("none", None)),
        ("log_param", ("int", 3)),
        ("log_param", ("float", 0.1)),
        ("log_param", ("list", [1, "a"])),
        ("log_param", ("crlf", "a\r\nb")),
        ("log_param", ("cr", "a\rb")),
        ("log_params", ({"batch": 32, "flag": True, "also_none": None},)),
    ],
    "param conflicts": [
        ("log_param", ("p", 1)),
        ("log_param", ("p", "1")),
        ("log_param", ("p", 2)),
        ("log_params", ({"p": 1, "q": 2},)),
    ],
    "long values": [
        ("log_param", ("long", LONG_PARAM)),
        ("log_params", ({"long_batch": LONG_PARAM},)),
        ("set_tag", ("long_tag", LONG_TAG)),
        ("set_tags", ({"long_tags": LONG_TAG},)),
    ],
    "tag values": [
        ("set_tag", ("none", None)),
        ("set_tag", ("num", 1.5)),
        ("set_tag", ("crlf", "x\r\ny")),
        ("set_tags", ({"a/b": "c", "n": None},)),
        ("set_tag", ("mlflow.runName", "renamed")),
    ],
    "metric values": [
        ("log_metric", ("nan", float("nan"))),
        ("log_metric", ("inf", float("inf"))),
        ("log_metric", ("int", 3)),
        ("log_metric", ("bool", True)),
        ("log_metric", ("none", None)),
        ("log_metrics", ({"a": 1.0, "b": -2},)),
        ("log_metric", ("stepped", 1.0, 5)),
        ("log_metric", ("negative step", 1.0, -3)),
    ],
}


def call_outcomes(
    side: Side, library: ModuleType, calls: list[tuple[str, tuple[Any, ...]]]
) -> list[Outcome]:
    library.set_tracking_uri(side.root.as_uri() if library is mlflow else str(side.root))
    out = []
    with library.start_run(run_name="fluent") as run:
        for name, args in calls:
            function: Callable[..., Any] = getattr(library, name)
            out.append(side.outcome(partial(function, *args)))
    final = side.outcome(lambda: side.client.get_run(run.info.run_id))
    # Start and end are the wall clock of each call; everything else must match.
    if final.kind == "ok":
        final = Outcome("ok", {k: v for k, v in final.value.items() if "time" not in k})
    out.append(final)
    return out


@pytest.fixture
def fluent_sides(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    previous = mlflow.get_tracking_uri()
    sides = both_sides(tmp_path)
    yield sides
    mlflow.set_tracking_uri(previous)


def compare(sides: tuple[Side, Side], name: str) -> None:
    ml, tl = sides
    expected = call_outcomes(ml, mlflow, CASES[name])
    got = call_outcomes(tl, tracklib, CASES[name])
    for step, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert have == want, f"{name} step {step}: MLflow {want}, tracklib {have}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_fluent_calls(fluent_sides: tuple[Side, Side], name: str) -> None:
    compare(fluent_sides, name)


@pytest.mark.parametrize(
    "variable", ["MLFLOW_TRUNCATE_LONG_VALUES", "TRACKLIB_TRUNCATE_LONG_VALUES"]
)
def test_fluent_long_values_without_truncation(
    fluent_sides: tuple[Side, Side], monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    ml, tl = fluent_sides
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    expected = call_outcomes(ml, mlflow, CASES["long values"])
    monkeypatch.delenv("MLFLOW_TRUNCATE_LONG_VALUES")
    monkeypatch.setenv(variable, "false")
    got = call_outcomes(tl, tracklib, CASES["long values"])
    assert got == expected
