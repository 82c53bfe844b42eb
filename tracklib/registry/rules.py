"""MLflow 3.17's rules for registry names, aliases, versions and tags (checked before any write).

Both stores check with these, so a bad name fails the same way (``InvalidInputError``, nothing
written) on a file store and against a server.
"""

from __future__ import annotations

import os
import posixpath
import re
from typing import Any

from tracklib import validation
from tracklib.errors import InvalidInputError

# MLflow's page limits (mlflow.store.model_registry): default and largest page.
MODELS_PAGE_DEFAULT = 100
MODELS_PAGE_LIMIT = 1000
VERSIONS_PAGE_DEFAULT = 10_000
VERSIONS_PAGE_LIMIT = 200_000
MAX_TAG_VALUE_LENGTH = 100_000
MAX_ALIAS_LENGTH = 255
# Plain patterns: re compiles (and caches) them on first use, not on the start_run path.
_ALIAS = r"^[\w\-]*$"
_VERSION_ALIAS = r"^[vV]\d+$"
LATEST = "latest"


def model_name(name: object, what: str = "name") -> str:
    """Check a registered model name as MLflow's file registry does.

    Raises:
        InvalidInputError: Empty, or contains ``/``, ``:``, ``%`` or a path separator, or is
            not a normalised path (``.``, ``..x``).
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"Missing value for {what}: give a non-empty model name.")
    bad = [c for c in ("/", ":", "%", os.sep, os.altsep or "/") if c in name]
    if bad:
        raise InvalidInputError(
            f"Invalid model name {name!r}: names cannot contain '/', ':', '%' or a path "
            "separator. Use letters, digits, '-', '_', '.' or spaces."
        )
    if posixpath.normpath(name) != name or name == "." or name.startswith(".."):
        raise InvalidInputError(f"Invalid model name {name!r}: not a normalised path name.")
    return name


def version_number(version: object) -> int:
    """Return a version as an int (MLflow accepts ``1`` and ``"1"``).

    Raises:
        InvalidInputError: Not an integer.
    """
    if isinstance(version, bool):
        raise InvalidInputError(f"Version must be an integer, got {version!r}.")
    try:
        return int(str(version))
    except ValueError:
        raise InvalidInputError(
            f"Parameter 'version' must be an integer, got {version!r}."
        ) from None


def alias_name(alias: object, assigning: bool = False) -> str:
    """Check an alias: ``^[\\w\\-]*$``, at most 255 characters, not empty.

    With ``assigning``, also refuse the reserved names ``latest`` (any case) and ``v<digits>``.

    Raises:
        InvalidInputError: The alias breaks one of these rules.
    """
    if not isinstance(alias, str) or not alias:
        raise InvalidInputError("Registered model alias name cannot be empty.")
    if not re.match(_ALIAS, alias):
        raise InvalidInputError(
            f"Invalid alias name: {alias!r}. Aliases may only contain alphanumerics, "
            "underscores (_) and dashes (-)."
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidInputError(
            f"Alias {alias[:40]!r}... is {len(alias)} characters; the limit is {MAX_ALIAS_LENGTH}."
        )
    if assigning and alias.lower() == LATEST:
        raise InvalidInputError("'latest' alias name (case insensitive) is reserved.")
    if assigning and re.match(_VERSION_ALIAS, alias):
        raise InvalidInputError(f"Version alias name {alias!r} is reserved (it means a version).")
    return alias


def tag(key: object, value: Any) -> tuple[str, str]:
    """Check a registry tag and return it as strings (non-strings through ``str()``, as
    MlflowClient does: ``None`` becomes ``"None"``).

    Raises:
        InvalidInputError: Bad key (MLflow's key rules) or a value over 100000 characters.
    """
    checked = validation.validate_key(key, "tag")
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        raise InvalidInputError(
            f"Tag {checked!r}: the value is {len(text)} characters; registry tags are limited "
            f"to {MAX_TAG_VALUE_LENGTH}."
        )
    return checked, text


def tags(values: object) -> dict[str, str]:
    """Check a mapping of tags (None means none).

    Raises:
        InvalidInputError: Not a mapping, or a bad tag.
    """
    if values is None:
        return {}
    mapping = validation.check_mapping(values, "tags")
    return dict(tag(k, v) for k, v in mapping.items())


def max_results(value: object, limit: int) -> int:
    """Check a page size as MLflow does (a positive int up to ``limit``).

    Raises:
        InvalidInputError: Not a positive int, or over the limit.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"max_results must be a positive integer, got {value!r}.")
    if value > limit:
        raise InvalidInputError(f"max_results must be at most {limit}, got {value}.")
    return value
