"""MLflow's registry search grammar, evaluated client-side for the file registry.

Registered models: ``name`` (``=``, ``!=``, ``LIKE``, ``ILIKE``, ``IN``) and ``tags.<key>``;
order by ``name``, ``creation_timestamp``, ``last_updated_timestamp`` (``timestamp`` is an
alias of the latter two in MLflow's UI; not here), ties broken by ``name``.
Model versions: ``name``, ``run_id``, ``source_path`` (strings, also ``IN``/``NOT IN``),
``version_number`` (numbers) and ``tags.<key>``; default order ``last_updated_timestamp DESC,
name ASC, version_number DESC``. The lexer, keys, operators and LIKE are the run-search
parser's (:mod:`tracklib.query.grammar`); only the vocabulary differs. Page tokens are MLflow's
(base64 of ``{"offset": N}``), so a token from MLflow's file store works here and back.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tracklib.entities import ModelVersion, RegisteredModel
from tracklib.errors import InvalidInputError
from tracklib.query import grammar

_T = TypeVar("_T")
ATTRIBUTE, TAG = "attribute", "tag"
_ENTITIES = {"attribute": ATTRIBUTE, "attributes": ATTRIBUTE, "tag": TAG, "tags": TAG}
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE"})
_NUMERIC_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})


@dataclass(frozen=True)
class Vocabulary:
    """What one kind of registry object can be filtered and ordered on."""

    what: str
    strings: frozenset[str]
    numbers: frozenset[str]
    lists: frozenset[str]
    orderable: frozenset[str]


MODELS = Vocabulary(
    "registered models",
    frozenset({"name"}),
    frozenset(),
    frozenset({"name"}),
    frozenset({"name", "creation_timestamp", "last_updated_timestamp"}),
)
VERSIONS = Vocabulary(
    "model versions",
    frozenset({"name", "run_id", "source_path"}),
    frozenset({"version_number"}),
    frozenset({"name", "run_id", "source_path"}),
    frozenset({"name", "version_number", "creation_timestamp", "last_updated_timestamp"}),
)
DEFAULT_VERSION_ORDER = ("last_updated_timestamp DESC", "name ASC", "version_number DESC")


@dataclass(frozen=True)
class Condition:
    """One parsed comparison."""

    entity: str
    key: str
    op: str
    value: Any

    def matches(self, item: RegisteredModel | ModelVersion) -> bool:
        """MLflow's rule: a missing tag never matches."""
        lhs = _value(item, self.entity, self.key)
        if lhs is None:
            return False
        if self.op in ("LIKE", "ILIKE"):
            return grammar._like_regex(self.value, self.op == "ILIKE").match(lhs) is not None
        if self.op == "IN":
            return lhs in self.value
        if self.op == "NOT IN":
            return lhs not in self.value
        compare: Callable[[Any, Any], bool] = _COMPARE[self.op]
        return compare(lhs, self.value)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _value(item: RegisteredModel | ModelVersion, entity: str, key: str) -> Any:
    if entity == TAG:
        return item.tags.get(key)
    if key == "source_path":
        return getattr(item, "source", None)
    if key == "version_number":
        return getattr(item, "version", None)
    return getattr(item, key, None)


def parse_filter(filter_string: str | None, vocabulary: Vocabulary) -> tuple[Condition, ...]:
    """Parse a registry filter (comparisons joined by AND).

    Raises:
        InvalidInputError: Malformed, or a key/operator MLflow does not accept here.
    """
    return _parse_cached(filter_string or "", vocabulary)


@functools.lru_cache(maxsize=128)
def _parse_cached(text: str, vocabulary: Vocabulary) -> tuple[Condition, ...]:
    cursor = grammar._Cursor(text, f"filter of {vocabulary.what}")
    conditions: list[Condition] = []
    while not cursor.at_end():
        if conditions:
            if cursor.peek_word() != "AND":
                raise cursor.error("expected AND between comparisons (OR is not supported)")
            cursor.pos += 3
            cursor.skip_ws()
        conditions.append(_parse_condition(cursor, vocabulary))
    return tuple(conditions)


def _identifier(
    cursor: grammar._Cursor, vocabulary: Vocabulary, keys: frozenset[str]
) -> tuple[str, str]:
    start = cursor.pos
    first = cursor.take(grammar._BACKQUOTED) or cursor.take(grammar._WORD)
    if first is None:
        raise cursor.error("expected a key such as name or tags.`my/key`")
    if not cursor.text.startswith(".", cursor.pos):
        entity, key = ATTRIBUTE, first.strip("`")
    else:
        cursor.pos += 1
        if first not in _ENTITIES:
            raise cursor.error(f"unknown entity {first!r}; use attribute or tags", start)
        entity, key = _ENTITIES[first], grammar._parse_key(cursor)
    if entity == ATTRIBUTE and key not in keys:
        valid = ", ".join(sorted(keys))
        raise cursor.error(
            f"invalid attribute {key!r} for {vocabulary.what}; valid: {valid}", start
        )
    return entity, key


