"""The background sender: one daemon thread per server that drains the spool.

Log calls on a remote run write to the local spool (an MLflow file store) and return; this
thread replicates what is new to the server with :class:`~tracklib.sync.Replicator`, in
``log-batch`` requests of at most 1000 points, over the store's keep-alive session. Failures a
retry may fix (no connection, timeouts, 408/429/5xx) are retried with exponential backoff and
jitter, honouring ``Retry-After``, for as long as the process lives; the replicator's
checkpoints make every retry exactly-once. An answer that retrying cannot fix (a 4xx) is
reported once and the run is left in the spool for ``tracklib sync``.
"""

from __future__ import annotations

import random
import sys
import threading
from dataclasses import dataclass, field

from tracklib.errors import StoreError, TracklibError
from tracklib.stores.base import Store
from tracklib.stores.file import FileStore
from tracklib.sync import Replicator

POLL_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
FLUSHING_BACKOFF_SECONDS = 5.0  # the longest pause while an end_run waits for delivery


@dataclass
class _Watch:
    ended: bool = False
    failed: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Sender:
    """Replicates watched spool runs to ``target`` from a daemon thread.

    Args:
        spool: The local spool store the runs are logged to.
        target: The server's store.
        target_uri: The server's URI without credentials (names the checkpoints).
    """

    def __init__(self, spool: FileStore, target: Store, target_uri: str) -> None:
        self.spool = spool
        self.target = target
        self.target_uri = target_uri
        self._watched: dict[str, _Watch] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._failures = 0

    def watch(self, run_id: str) -> None:
        """Start replicating a spool run (the thread starts with the first run)."""
        with self._wake:
            self._watched.setdefault(run_id, _Watch())
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="tracklib-sender", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def flush(self, run_id: str, timeout: float) -> bool:
        """Mark a run ended and wait until everything, status included, is on the server.

        Returns:
            True when delivered; False when ``timeout`` passed first or the server refused
            the run's data (it stays in the spool either way).
        """
        with self._wake:
            watch = self._watched.get(run_id)
            if watch is None:
                return True
            watch.ended = True
            self._wake.notify()
        return watch.done.wait(timeout) and watch.failed is None

    def _loop(self) -> None:
        while True:
            with self._wake:
                pending = list(self._watched.items())
            sent = False
            try:
                for run_id, watch in pending:
                    sent = self._push(run_id, watch) or sent
                self._failures = 0
                delay = 0.0 if sent else POLL_SECONDS
            except StoreError as exc:
                delay = self._backoff(exc)
            except Exception as exc:  # never let the thread die: log and keep trying
                print(f"tracklib: sender error, retrying: {exc}", file=sys.stderr)
                delay = self._backoff(None)
            if any(watch.ended for _, watch in pending):
                # end_run is waiting: after a long outage, a full backoff (up to 45 s) could
                # outlast the flush timeout though the server is back.
                delay = min(delay, FLUSHING_BACKOFF_SECONDS)
            with self._wake:
                if not self._watched:  # nothing to send: sleep until watch() or flush()
                    self._wake.wait()
                elif delay:
                    self._wake.wait(delay)

    def _push(self, run_id: str, watch: _Watch) -> bool:
        """One replication pass over a run; True if it sent anything."""
        # Read before the pass: end_run writes its last data, then sets ended, so a pass
        # that saw ended has read everything. One that started earlier may have missed some.
        ended = watch.ended
        replicator = Replicator(self.target, self.target_uri)
        try:
            replicator.sync_run(self.spool.run_dir(run_id))
        except StoreError as exc:
            if getattr(exc, "retryable", True) and not _is_client_error(exc):
                raise
            self._give_up(run_id, watch, str(exc))
            return False
        except TracklibError as exc:  # the server rejected the data (a 4xx): not retried
            self._give_up(run_id, watch, str(exc))
            return False
        if ended:
            with self._wake:
                self._watched.pop(run_id, None)
            watch.done.set()
        stats = replicator.stats
        return bool(stats.points or stats.params or stats.tags or stats.files)

    def _give_up(self, run_id: str, watch: _Watch, reason: str) -> None:
        print(
            f"tracklib: the server refused data of run {run_id} ({reason}); it stays in the "
            f"spool {self.spool.root}; fix the cause, then run `tracklib sync`.",
            file=sys.stderr,
        )
        with self._wake:
            self._watched.pop(run_id, None)
        watch.failed = reason
        watch.done.set()

    def _backoff(self, exc: StoreError | None) -> float:
        self._failures += 1
        asked = getattr(exc, "retry_after", None)
        if isinstance(asked, (int, float)) and asked >= 0:
            return min(float(asked), MAX_BACKOFF_SECONDS * 4)
        pause = min(MAX_BACKOFF_SECONDS, 0.25 * 2.0 ** (self._failures - 1))
        return pause + random.uniform(0, pause / 2)


def _is_client_error(exc: StoreError) -> bool:
    status = exc.status or 0
    return 400 <= status < 500 and status not in (408, 429)
