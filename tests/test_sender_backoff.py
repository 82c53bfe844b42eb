"""While end_run waits, the sender retries often enough to deliver within the flush timeout.

After a long outage the backoff has grown to 30 s (plus jitter): without a cap for ending
runs, a server that comes back a moment after end_run began would be retried only after
end_run had given up.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import tracklib
from tracklib.entities import Metric
from tracklib.errors import StoreUnavailableError
from tracklib.remote.sender import Sender
from tracklib.stores.file.store import FileStore


class FlakyTarget(FileStore):
    """A target that is unreachable until ``up`` is set."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.up = threading.Event()

    def _check(self) -> None:
        if not self.up.is_set():
            raise StoreUnavailableError("connection refused")

    def get_experiment_by_name(self, name: str) -> Any:
        self._check()
        return super().get_experiment_by_name(name)

    def create_run(self, *args: Any, **kwargs: Any) -> Any:
        self._check()
        return super().create_run(*args, **kwargs)

    def log_batch(self, *args: Any, **kwargs: Any) -> None:
        self._check()
        super().log_batch(*args, **kwargs)


def test_an_ending_run_is_delivered_soon_after_a_long_outage(tmp_path: Path) -> None:
    spool = FileStore(str(tmp_path / "spool"))
    experiment_id = spool.create_experiment("exp")
    run_id = spool.create_run(experiment_id, "me", 1_000, "r").run_id
    spool.log_batch(run_id, metrics=[Metric("loss", 0.5, 1_000, 0)])
    target = FlakyTarget(str(tmp_path / "server"))
    sender = Sender(spool, target, str(tmp_path / "server"))
    sender._failures = 10  # as after a long outage: the next backoff is 30-45 s
    sender.watch(run_id)
    threading.Timer(1.0, target.up.set).start()  # the server comes back just after end_run began
    assert sender.flush(run_id, timeout=15.0)
    (run,) = tracklib.Client(str(tmp_path / "server")).search_runs(experiment_names=["exp"])
    assert [m.value for m in target.get_metric_history(run.info.run_id, "loss")] == [0.5]
