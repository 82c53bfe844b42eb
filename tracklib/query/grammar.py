"""MLflow's run-search grammar: parse a filter string once, evaluate it client-side.

A filter is comparisons joined by ``AND`` (any case)::

    metrics.loss < 0.5 AND params.optimizer = 'adam' AND tags.`team/owner` LIKE 'ml-%'

Each comparison is ``<entity>.<key> <operator> <value>``. The entity is ``metrics``/``metric``,
``params``/``param``/``parameters``/``parameter``, ``tags``/``tag`` or
``attributes``/``attribute``/``attr``/``run`` (a bare name means an attribute). Keys with
characters other than letters, digits, ``_`` and ``.`` are back-quoted (or double-quoted).
What each entity accepts is MLflow 3.17's rule (see docs/query.md); so are the evaluation
quirks reproduced here on purpose, because a file store must answer exactly as MLflow does:
a missing key never matches (``!=`` included), string values are taken verbatim between
their quotes (``'it''s'`` means ``it''s``), ``LIKE`` patterns become anchored regexes.

Orderings are ``[<entity>.]<key> [ASC|DESC]``. Runs lacking the key (and NaN metrics) come
last whatever the direction -- NaN before missing -- and ties keep MLflow's natural order:
``start_time`` descending, then ``run_id``.

Nothing here touches storage: a store hands in objects with the :class:`RunValues` methods,
so the file store can read only the files a query names. Sorting and shaping the results
live in :mod:`tracklib.query.results`.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tracklib.errors import InvalidInputError
from tracklib.query import lexer

# The lexer's pieces, under their old names here too: tracklib.registry.query parses with them.
_BACKQUOTED = lexer._BACKQUOTED
_DOUBLE = lexer._DOUBLE
_KEY_WORD = lexer._KEY_WORD
_NUMBER = lexer._NUMBER
_SINGLE = lexer._SINGLE
_SYMBOL_OP = lexer._SYMBOL_OP
_WORD = lexer._WORD
_WS = lexer._WS
_Cursor = lexer._Cursor
_parse_key = lexer._parse_key
_parse_list = lexer._parse_list
_parse_operator = lexer._parse_operator

METRIC, PARAM, TAG, ATTRIBUTE = "metric", "param", "tag", "attribute"

_ENTITIES = {
    "metric": METRIC,
    "metrics": METRIC,
    "param": PARAM,
    "params": PARAM,
    "parameter": PARAM,
    "parameters": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "run": ATTRIBUTE,
}
_NUMERIC_ATTRIBUTES = frozenset({"start_time", "end_time"})
_STRING_ATTRIBUTES = frozenset({"run_id", "run_name", "user_id", "status", "artifact_uri"})
# MLflow's aliases: accepted in filters (all) and in order_by (only 'created').
_FILTER_ALIASES = {
    "created": "start_time",
    "Created": "start_time",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
}
_ORDER_ALIASES = {"created": "start_time", "Created": "start_time"}

_NUMERIC_OPS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE"})
_NULL_OPS = frozenset({"IS NULL", "IS NOT NULL"})
_LIST_OPS = frozenset({"IN", "NOT IN"})
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "IN": lambda lhs, rhs: lhs in rhs,
    "NOT IN": lambda lhs, rhs: lhs not in rhs,
}


class RunValues(Protocol):
    """What the evaluator asks of a run; ``None`` means the run lacks the key."""

    def metric(self, key: str) -> float | None:
        """The metric's latest value."""
        ...

    def param(self, key: str) -> str | None:
        """The param's value."""
        ...

    def tag(self, key: str) -> str | None:
        """The tag's value."""
        ...

    def attribute(self, key: str) -> str | int | None:
        """``run_id``, ``run_name``, ``user_id``, ``status`` (a name), ``artifact_uri``,
        ``start_time`` or ``end_time``."""
        ...


