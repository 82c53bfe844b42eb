"""The background sender: one daemon thread per server that drains the spool.

Log calls on a remote run write to the local spool (an MLflow file store) and return; this
thread replicates what is new to the server with :class:`~tracklib.remote.replicator.Replicator`,
in ``log-batch`` requests within MLflow's limits, over one keep-alive session. The store it
sends through makes one attempt per call; failures a retry may fix (no connection, timeouts,
408/429/5xx) are retried here, between passes, with :data:`SENDER_RETRY` (the one
:class:`~tracklib.stores.rest.http.RetryPolicy`, unbounded: for as long as the process
lives), honouring ``Retry-After``. The replicator's checkpoints make every retry exactly-once.
An answer that retrying cannot fix (a 4xx) is reported once and the run is left in the spool
for ``tracklib sync``.

The sender also knows whether the server has answered at all in this process
(:attr:`Sender.answered`) and whether it can be connected to now (:attr:`Sender.unreachable`):
``end_run`` waits only briefly for a server that has never answered and cannot be reached, so
a script with many runs against a dead server is not held up again and again; a server that
answered before (restarting, overloaded) gets the full flush timeout.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from tracklib.errors import StoreError, StoreUnavailableError, TracklibError
from tracklib.logger import get_logger
from tracklib.remote.replicator import Replicator, load_state
from tracklib.stores.base import Store
from tracklib.stores.file.store import FileStore
from tracklib.stores.rest.http import RetryPolicy

POLL_SECONDS = 0.5
SENDER_RETRY = RetryPolicy(attempts=0, backoff=0.25, max_sleep=30.0, jitter=0.5, deadline=math.inf)
MAX_RETRY_AFTER = 120.0  # a server asking for longer is asked again after this
FLUSHING_BACKOFF_SECONDS = 5.0  # the longest pause while an end_run waits (as on branch scale)
UNREACHABLE_WAIT = 2.0  # how long an ended run waits for a server that does not answer
NOTICE_AFTER = 1.0  # a wait longer than this is announced
CLOSE_TIMEOUT = 2.0
_WAIT_SLICE = 0.1

Outcome = Literal["delivered", "refused", "timeout", "unreachable"]
_log = get_logger()


@dataclass
class _Watch:
    ended: bool = False
    failed: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


class Sender:
    """Replicates watched spool runs to ``target`` from a daemon thread.

    Args:
        spool: The local spool store the runs are logged to.
        target: The server's store (one attempt per call: this class retries).
        target_uri: The server's URI without credentials (names the checkpoints).
    """

    def __init__(self, spool: FileStore, target: Store, target_uri: str) -> None:
        self.spool = spool
        self.target = target
        self.target_uri = target_uri
        self.unreachable = False
        """True while the last attempt could not connect to the server at all."""
        self.answered = False
        """True once the server has answered in this process (a pass went through, or it
        created a run at start_run): then an outage is worth the full wait."""
        self._watched: dict[str, _Watch] = {}
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._closed = False

    def watch(self, run_id: str) -> None:
        """Start replicating a spool run (the thread starts with the first run)."""
        with self._wake:
            self._watched.setdefault(run_id, _Watch())
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._loop, name="tracklib-sender", daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def flush(
        self, run_id: str, timeout: float, notice: Callable[[bool], None] | None = None
    ) -> Outcome:
        """Mark a run ended and wait until everything, status included, is on the server.

        The wait ends early when the server has not answered for :data:`UNREACHABLE_WAIT`
        seconds of it. A ``KeyboardInterrupt`` ends it at once (and propagates).

        Args:
            run_id: The spool run.
            timeout: Seconds to wait at most.
            notice: Called once (with :attr:`unreachable`) when the wait passes
                :data:`NOTICE_AFTER` seconds, to say what it waits for.

        Returns:
            What happened; the run's data stays in the spool unless it was delivered.
        """
        with self._wake:
            watch = self._watched.get(run_id)
            if watch is None:
                return "delivered"
            watch.ended = True
            self._failures = 0  # a run is waiting: try again now, not after a long backoff
            self._wake.notify()
        start = time.monotonic()
        deadline = start + timeout
        noticed = notice is None
        while not watch.done.wait(max(0.0, min(_WAIT_SLICE, deadline - time.monotonic()))):
            waited = time.monotonic() - start
            if waited >= timeout:
                return "timeout"
            dead = self.unreachable and not self.answered
            if dead and waited >= min(timeout, UNREACHABLE_WAIT):
                return "unreachable"
            if not noticed and waited >= NOTICE_AFTER:
                noticed = True
                assert notice is not None
                notice(dead)
        return "refused" if watch.failed is not None else "delivered"

    def mark_unreachable(self) -> None:
        """Record that the server did not answer (e.g. when start_run tried it)."""
        self.unreachable = True

    def server_id(self, run_id: str) -> str | None:
        """The id a spool run has on the server, once the server has created it."""
        value = load_state(self.spool.run_dir(run_id), self.target_uri).get("run_id")
        return str(value) if value else None

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Stop the thread (waiting at most ``timeout`` s) and close the target's connections.

        Watched runs are dropped; their data stays in the spool for ``tracklib sync``.
        """
        with self._wake:
            self._closed = True
            self._watched.clear()
            self._wake.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        close = getattr(self.target, "close", None)
        if callable(close):
            close()

    def _loop(self) -> None:
        while True:
            with self._wake:
                if self._closed:
                    return
                pending = list(self._watched.items())
            delay = self._pass(pending)
            if any(watch.ended for _, watch in pending):
                # end_run is waiting: after a long outage, a full backoff could outlast the
                # flush timeout though the server is back.
                delay = min(delay, FLUSHING_BACKOFF_SECONDS)
            with self._wake:
                if self._closed:
                    return
                if not self._watched:  # nothing to send: sleep until watch() or flush()
                    self._wake.wait()
                elif delay:
                    self._wake.wait(delay)

    def _pass(self, pending: list[tuple[str, _Watch]]) -> float:
        """One pass over the watched runs; returns how long to pause before the next."""
        try:
            sent = False
            for run_id, watch in pending:
                sent = self._push(run_id, watch) or sent
        except StoreError as exc:
            self.unreachable = never_connected(exc)
            _log.debug("sending to %s failed, retrying: %s", self.target_uri, exc)
            return self._backoff(getattr(exc, "retry_after", None))
        except Exception as exc:  # never let the thread die: log and keep trying
            _log.warning("sender error, retrying: %s", exc)
            _log.debug("sender error", exc_info=True)
            return self._backoff(None)
        self._failures = 0
        self.unreachable = False
        self.answered = True
        return 0.0 if sent else POLL_SECONDS

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
        _log.warning(
            "the server refused data of run %s (%s); it stays in the spool %s; "
            "fix the cause, then run `tracklib sync`.",
            run_id,
            reason,
            self.spool.root,
        )
        with self._wake:
            self._watched.pop(run_id, None)
        watch.failed = reason
        watch.done.set()

    def _backoff(self, retry_after: float | None) -> float:
        self._failures += 1
        asked = min(retry_after, MAX_RETRY_AFTER) if retry_after is not None else None
        return SENDER_RETRY.sleep_for(self._failures, asked)


def never_connected(exc: StoreError) -> bool:
    """Whether no connection to the server could be made (refused, no route, no DNS...).

    A dropped connection or a read timeout is not that: the server is there, maybe slow,
    and the flush waits for it in full.
    """
    return isinstance(exc, StoreUnavailableError) and not getattr(exc, "maybe_applied", True)


def _is_client_error(exc: StoreError) -> bool:
    status = exc.status or 0
    return 400 <= status < 500 and status not in (408, 429)
