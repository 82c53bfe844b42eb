"""Property checks of the chart downsampling: the extremes of every bucket survive."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracklib.errors import InvalidInputError
from tracklib.ui.downsample import Point, downsample, sort_columns

values = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def histories(draw: st.DrawFn) -> list[Point]:
    """Sorted histories: increasing steps with gaps and repeats, or one shared step."""
    n = draw(st.integers(0, 400))
    same_step = draw(st.booleans())
    steps, step = [], 0
    for _ in range(n):
        step += 0 if same_step else draw(st.integers(0, 5))
        steps.append(step)
    return [(s, 1000 + i, draw(values)) for i, s in enumerate(steps)]


def _bucket_ranges(points: list[Point], max_points: int) -> list[list[Point]]:
    """The buckets the module docstring defines, recomputed independently (by x value)."""
    if points[0][0] != points[-1][0]:
        xs = [float(p[0]) for p in points]
    elif points[0][1] != points[-1][1]:
        xs = [float(p[1]) for p in points]
    else:
        xs = [float(i) for i in range(len(points))]
    n = max_points // 2 - 1
    width = (xs[-1] - xs[0]) / n
    buckets: list[list[Point]] = [[] for _ in range(n)]
    for x, p in zip(xs, points, strict=True):
        index = min(int((x - xs[0]) // width), n - 1) if width else 0
        # floating point: an x exactly on a boundary belongs to the upper bucket
        while index + 1 < n and x >= xs[0] + (index + 1) * width:
            index += 1
        while index > 0 and x < xs[0] + index * width:
            index -= 1
        buckets[index].append(p)
    return buckets


@settings(max_examples=200, deadline=None)
@given(histories(), st.integers(4, 60))
def test_extremes_first_last_and_size(points: list[Point], max_points: int) -> None:
    kept = downsample(points, max_points)
    if len(points) <= max_points:
        assert kept == points
        return
    assert len(kept) <= max_points
    assert kept[0] == points[0] and kept[-1] == points[-1]
    positions = [points.index(p) for p in kept]  # points are unique by timestamp
    assert positions == sorted(positions)  # a subsequence, in order
    kept_set = set(positions)
    for bucket in _bucket_ranges(points, max_points):
        finite = [p for p in bucket if not math.isnan(p[2])]
        if finite:
            low = min(p[2] for p in finite)
            high = max(p[2] for p in finite)
            kept_values = [points[i][2] for i in kept_set if points[i] in bucket]
            assert low in kept_values and high in kept_values
        elif bucket:
            assert any(points[i] in bucket for i in kept_set)  # an all-NaN bucket shows


def test_a_single_spike_survives_a_million_points() -> None:
    n = 1_000_000
    points = [(s, s, 0.0) for s in range(n)]
    points[123_457] = (123_457, 123_457, 99.0)
    points[876_543] = (876_543, 876_543, -99.0)
    kept = downsample(points, 2000)
    assert len(kept) <= 2000
    assert (123_457, 123_457, 99.0) in kept and (876_543, 876_543, -99.0) in kept


def test_sort_columns_orders_by_step_then_time() -> None:
    columns = ([2, 1, 1], [5, 9, 3], [1.0, 2.0, 3.0])
    assert sort_columns(*columns) == ([1, 1, 2], [3, 9, 5], [3.0, 2.0, 1.0])
    ordered = ([1, 1, 2], [3, 3, 5], [1.0, 2.0, 3.0])
    assert sort_columns(*ordered) == ordered


def test_too_few_points_is_an_input_error() -> None:
    with pytest.raises(InvalidInputError, match="at least 4"):
        downsample([(0, 0, 1.0)] * 10, 3)