@dataclass(frozen=True)
class Comparison:
    """One parsed ``<entity>.<key> <op> <value>``."""

    entity: str
    key: str
    op: str
    value: float | int | str | tuple[str, ...] | None

    def matches(self, run: RunValues) -> bool:
        """Evaluate against one run, with MLflow's rule that a missing key never matches."""
        lhs = lookup(run, self.entity, self.key)
        if self.op == "IS NULL":
            return lhs is None
        if self.op == "IS NOT NULL":
            return lhs is not None
        if lhs is None:
            return False
        if self.op in ("LIKE", "ILIKE"):
            assert isinstance(self.value, str) and isinstance(lhs, str)
            return _like_regex(self.value, self.op == "ILIKE").match(lhs) is not None
        return _COMPARE[self.op](lhs, self.value)


@dataclass(frozen=True)
class OrderKey:
    """One parsed ``order_by`` entry."""

    entity: str
    key: str
    ascending: bool = True


@dataclass(frozen=True)
class Query:
    """A parsed filter and ordering, ready to evaluate on many runs."""

    comparisons: tuple[Comparison, ...] = ()
    order: tuple[OrderKey, ...] = ()

    def matches(self, run: RunValues) -> bool:
        """True if the run satisfies every comparison."""
        return all(c.matches(run) for c in self.comparisons)

    def keys(self, entity: str) -> set[str]:
        """The keys of one entity (``METRIC``, ...) that the filter or ordering reads."""
        named = [(c.entity, c.key) for c in self.comparisons]
        named += [(o.entity, o.key) for o in self.order]
        return {key for kind, key in named if kind == entity}


def lookup(run: RunValues, entity: str, key: str) -> float | str | int | None:
    """Return the value a comparison or ordering on ``entity``/``key`` sees."""
    if entity == METRIC:
        return run.metric(key)
    if entity == PARAM:
        return run.param(key)
    if entity == TAG:
        return run.tag(key)
    return run.attribute(key)


@functools.lru_cache(maxsize=256)
def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """MLflow's LIKE: ``%`` is ``.*``, ``_`` is ``.``; anchored unless the pattern starts
    (ends) with ``%``; ``re.match`` without DOTALL, exactly as MLflow evaluates it."""
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    if not pattern.endswith("%"):
        body += "$"
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


# --------------------------------------------------------------------------- parsing
def parse_filter(filter_string: str | None) -> tuple[Comparison, ...]:
    """Parse a filter string into comparisons (an empty or blank string means no filter).

    Raises:
        InvalidInputError: The filter is malformed; the message gives the position.
    """
    return _parse_filter_cached(filter_string or "")


@functools.lru_cache(maxsize=256)
def _parse_filter_cached(filter_string: str) -> tuple[Comparison, ...]:
    cursor = _Cursor(filter_string, "filter")
    comparisons: list[Comparison] = []
    if cursor.at_end():
        return ()
    while True:
        cursor.skip_ws()
        comparisons.append(_parse_comparison(cursor))
        if cursor.at_end():
            return tuple(comparisons)
        if cursor.peek_word() != "AND":
            raise cursor.error(
                "expected AND between comparisons (OR and parentheses are not supported)"
            )
        cursor.pos += 3
        if cursor.at_end():
            raise cursor.error("expected a comparison after AND")


def _parse_identifier(cursor: _Cursor, aliases: dict[str, str]) -> tuple[str, str]:
    """Parse ``entity.key`` (or a bare attribute name); return (entity, key)."""
    start = cursor.pos
    first = cursor.take(_BACKQUOTED) or cursor.take(_DOUBLE) or cursor.take(_WORD)
    if first is None:
        raise cursor.error("expected a key such as metrics.loss, params.lr or tags.`my/key`")
    if first.startswith(("`", '"')):  # MLflow takes "Run Name" as it takes `Run Name`
        first = first[1:-1]
    if not cursor.text.startswith(".", cursor.pos):
        entity, key = ATTRIBUTE, first
    else:
        cursor.pos += 1
        if first not in _ENTITIES:
            if first.lower() in _ENTITIES or first in ("dataset", "datasets"):
                reason = (
                    "dataset filters are not supported on the file store"
                    if first in ("dataset", "datasets")
                    else f"entity names are lower case: {first.lower()!r}"
                )
            else:
                reason = "valid entities are metrics, params, tags and attributes"
            raise cursor.error(f"unknown entity {first!r}; {reason}", start)
        entity = _ENTITIES[first]
        key = _parse_key(cursor)
    if entity == ATTRIBUTE:
        key = aliases.get(key, key)
        if key not in _NUMERIC_ATTRIBUTES | _STRING_ATTRIBUTES:
            valid = ", ".join(sorted(_NUMERIC_ATTRIBUTES | _STRING_ATTRIBUTES | set(aliases)))
            raise cursor.error(f"unknown attribute {key!r}; valid attributes: {valid}", start)
    return entity, key


