"""Plain-text tables and terminal colour for the command line, plus value formatting.

Tables are laid out on the visible text only; colour (ANSI SGR codes) is wrapped around a
cell after it has been padded, so coloured and plain output line up the same way.

Colour is used when stdout is a terminal, unless ``NO_COLOR`` is set (https://no-color.org)
or ``TERM=dumb``; ``FORCE_COLOR`` turns it on for pipes (``NO_COLOR`` still wins).
"""

from __future__ import annotations

import datetime
import math
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

BOLD = "1"
RED = "31"
GREEN = "32"
YELLOW = "33"
BOLD_GREEN = "1;32"
DIM = "2"
ELLIPSIS = "..."  # ASCII, so output survives any locale


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and an optional ANSI SGR style such as ``"1;32"``."""

    text: str
    style: str = ""


CellLike = Cell | str


def colour_enabled(mode: str = "auto", stream: TextIO | None = None) -> bool:
    """Whether to write ANSI colour to ``stream`` (default stdout).

    Args:
        mode: ``"always"``, ``"never"`` or ``"auto"`` (the rules in the module docstring).
    """
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    out = sys.stdout if stream is None else stream
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # a closed or exotic stream
        return False


def paint(text: str, style: str, colour: bool) -> str:
    """Wrap ``text`` in an ANSI style when ``colour`` is on and a style is given."""
    return f"\x1b[{style}m{text}\x1b[0m" if colour and style and text else text


def terminal_width(default: int = 120) -> int:
    """The terminal's width (``COLUMNS`` wins); ``default`` when stdout is not a terminal."""
    return shutil.get_terminal_size((default, 24)).columns


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` characters, ending with ``...`` when cut."""
    text = text.replace("\n", " ")
    if len(text) <= width:
        return text
    return text[: max(width - len(ELLIPSIS), 0)] + ELLIPSIS


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def render(
    headers: Sequence[str],
    rows: Sequence[Sequence[CellLike]],
    colour: bool = False,
    right: Sequence[bool] | None = None,
) -> str:
    """Lay out a table: a bold header line, then one line per row, columns two spaces apart.

    Args:
        headers: Column titles.
        rows: Cells (text or :class:`Cell`), as many per row as there are headers.
        colour: Apply the cells' styles (and bold headers).
        right: Right-align per column; default: columns whose every non-empty cell is a number.
    """
    cells = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell.text))
    if right is None:
        right = [
            any(r[i].text for r in cells)
            and all(_is_number(r[i].text) for r in cells if r[i].text not in ("", "-"))
            for i in range(len(headers))
        ]
    lines = [_line([Cell(h, BOLD) for h in headers], widths, right, colour)]
    lines += [_line(row, widths, right, colour) for row in cells]
    return "\n".join(lines)


def _line(cells: Sequence[Cell], widths: Sequence[int], right: Sequence[bool], colour: bool) -> str:
    parts = []
    last = len(cells) - 1
    for i, cell in enumerate(cells):
        pad = widths[i] - len(cell.text)
        if right[i]:
            parts.append(" " * pad + paint(cell.text, cell.style, colour))
        elif i == last:  # no trailing spaces
            parts.append(paint(cell.text, cell.style, colour))
        else:
            parts.append(paint(cell.text, cell.style, colour) + " " * pad)
    return "  ".join(parts).rstrip()


def key_values(pairs: Sequence[tuple[str, str]], indent: str = "  ") -> str:
    """``key  value`` lines with the values aligned (for ``show``)."""
    if not pairs:
        return f"{indent}(none)"
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{indent}{k.ljust(width)}  {v}".rstrip() for k, v in pairs)


def heading(text: str, colour: bool) -> str:
    """A section title."""
    return paint(text, BOLD, colour)


# ----------------------------------------------------------------- value formatting
def local_time(ms: int | None, millis: bool = False) -> str:
    """A millisecond epoch timestamp as local ``YYYY-MM-DD HH:MM:SS`` (``-`` when unset)."""
    if ms is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(ms / 1000)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{ms % 1000:03d}" if millis else text


def duration(start_ms: int | None, end_ms: int | None) -> str:
    """A compact duration such as ``850ms``, ``12.3s``, ``4m05s``, ``2h03m`` (``-`` if open)."""
    if start_ms is None or end_ms is None:
        return "-"
    ms = max(end_ms - start_ms, 0)
    if ms < 1000:
        return f"{ms}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def number(value: float, digits: int = 6) -> str:
    """A metric value with ``digits`` significant digits (``nan``/``inf`` as such)."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value)) if digits < 17 else repr(value)
    return f"{value:.{digits}g}"


def distinct_numbers(values: Sequence[float | None]) -> list[str]:
    """Format values so that different values never print the same (more digits if needed)."""
    present = [v for v in values if v is not None]
    for digits in (6, 9, 12, 17):
        texts = {v: number(v, digits) for v in present}
        if len(set(texts.values())) == len({repr(v) for v in present}):
            break
    return ["-" if v is None else texts[v] for v in values]


def size(n_bytes: int | None) -> str:
    """A file size such as ``512 B``, ``1.5 KiB``, ``3.2 MiB``."""
    if n_bytes is None:
        return "-"
    amount = float(n_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{n_bytes} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{n_bytes} B"  # pragma: no cover - unreachable
