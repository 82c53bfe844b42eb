"""Metric histories for charts: read, sorted by step, downsampled, cached.

A file store's metric file is parsed straight into ``(step, timestamp, value)`` tuples: the
general :meth:`~tracklib.client.Client.get_metric_history` builds one ``Metric`` object per
point, which for a 1,000,000-point history costs more than the whole one-second budget of a
chart. Any other store (an MLflow server) goes through the Client. The last answers are
kept, keyed by the metric file's size and modification time, so a chart of a live run that
refreshes every few seconds re-reads the file only when it grew.
"""

from __future__ import annotations

import gc
import os
import threading
from collections import OrderedDict
from typing import Any

from tracklib import validation
from tracklib.client import Client
from tracklib.stores.runfiles import key_path
from tracklib.ui import downsample
from tracklib.ui.downsample import Point
from tracklib.ui.views import encode_float

DEFAULT_POINTS = 2000
MAX_POINTS = 10000
_CACHE_SIZE = 32


class HistoryReader:
    """Reads histories through one Client, remembering the last few answers.

    Args:
        client: Where the runs live.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self._cache: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def history_json(self, run_id: str, key: str, max_points: int) -> dict[str, Any]:
        """The ``/api/runs/<id>/history`` answer for one metric.

        Raises:
            NotFoundError: No run has this id.
            InvalidInputError: ``max_points`` is below 4.
            StoreError: The metric file is malformed.
        """
        path = self._metric_file(run_id, key)
        signature: tuple[Any, ...] | None = None
        if path is not None:
            try:
                st = os.stat(path)
                signature = (path, st.st_size, st.st_mtime_ns, st.st_ino, max_points)
            except OSError:
                path = None  # never logged: an empty history, read the general way
        if signature is not None:
            with self._lock:
                cached = self._cache.get(signature)
                if cached is not None:
                    self._cache.move_to_end(signature)
                    return cached
        points = self._read(run_id, key, path)
        answer = _answer(key, points, max_points)
        if signature is not None:
            with self._lock:
                self._cache[signature] = answer
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        return answer

    def _metric_file(self, run_id: str, key: str) -> str | None:
        """The metric's file when the store is a local file store, else None.

        Raises:
            InvalidInputError: The run id or key is malformed (a key is a path below the
                run's metrics folder: one with ``..`` must never reach the disk).
            NotFoundError: No run has this id.
        """
        run_dir = getattr(self.client.store, "run_dir", None)
        if run_dir is None:
            return None
        folder = run_dir(validation.validate_run_id(run_id))
        return key_path(folder, "metrics", validation.validate_key(key))

    def _read(self, run_id: str, key: str, path: str | None) -> list[Point]:
        if path is not None:
            fast = _parse_file(path)
            if fast is not None:
                return fast
        return [(m.step, m.timestamp, m.value) for m in self.client.get_metric_history(run_id, key)]


def _parse_file(path: str) -> list[Point] | None:
    """Parse MLflow's ``timestamp value step`` lines; None when a line has another shape
    (two or five fields, or a malformed line: the Client's parser handles and reports it)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    lines = data.split(b"\n")
    lines.pop()  # b"" after the last newline, or a line torn by a crash
    gc.disable()  # a million new tuples would trigger several useless full collections
    try:
        fields = [line.split() for line in lines]
        if any(len(f) != 3 for f in fields):
            return None
        return [(int(f[2]), int(f[0]), float(f[1])) for f in fields]
    except ValueError:
        return None
    finally:
        gc.enable()


def _answer(key: str, points: list[Point], max_points: int) -> dict[str, Any]:
    ordered = downsample.sort_points(points)
    kept = downsample.downsample(ordered, max_points)
    return {
        "key": key,
        "total": len(points),
        "downsampled": len(kept) < len(points),
        "points": [[s, t, encode_float(v)] for s, t, v in kept],
    }