def _parse_comparison(cursor: _Cursor) -> Comparison:
    entity, key = _parse_identifier(cursor, _FILTER_ALIASES)
    cursor.skip_ws()
    op_pos = cursor.pos
    op = _parse_operator(cursor)
    allowed = _allowed_ops(entity, key)
    if op not in allowed:
        what = f"{entity} {key!r}" if entity == ATTRIBUTE else f"{entity}s"
        raise cursor.error(
            f"operator {op} is not supported for {what}; use one of {', '.join(sorted(allowed))}",
            op_pos,
        )
    if op in _NULL_OPS:
        return Comparison(entity, key, op, None)
    cursor.skip_ws()
    value = _parse_value(cursor, entity, key, op)
    return Comparison(entity, key, op, value)


def _allowed_ops(entity: str, key: str) -> frozenset[str]:
    if entity == METRIC or (key in _NUMERIC_ATTRIBUTES and entity == ATTRIBUTE):
        return _NUMERIC_OPS
    if entity in (PARAM, TAG):
        return _STRING_OPS | _NULL_OPS
    return _STRING_OPS | _LIST_OPS if key == "run_id" else _STRING_OPS


def _parse_value(
    cursor: _Cursor, entity: str, key: str, op: str
) -> float | int | str | tuple[str, ...]:
    pos = cursor.pos
    numeric = entity == METRIC or (key in _NUMERIC_ATTRIBUTES and entity == ATTRIBUTE)
    if numeric:
        number = cursor.take(_NUMBER)
        if number is None:
            raise cursor.error(f"expected a number for {entity} {key!r} (e.g. 0.5, -3, 1e-4)")
        if entity == METRIC:
            return float(number)
        return int(number) if re.fullmatch(r"-?\d+", number) else float(number)
    if op in _LIST_OPS:
        return _parse_list(cursor)
    text = cursor.take(_SINGLE) or cursor.take(_DOUBLE)
    if text is None:
        raise cursor.error(f"expected a quoted string for {entity} {key!r} (e.g. 'value')", pos)
    return text[1:-1]


def parse_order_by(order_by: Sequence[str] | None) -> tuple[OrderKey, ...]:
    """Parse ``order_by`` entries such as ``"metrics.loss ASC"`` or ``"start_time DESC"``.

    Raises:
        InvalidInputError: An entry is malformed; the message gives the position.
    """
    return tuple(_parse_order_key(entry) for entry in order_by or ())


@functools.lru_cache(maxsize=256)
def _parse_order_key(entry: str) -> OrderKey:
    if not isinstance(entry, str):
        raise InvalidInputError(f"order_by entries must be strings, got {entry!r}.")
    cursor = _Cursor(entry, "order_by clause")
    if entry != entry.strip():  # MLflow's parser cannot read such a clause, so it refuses it
        raise cursor.error(
            "leading or trailing whitespace; write the clause as 'params.p DESC'",
            0 if entry[:1].isspace() else len(entry.rstrip()),
        )
    entity, key = _parse_identifier(cursor, _ORDER_ALIASES)
    return OrderKey(entity, key, cursor.take_direction())


def parse_query(filter_string: str | None, order_by: Sequence[str] | None) -> Query:
    """Parse both halves of a search (see :func:`parse_filter`, :func:`parse_order_by`)."""
    return Query(parse_filter(filter_string), parse_order_by(order_by))
