"""Downsampling a metric history for a chart, keeping its extremes.

A chart is a few hundred pixels wide, so sending a million points is waste; but averaging or
striding them would hide the one spike a user is looking for. The x range is cut into
``max_points // 2 - 1`` buckets of equal width and each bucket keeps its lowest and its
highest point (in their original order); the first and last points are always kept. The
result never holds more than ``max_points`` points, and a line drawn through it covers the
same vertical span in every bucket as the full history does. NaN values count only in a
bucket that holds nothing else (its first point then stands for it).

The x range is the step range; when every point has the same step (a metric logged without
steps) the timestamps are used, and when those are equal too, the point indexes.

A history is handled as three columns (steps, timestamps, values), because building a
million tuples costs more than everything else here.
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
from collections.abc import Sequence

from tracklib.errors import InvalidInputError

Point = tuple[int, int, float]  # (step, timestamp ms, value)
# steps, timestamps, values; timestamps may convert lazily: most are never looked at
Columns = tuple[list[int], Sequence[int], list[float]]


def sort_columns(steps: list[int], times: Sequence[int], values: list[float]) -> Columns:
    """Return the columns ordered by (step, timestamp), sorting only when they are not."""
    if all(map(operator.lt, steps, itertools.islice(steps, 1, None))):
        return steps, times, values  # the common case: one point per step, in order
    pairs = list(zip(steps, times, strict=True))
    if all(map(operator.le, pairs, itertools.islice(pairs, 1, None))):
        return steps, times, values
    order = sorted(range(len(steps)), key=pairs.__getitem__)
    return [steps[i] for i in order], [times[i] for i in order], [values[i] for i in order]


def select(steps: Sequence[int], times: Sequence[int], values: Sequence[float],
           max_points: int) -> list[int]:  # fmt: skip
    """The indexes to keep, ascending (see the module docstring); columns sorted by step.

    Raises:
        InvalidInputError: ``max_points`` is below 4.
    """
    if max_points < 4:
        raise InvalidInputError(f"max_points must be at least 4, got {max_points}.")
    n = len(values)
    if n <= max_points:
        return list(range(n))
    xs: Sequence[float] = _x_axis(steps, times)
    buckets = max_points // 2 - 1
    low, high = xs[0], xs[-1]
    width = (high - low) / buckets
    kept = {0, n - 1}
    start = 0
    for b in range(1, buckets + 1):
        # bucket b covers [low + (b-1)*width, low + b*width); the last one includes high
        end = n if b == buckets else bisect.bisect_left(xs, low + b * width, lo=start)
        if end > start:
            kept.update(_extremes(values, start, end))
        start = end
    return sorted(kept)


def downsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """Keep at most ``max_points`` of ``points`` (sorted by step), extremes first.

    Raises:
        InvalidInputError: ``max_points`` is below 4.
    """
    steps = [p[0] for p in points]
    times = [p[1] for p in points]
    values = [p[2] for p in points]
    return [points[i] for i in select(steps, times, values, max_points)]


def _x_axis(steps: Sequence[int], times: Sequence[int]) -> Sequence[float]:
    """The non-decreasing x coordinate used to cut buckets (see the module docstring)."""
    if steps[0] != steps[-1]:
        return steps  # ints compare with float bounds
    if times[0] != times[-1] and all(map(operator.le, times, itertools.islice(times, 1, None))):
        return times
    return range(len(steps))


def _extremes(values: Sequence[float], start: int, end: int) -> tuple[int, ...]:
    """Indexes of the lowest and highest value in ``values[start:end]``."""
    chunk = values[start:end]
    total = sum(chunk)
    if total == total:  # not NaN: no NaN inside (a sum with inf - inf also takes the long way)
        return (start + chunk.index(min(chunk)), start + chunk.index(max(chunk)))
    finite = [i for i, v in enumerate(chunk) if not math.isnan(v)]
    if not finite:
        return (start,)
    lo = min(finite, key=chunk.__getitem__)
    hi = max(finite, key=chunk.__getitem__)
    return (start + lo, start + hi)
