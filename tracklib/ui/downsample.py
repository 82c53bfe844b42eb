"""Downsampling a metric history for a chart, keeping its extremes.

A chart is a few hundred pixels wide, so sending a million points is waste; but averaging or
striding them would hide the one spike a user is looking for. The x range is cut into
``max_points // 2 - 1`` buckets and each bucket keeps its lowest and its highest point (in
their original order); the first and last points are always kept. The result never holds more
than ``max_points`` points, and a line drawn through it covers the same vertical span in every
bucket as the full history does.

The x range is the step range; when every point has the same step (a metric logged without
steps) the timestamps are used, and when those are equal too, the point indexes.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

from tracklib.errors import InvalidInputError

Point = tuple[int, int, float]  # (step, timestamp ms, value)


def sort_points(points: list[Point]) -> list[Point]:
    """Return ``points`` ordered by (step, timestamp), sorting only when they are not."""
    ordered = all(a[:2] <= b[:2] for a, b in itertools.pairwise(points))
    return points if ordered else sorted(points, key=lambda p: (p[0], p[1]))


def downsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """Keep at most ``max_points`` of ``points`` (sorted by step), extremes first.

    Args:
        points: The history, sorted by (step, timestamp).
        max_points: The most points to return; at least 4.

    Returns:
        ``points`` itself (as a list) when it is short enough, else the kept points in order.

    Raises:
        InvalidInputError: ``max_points`` is below 4.
    """
    if max_points < 4:
        raise InvalidInputError(f"max_points must be at least 4, got {max_points}.")
    if len(points) <= max_points:
        return list(points)
    xs = _x_axis(points)
    buckets = max_points // 2 - 1
    low, high = xs[0], xs[-1]
    width = (high - low) / buckets
    kept = {0, len(points) - 1}
    start = 0
    for b in range(1, buckets + 1):
        # bucket b covers [low + (b-1)*width, low + b*width); the last one includes high
        end = len(xs) if b == buckets else bisect.bisect_left(xs, low + b * width, lo=start)
        if end > start:
            kept.update(_extremes(points, start, end))
        start = end
    return [points[i] for i in sorted(kept)]


def _x_axis(points: Sequence[Point]) -> list[float]:
    """The non-decreasing x coordinate used to cut buckets (see the module docstring)."""
    if points[0][0] != points[-1][0]:
        return [float(p[0]) for p in points]
    times = [float(p[1]) for p in points]
    if times[0] != times[-1] and all(a <= b for a, b in itertools.pairwise(times)):
        return times
    return [float(i) for i in range(len(points))]


def _extremes(points: Sequence[Point], start: int, end: int) -> tuple[int, ...]:
    """Indexes of the lowest and highest value in ``points[start:end]``; NaN counts only
    when the bucket holds nothing else (then its first point stands for it)."""
    values = [points[i][2] for i in range(start, end)]
    if any(map(math.isnan, values)):
        finite = [start + i for i, v in enumerate(values) if not math.isnan(v)]
        if not finite:
            return (start,)
        lo_i = min(finite, key=lambda i: points[i][2])
        hi_i = max(finite, key=lambda i: points[i][2])
        return (lo_i, hi_i)
    lo = min(range(len(values)), key=values.__getitem__)
    hi = max(range(len(values)), key=values.__getitem__)
    return (start + lo, start + hi)
