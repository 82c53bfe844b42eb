"""tracklib.validation: MLflow's rules for keys, values and artifact paths (spec section 2)."""

from __future__ import annotations

import decimal
import fractions
import math
import time
import warnings
from pathlib import PurePosixPath
from typing import Any

import pytest

from tracklib import validation
from tracklib.errors import InvalidInputError

GOOD_KEYS = ["a", "train/acc", ".a", "a..b", "ü", "日本", "a b", "a:b", "a-b_c.d", "x" * 250]
BAD_KEYS = [
    "",
    "a/",
    "/a",
    "a//b",
    "./a",
    "a/./b",
    "a/../b",
    "..a",
    "..",
    ".",
    "x" * 251,
    "a!b",
    "a\\b",
    "a\nb",
    "a\x00b",
    "a\tb",
    "a\rb",
]


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_valid_keys(key: str) -> None:
    assert validation.validate_key(key) == key


@pytest.mark.parametrize("key", BAD_KEYS)
def test_invalid_keys(key: str) -> None:
    with pytest.raises(InvalidInputError):
        validation.validate_key(key)


@pytest.mark.parametrize("key", [None, 1, b"a", ["a"], PurePosixPath("a")])
def test_non_string_keys(key: object) -> None:
    with pytest.raises(InvalidInputError, match="string"):
        validation.validate_key(key)


def test_invalid_key_error_is_value_error_and_names_the_kind() -> None:
    with pytest.raises(ValueError, match="param"):
        validation.validate_key("a!b", "param")


def test_bad_character_message_lists_allowed_characters() -> None:
    with pytest.raises(InvalidInputError, match="alphanumerics"):
        validation.validate_key("a!b")


# ---------------------------------------------------------------- metric values
class Floaty:
    def __float__(self) -> float:
        return 2.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, 3.0),
        (True, 1.0),
        (False, 0.0),
        (0.5, 0.5),
        (-0.0, -0.0),
        (10**20, 1e20),
        (fractions.Fraction(1, 4), 0.25),
        (decimal.Decimal("0.125"), 0.125),
        (Floaty(), 2.5),
        (float("inf"), float("inf")),
        (float("-inf"), float("-inf")),
    ],
)
def test_metric_value_converts_to_float(value: object, expected: float) -> None:
    result = validation.metric_value("m", value)
    assert type(result) is float
    assert result == expected
    assert repr(result) == repr(expected)


def test_metric_value_nan() -> None:
    assert math.isnan(validation.metric_value("m", float("nan")))


@pytest.mark.parametrize("value", ["1.0", "nan", b"1", None, [1.0], {"a": 1}, 1j, object()])
def test_metric_value_rejects_non_numbers(value: object) -> None:
    with pytest.raises(InvalidInputError, match="'m'"):
        validation.metric_value("m", value)


# ---------------------------------------------------------------- steps and timestamps
class Index:
    def __index__(self) -> int:
        return 7


@pytest.mark.parametrize(("step", "expected"), [(None, 0), (0, 0), (5, 5), (-3, -3), (Index(), 7)])
def test_metric_step_accepts_integers(step: object, expected: int) -> None:
    assert validation.metric_step("m", step) == expected


@pytest.mark.parametrize("step", [1.0, 1.5, "1", True, False, [1]])
def test_metric_step_rejects_non_integers(step: object) -> None:
    with pytest.raises(InvalidInputError, match="step"):
        validation.metric_step("m", step)


@pytest.mark.parametrize(("ts", "expected"), [(0, 0), (1_700_000_000_000, 1_700_000_000_000)])
def test_timestamp_accepts_non_negative_ints(ts: int, expected: int) -> None:
    assert validation.timestamp_ms(ts) == expected


def test_timestamp_none_is_now_in_ms() -> None:
    before = int(time.time() * 1000)
    value = validation.timestamp_ms(None)
    after = int(time.time() * 1000)
    assert type(value) is int and before <= value <= after


