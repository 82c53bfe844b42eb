"""Reading a run for the run and compare pages, without rescanning big metric files.

A run's "latest" metric values are, by MLflow's rule, the points with the largest (step,
timestamp, value), so the store finds them by scanning every metric file whole: for a metric
of a million points that is most of a second, on every request, and a RUNNING run's page asks
every three seconds. Here, for a local file store, each metric file's best point is kept with
how many bytes of the file it covers; a file that only grew (metric files are append-only) is
read from there on, and one that did not change is not read at all. Any other store (an MLflow
server) is asked through the Client as usual.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from tracklib import validation
from tracklib.entities import Run, RunData
from tracklib.stores.file import runfiles
from tracklib.stores.file.disk import iter_key_files, parse_metric_lines, read_value_files
from tracklib.tracking.client import Client

_Best = tuple[int, int, float]  # (step, timestamp, value)


@dataclass(frozen=True)
class _Seen:
    inode: int
    consumed: int  # bytes up to and including the last complete line read
    best: _Best | None


class RunReader:
    """``get_run`` with the latest metric values kept per metric file.

    Args:
        client: Where the runs live.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()

    def get_run(self, run_id: str) -> Run:
        """The run, as :meth:`tracklib.tracking.client.Client.get_run` returns it.

        Raises:
            NotFoundError: No run has this id.
            InvalidInputError: The run id is malformed.
            StoreError: The run's files are malformed.
        """
        run_dir_of = getattr(self.client.store, "run_dir", None)
        if run_dir_of is None:
            return self.client.get_run(run_id)
        run_dir = run_dir_of(validation.validate_run_id(run_id))
        try:
            tags = read_value_files(os.path.join(run_dir, "tags"))
            params = read_value_files(os.path.join(run_dir, "params"))
            info = runfiles.meta_to_info(run_dir, runfiles.read_meta(run_dir), tags)
            metrics = {}
            for key, path in iter_key_files(os.path.join(run_dir, "metrics")):
                best = self._best(key, path)
                if best is not None:
                    metrics[key] = best[2]
        except OSError:  # a writer moved something meanwhile: read it the general way
            return self.client.get_run(run_id)
        return Run(info=info, data=RunData(metrics=metrics, params=params, tags=tags))

    def _best(self, key: str, path: str) -> _Best | None:
        """The file's point with the largest (step, timestamp, value).

        Raises:
            OSError: The file cannot be read.
            StoreError: A complete line is malformed.
        """
        with open(path, "rb") as f:
            inode, size = os.fstat(f.fileno()).st_ino, os.fstat(f.fileno()).st_size
            with self._lock:
                seen = self._seen.get(path)
            start = 0
            if seen is not None and seen.inode == inode and seen.consumed <= size:
                if seen.consumed == size:
                    return seen.best
                f.seek(seen.consumed - 1 if seen.consumed else 0)
                # appended to, not rewritten: the byte before the new part is still a newline
                if not seen.consumed or f.read(1) == b"\n":
                    start = seen.consumed
            f.seek(start)
            data = f.read(size - start)
        end = data.rfind(b"\n") + 1  # a torn last line is read again next time
        best = _best_point(key, data[:end])
        if start and seen is not None and seen.best is not None:
            best = seen.best if best is None else max(seen.best, best)
        with self._lock:
            self._seen[path] = _Seen(inode, start + end, best)
        return best


def _best_point(key: str, data: bytes) -> _Best | None:
    """The largest (step, timestamp, value) of complete metric lines.

    Only the steps are converted for every line (then the few lines at the largest step):
    a malformed timestamp or value elsewhere goes unnoticed here, where the store would
    refuse the file; the run page shows what it can.

    Raises:
        StoreError: A line at the largest step, or the line layout, is malformed.
    """
    fields = data.split()
    if fields and len(fields) == 3 * data.count(b"\n"):
        try:
            steps = list(map(int, fields[2::3]))
            top = max(steps)
            first = steps.index(top)
            rows = (
                [first]
                if steps.count(top) == 1
                else [i for i in range(first, len(steps)) if steps[i] == top]
            )
            return max((top, int(fields[3 * i]), float(fields[3 * i + 1])) for i in rows)
        except ValueError:
            pass  # the general parser names the bad line
    points = parse_metric_lines(key, data)
    return max(((m.step, m.timestamp, m.value) for m in points), default=None)
