"""Pure checks and limit constants: MLflow 3.17's rules for keys, values and paths.

Every function here either returns the normalised value or raises
:class:`~tracklib.errors.InvalidInputError` with a message that says what to do. None of
them touches the disk, so a failed check never leaves anything behind.
"""

from __future__ import annotations

import operator
import os
import posixpath
import re
import time
import warnings
from collections.abc import Mapping
from typing import Any

from tracklib.entities import Metric
from tracklib.errors import InvalidInputError

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_BATCH_METRICS = 1000
MAX_BATCH_PARAMS = 100
MAX_BATCH_TAGS = 100
MAX_BATCH_ENTITIES = 1000  # metrics + params + tags in one log-batch request

_KEY_CHARS = re.compile(r"^[/\w.\- :]*$")
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_EXPERIMENT_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,63}$")
_KEY_CHARS_HELP = (
    "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
    "spaces ( ), colon(:) and slashes (/)."
)


def validate_key(key: object, kind: str = "metric") -> str:
    """Check a metric, param or tag key against MLflow's rules.

    Args:
        key: The key to check.
        kind: What the key names ("metric", "param", "tag"), for the message.

    Returns:
        The key, unchanged.

    Raises:
        InvalidInputError: The key is not a string, is empty, too long, holds a forbidden
            character, or is not a clean relative path (``..``, leading ``/``, ``//``).
    """
    if not isinstance(key, str):
        raise InvalidInputError(f"Invalid {kind} key {key!r}: keys must be strings.")
    if not key:
        raise InvalidInputError(f"Invalid {kind} key '': keys must not be empty.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInputError(
            f"Invalid {kind} key {key[:40]!r}...: it is {len(key)} characters long; "
            f"the limit is {MAX_KEY_LENGTH}."
        )
    if not _KEY_CHARS.match(key) or "\n" in key:
        raise InvalidInputError(f"Invalid {kind} key {key!r}. {_KEY_CHARS_HELP}")
    if posixpath.normpath(key) != key or key == "." or key.startswith(("..", "/")):
        raise InvalidInputError(
            f"Invalid {kind} key {key!r}: a key is used as a relative path, so it must not "
            "start with '/' or '..', end with '/', or contain '//', '/./' or '/../'."
        )
    return key


def metric_value(key: str, value: object) -> float:
    """Convert a metric value to float, as MLflow's client does.

    Ints, bools and numpy/torch scalars become floats; NaN and +-inf are valid.

    Raises:
        InvalidInputError: The value is not a real number (a string, None, a list, ...).
    """
    if type(value) is float:
        return value
    if value is None or isinstance(value, (str, bytes, bytearray, complex)):
        raise InvalidInputError(
            f"Metric {key!r} got {value!r} ({type(value).__name__}); metric values must be "
            "real numbers. Log text as a param or tag instead."
        )
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"Metric {key!r} got {value!r} ({type(value).__name__}); metric values must be "
            "real numbers (int, float or a numeric scalar)."
        ) from None


def metric_step(key: str, step: object) -> int:
    """Return the step as an int (None means 0).

    Raises:
        InvalidInputError: The step is not an integer (a float, a string, a bool, ...).
    """
    if step is None:
        return 0
    if type(step) is int:
        return step
    if not isinstance(step, bool):
        try:
            return operator.index(step)  # type: ignore[arg-type]
        except TypeError:
            pass
    raise InvalidInputError(
        f"Metric {key!r} got step={step!r} ({type(step).__name__}); steps must be integers."
    )


def timestamp_ms(timestamp: object) -> int:
    """Return a timestamp in integer milliseconds since the epoch (None means now).

    Raises:
        InvalidInputError: The timestamp is not a non-negative integer.
    """
    if timestamp is None:
        return int(time.time() * 1000)
    if type(timestamp) is int and timestamp >= 0:
        return timestamp
    if not isinstance(timestamp, bool):
        try:
            value = operator.index(timestamp)  # type: ignore[arg-type]
            if value >= 0:
                return value
        except TypeError:
            pass
    raise InvalidInputError(
        f"Invalid timestamp {timestamp!r}: timestamps are non-negative integers in "
        "milliseconds since the epoch (e.g. int(time.time() * 1000))."
    )


