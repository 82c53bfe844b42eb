"""The lexical half of the run-search grammar: a cursor over the text, the token patterns,
and the pieces shared with the registry's grammar (keys, operators, quoted-string lists).

:mod:`tracklib.query.grammar` builds comparisons and orderings from these.
"""

from __future__ import annotations

import re

from tracklib.errors import InvalidInputError

_WS = re.compile(r"\s*")
_WORD = re.compile(r"[^\W\d][\w$]*")
_KEY_WORD = re.compile(r"[\w$]+")
_BACKQUOTED = re.compile(r"`(?:``|[^`])*`")
# Quoted strings as SQL lexers see them; the value is the raw text between the quotes.
_SINGLE = re.compile(r"'(?:''|\\'|[^'])*'")
_DOUBLE = re.compile(r'"(?:""|\\"|[^"])*"')
_NUMBER = re.compile(r"-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![\w.])")
_SYMBOL_OP = re.compile(r"!=|<>|==|<=|>=|<|>|=")


class _Cursor:
    """A position in the text being parsed, with errors that point at it."""

    def __init__(self, text: str, what: str) -> None:
        self.text = text
        self.what = what
        self.pos = 0

    def skip_ws(self) -> None:
        match = _WS.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos

    def at_end(self) -> bool:
        self.skip_ws()
        return self.pos >= len(self.text)

    def take(self, pattern: re.Pattern[str]) -> str | None:
        match = pattern.match(self.text, self.pos)
        if match is None:
            return None
        self.pos = match.end()
        return match.group()

    def peek_word(self) -> str:
        match = _WORD.match(self.text, self.pos)
        return match.group().upper() if match else ""

    def take_direction(self) -> bool:
        """Read an optional ``ASC``/``DESC`` that ends an order_by entry; True for ascending.

        Raises:
            InvalidInputError: Another word, or text after the direction.
        """
        if self.at_end():
            return True
        direction = self.peek_word()
        if direction not in ("ASC", "DESC"):
            raise self.error("expected ASC or DESC")
        self.pos += len(direction)
        if not self.at_end():
            raise self.error("unexpected text after the direction (one key per entry)")
        return direction == "ASC"

    def error(self, reason: str, pos: int | None = None) -> InvalidInputError:
        at = self.pos if pos is None else pos
        error = InvalidInputError(
            f"Invalid {self.what} at position {at}: {reason}\n    {self.text}\n    {' ' * at}^"
        )
        error.position = at  # for tools that show the caret themselves (tracklib ui)
        return error


def _parse_key(cursor: _Cursor) -> str:
    quoted = cursor.take(_BACKQUOTED) or cursor.take(_DOUBLE)
    if quoted is not None:
        return quoted[1:-1]
    parts = []
    while True:
        part = cursor.take(_KEY_WORD)
        if part is None:
            raise cursor.error("expected a key name (back-quote keys with special characters)")
        parts.append(part)
        if not cursor.text.startswith(".", cursor.pos):
            return ".".join(parts)
        cursor.pos += 1


def _parse_operator(cursor: _Cursor) -> str:
    symbol = cursor.take(_SYMBOL_OP)
    if symbol is not None:
        if symbol in ("==", "<>"):
            raise cursor.error(
                f"unsupported operator {symbol!r}; use '=' or '!='", cursor.pos - len(symbol)
            )
        return symbol
    words: list[str] = []
    for _ in range(3):
        word = cursor.peek_word()
        expected = {
            (): ("LIKE", "ILIKE", "IN", "NOT", "IS"),
            ("NOT",): ("IN",),
            ("IS",): ("NULL", "NOT"),
            ("IS", "NOT"): ("NULL",),
        }
        if word not in expected.get(tuple(words), ()):
            break
        words.append(word)
        cursor.pos += len(word)
        cursor.skip_ws()
        if tuple(words) in (
            ("LIKE",),
            ("ILIKE",),
            ("IN",),
            ("NOT", "IN"),
            ("IS", "NULL"),
            ("IS", "NOT", "NULL"),
        ):
            return " ".join(words)
    raise cursor.error(
        "expected an operator: =, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL"
    )


def _parse_list(cursor: _Cursor) -> tuple[str, ...]:
    if cursor.take(re.compile(r"\(")) is None:
        raise cursor.error("expected a parenthesised list of quoted strings, e.g. ('a', 'b')")
    items: list[str] = []
    while True:
        cursor.skip_ws()
        if items and cursor.take(re.compile(r"\)")) is not None:
            return tuple(items)
        text = cursor.take(_SINGLE) or cursor.take(_DOUBLE)
        if text is None:
            raise cursor.error("expected a quoted string in the list")
        items.append(text[1:-1])
        cursor.skip_ws()
        if cursor.take(re.compile(r",")) is None:
            if cursor.take(re.compile(r"\)")) is None:
                raise cursor.error("expected ',' or ')' in the list")
            return tuple(items)