@pytest.mark.parametrize("ts", [-1, 1.5, 1.0, "1", True, [1]])
def test_timestamp_rejects_bad_values(ts: object) -> None:
    with pytest.raises(InvalidInputError, match="timestamp"):
        validation.timestamp_ms(ts)


# ---------------------------------------------------------------- param and tag values
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.01, "0.01"),
        (True, "True"),
        (32, "32"),
        (None, "None"),
        ("text", "text"),
        ([1, 2], "[1, 2]"),
    ],
)
def test_values_are_str(value: Any, expected: str) -> None:
    assert validation.param_value("p", value) == expected
    assert validation.tag_value("t", value) == expected


@pytest.mark.parametrize(
    ("func", "limit"),
    [(validation.param_value, 6000), (validation.tag_value, 8000)],
)
def test_value_truncation(func: Any, limit: int) -> None:
    assert limit in (validation.MAX_PARAM_VALUE_LENGTH, validation.MAX_TAG_VALUE_LENGTH)
    at_limit = "v" * limit
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at the limit
        assert func("k", at_limit) == at_limit
    over = "".join(chr(ord("a") + i % 26) for i in range(limit + 10))
    with pytest.warns(UserWarning, match="truncated") as caught:
        assert func("k", over) == over[:limit]
    assert len(caught) == 1
    assert "'k'" in str(caught[0].message)


# ---------------------------------------------------------------- ids and names
@pytest.mark.parametrize("run_id", ["0" * 32, "abc", "a-b_c"])
def test_valid_run_ids(run_id: str) -> None:
    assert validation.validate_run_id(run_id) == run_id


@pytest.mark.parametrize("run_id", ["", "../x", "a/b", "-a", None, 5, "a" * 257])
def test_invalid_run_ids(run_id: object) -> None:
    with pytest.raises(InvalidInputError):
        validation.validate_run_id(run_id)


def test_experiment_ids() -> None:
    assert validation.validate_experiment_id("0") == "0"
    assert validation.validate_experiment_id(12) == "12"
    for bad in ("", "../0", True, None, "a" * 65):
        with pytest.raises(InvalidInputError):
            validation.validate_experiment_id(bad)


def test_experiment_names() -> None:
    assert validation.validate_experiment_name("x" * 500) == "x" * 500
    for bad in ("", " ", None, 3, "x" * 501):
        with pytest.raises(InvalidInputError):
            validation.validate_experiment_name(bad)


# ---------------------------------------------------------------- artifact paths
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (None, ""),
        ("", ""),
        (".", ""),
        ("a", "a"),
        ("a/b/c.txt", "a/b/c.txt"),
        ("a\\b", "a/b"),
        ("./a//b/", "a/b"),
        ("a/./b", "a/b"),
        ("a..b/..c", "a..b/..c"),
        (PurePosixPath("x/y"), "x/y"),
    ],
)
def test_artifact_subpath_accepts(path: object, expected: str) -> None:
    assert validation.artifact_subpath(path) == expected


@pytest.mark.parametrize(
    "path",
    ["/abs", "/", "\\abs", "C:/x", "c:\\x", "..", "../a", "a/../../b", "a/../b", "a\x00b", 1, b"a"],
)
def test_artifact_subpath_rejects(path: object) -> None:
    with pytest.raises(InvalidInputError):
        validation.artifact_subpath(path)


def test_artifact_subpath_message_names_the_argument() -> None:
    with pytest.raises(InvalidInputError, match="artifact_file"):
        validation.artifact_subpath("../x", "artifact_file")


# ---------------------------------------------------------------- mappings and points
def test_check_mapping() -> None:
    assert validation.check_mapping({"a": 1}, "x") == {"a": 1}
    with pytest.raises(InvalidInputError, match="log_params"):
        validation.check_mapping([("a", 1)], "log_params")


def test_metric_point() -> None:
    point = validation.metric_point("m", 2, None, 10)
    assert (point.key, point.value, point.step, point.timestamp) == ("m", 2.0, 0, 10)
    assert type(point.value) is float
    with pytest.raises(InvalidInputError):
        validation.metric_point("bad!", 1.0, 0, 0)