def _truncate(kind: str, key: str, text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    warnings.warn(
        f"The value of {kind} {key!r} is {len(text)} characters long; MLflow keeps at most "
        f"{limit}, so it was truncated to {limit} characters.",
        stacklevel=4,
    )
    return text[:limit]


def param_value(key: str, value: object) -> str:
    """Return a param value as MLflow stores it: ``str(value)``, truncated to 6000 chars."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    return _truncate("param", key, text, MAX_PARAM_VALUE_LENGTH)


def tag_value(key: str, value: object) -> str:
    """Return a tag value as MLflow stores it: ``str(value)``, truncated to 8000 chars."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    return _truncate("tag", key, text, MAX_TAG_VALUE_LENGTH)


def check_mapping(values: object, what: str) -> Mapping[Any, Any]:
    """Check that ``values`` is a mapping.

    Raises:
        InvalidInputError: It is not (e.g. a list of pairs).
    """
    if not isinstance(values, Mapping):
        raise InvalidInputError(
            f"{what} takes a dict of key -> value, got {type(values).__name__}."
        )
    return values


def validate_run_id(run_id: object) -> str:
    """Check a run id's shape (it is used as a folder name).

    Raises:
        InvalidInputError: It is not a string of letters, digits, ``_`` and ``-``.
    """
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise InvalidInputError(
            f"Invalid run id {run_id!r}: run ids are strings of letters, digits, '_' and '-' "
            "(tracklib and MLflow make 32 hex characters)."
        )
    return run_id


def validate_experiment_id(experiment_id: object) -> str:
    """Check an experiment id's shape; ints are accepted and turned into strings.

    Raises:
        InvalidInputError: It is not a valid id.
    """
    if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
        experiment_id = str(experiment_id)
    if not isinstance(experiment_id, str) or not _EXPERIMENT_ID.match(experiment_id):
        raise InvalidInputError(
            f"Invalid experiment id {experiment_id!r}: experiment ids are strings of digits "
            "such as '0' or '437362028724756114'."
        )
    return experiment_id


def validate_experiment_name(name: object) -> str:
    """Check an experiment name.

    Raises:
        InvalidInputError: It is not a non-empty string of at most 500 characters.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"Invalid experiment name {name!r}: names are non-empty strings.")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidInputError(
            f"Experiment name is {len(name)} characters long; the limit is "
            f"{MAX_EXPERIMENT_NAME_LENGTH}."
        )
    return name


def artifact_subpath(path: object, what: str = "artifact_path") -> str:
    """Check a run-relative artifact path and return it in POSIX form ('' for the root).

    Raises:
        InvalidInputError: The path is absolute, contains ``..`` or a NUL byte.
    """
    if path is None or path == "":
        return ""
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidInputError(f"{what} must be a string, got {type(path).__name__}.")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise InvalidInputError(f"{what} must be a string, got bytes.")
    posix = text.replace("\\", "/")
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix) or "\0" in posix:
        raise InvalidInputError(
            f"Invalid {what} {text!r}: it must be relative to the run's artifact folder "
            "(e.g. 'plots/loss.png'), not absolute."
        )
    if ".." in parts:
        raise InvalidInputError(
            f"Invalid {what} {text!r}: '..' would leave the run's artifact folder."
        )
    return "/".join(parts)


def metric_point(key: str, value: Any, step: Any, timestamp: Any) -> Metric:
    """Return a validated, normalised metric point.

    Raises:
        InvalidInputError: Bad key, value, step or timestamp.
    """
    validate_key(key, "metric")
    return Metric(
        key,
        metric_value(key, value),
        timestamp_ms(timestamp),
        metric_step(key, step),
    )
