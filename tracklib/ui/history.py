"""Metric histories for charts: read, sorted by step, downsampled, cached.

A file store's metric file is parsed straight into columns of steps and values (timestamps
are converted only where looked at): the general
:meth:`~tracklib.tracking.client.Client.get_metric_history` builds one ``Metric`` object per point,
which for a 1,000,000-point history costs more than the whole one-second budget of a chart.
Any other store (an MLflow server) goes through the Client. The last answers are kept,
keyed by the metric file's size and modification time, so a chart of a live run that
refreshes every few seconds re-reads the file only when it grew.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, overload

from tracklib import validation
from tracklib.errors import StoreError
from tracklib.jsonform import encode_double
from tracklib.stores.file.runfiles import key_path
from tracklib.tracking.client import Client
from tracklib.ui import downsample
from tracklib.ui.downsample import Columns

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
        answer = _answer(key, self._read(run_id, key, path), max_points)
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

    def _read(self, run_id: str, key: str, path: str | None) -> Columns:
        if path is not None:
            fast = _parse_file(path)
            if fast is not None:
                return fast
        history = self.client.get_metric_history(run_id, key)
        return (
            [m.step for m in history],
            [m.timestamp for m in history],
            [m.value for m in history],
        )


def _parse_file(path: str) -> Columns | None:
    """Parse MLflow's ``timestamp value step`` lines into columns; None when a line has
    another shape (two or five fields, or malformed: the Client's parser handles and
    reports those)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    end = data.rfind(b"\n") + 1  # what follows the last newline is a write torn by a crash
    fields = data[:end].split()
    if len(fields) != 3 * data.count(b"\n", 0, end):
        return None
    try:
        values = list(map(float, fields[1::3]))
        steps = list(map(int, fields[2::3]))
    except ValueError:
        return None
    return steps, _LazyInts(fields[0::3]), values


class _LazyInts(Sequence[int]):
    """Integers parsed from their bytes on access.

    Raises:
        StoreError: (on access) A field is not an integer.
    """

    def __init__(self, fields: list[bytes]) -> None:
        self._fields = fields

    def __len__(self) -> int:
        return len(self._fields)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        try:
            if isinstance(index, slice):
                return [int(f) for f in self._fields[index]]
            return int(self._fields[index])
        except ValueError:
            raise StoreError(
                f"A metric timestamp is not an integer: {self._fields[index]!r}."
            ) from None


def _answer(key: str, columns: Columns, max_points: int) -> dict[str, Any]:
    steps, times, values = downsample.sort_columns(*columns)
    kept = downsample.select(steps, times, values, max_points)
    return {
        "key": key,
        "total": len(values),
        "downsampled": len(kept) < len(values),
        "points": [[steps[i], times[i], encode_double(values[i])] for i in kept],
    }