def _parse_condition(cursor: grammar._Cursor, vocabulary: Vocabulary) -> Condition:
    entity, key = _identifier(cursor, vocabulary, vocabulary.strings | vocabulary.numbers)
    cursor.skip_ws()
    op_pos = cursor.pos
    op = grammar._parse_operator(cursor)
    if entity == TAG:
        allowed = _STRING_OPS
    elif key in vocabulary.numbers:
        allowed = _NUMERIC_OPS | frozenset({"IN", "NOT IN"})
    else:
        allowed = _STRING_OPS | (
            frozenset({"IN", "NOT IN"}) if key in vocabulary.lists else frozenset()
        )
    if op not in allowed:
        raise cursor.error(f"operator {op} is not supported for {key!r} here", op_pos)
    cursor.skip_ws()
    value: Any
    if op in ("IN", "NOT IN"):
        value = grammar._parse_list(cursor)
        if key in vocabulary.numbers:
            value = tuple(_int(v, cursor) for v in value)
    elif entity == ATTRIBUTE and key in vocabulary.numbers:
        number = cursor.take(grammar._NUMBER) or _quoted(cursor)
        value = _int(number, cursor)
    else:
        value = _quoted(cursor)
    return Condition(entity, key, op, value)


def _quoted(cursor: grammar._Cursor) -> str:
    text = cursor.take(grammar._SINGLE) or cursor.take(grammar._DOUBLE)
    if text is None:
        raise cursor.error("expected a quoted string, e.g. 'my-model'")
    return text[1:-1]


def _int(text: str, cursor: grammar._Cursor) -> int:
    try:
        return int(text)
    except ValueError:
        raise cursor.error(f"expected an integer, got {text!r}") from None


@functools.lru_cache(maxsize=128)
def parse_order(entry: str, vocabulary: Vocabulary) -> tuple[str, bool]:
    """Parse one order_by entry into (attribute, ascending).

    Raises:
        InvalidInputError: Unknown key or direction.
    """
    if not isinstance(entry, str):
        raise InvalidInputError(f"order_by entries must be strings, got {entry!r}.")
    cursor = grammar._Cursor(entry, "order_by clause")
    cursor.skip_ws()
    entity, key = _identifier(cursor, vocabulary, vocabulary.orderable)
    if entity != ATTRIBUTE:
        raise cursor.error(f"cannot order {vocabulary.what} by a tag", 0)
    return key, cursor.take_direction()


def select(
    items: Sequence[_T],
    filter_string: str | None,
    order_by: Sequence[str],
    vocabulary: Vocabulary,
) -> list[_T]:
    """Filter and sort as MLflow's file registry does (ties: name, then newest version).

    Raises:
        InvalidInputError: A malformed filter or order_by entry.
    """
    conditions = parse_filter(filter_string, vocabulary)
    chosen = [i for i in items if all(c.matches(i) for c in conditions)]  # type: ignore[arg-type]
    keys = [parse_order(entry, vocabulary) for entry in order_by]
    if not any(k == "name" for k, _ in keys):
        keys.append(("name", True))
    if vocabulary is VERSIONS and not any(k == "version_number" for k, _ in keys):
        keys.append(("version_number", False))
    for key, ascending in reversed(keys):  # stable sorts, last key first
        chosen.sort(key=lambda i: _value(i, ATTRIBUTE, key), reverse=not ascending)  # type: ignore[arg-type]
    return chosen


def page(items: list[_T], max_results: int, page_token: str | None) -> tuple[list[_T], str | None]:
    """Cut one page; the token is MLflow's (base64 JSON offset).

    Raises:
        InvalidInputError: A token that is not one of these.
    """
    start = _offset(page_token)
    end = start + max_results
    token = (
        base64.b64encode(json.dumps({"offset": end}).encode()).decode()
        if end < len(items)
        else None
    )
    return items[start:end], token


def _offset(page_token: str | None) -> int:
    if not page_token:
        return 0
    try:
        offset = json.loads(base64.b64decode(page_token))["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise InvalidInputError(
            f"Invalid page token {page_token!r}: pass the token of the previous page unchanged."
        ) from None
    if not isinstance(offset, int) or offset < 0:
        raise InvalidInputError(f"Invalid page token {page_token!r}: bad offset.")
    return offset
