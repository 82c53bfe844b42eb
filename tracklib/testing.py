"""An in-memory tracking store, for your own tests (and tracklib's).

Point tracklib at it and the code under test logs as usual, with nothing written to disk::

    from tracklib.testing import use_in_memory_store

    def test_training_logs_a_loss():
        with use_in_memory_store() as store:
            train()  # calls tracklib.start_run(), tracklib.log_metric(), ...
        runs, _ = store.search_runs(["0"])
        assert "loss" in runs[0].data.metrics

For a pytest fixture, ``yield`` inside the ``with``. Any tracking URI starting with ``memory:``
selects an in-memory store (one per URI and process), so ``set_tracking_uri("memory:")``,
``Client("memory:")`` and ``TRACKLIB_TRACKING_URI=memory:`` work too, and
:func:`memory_store` returns the store behind such a URI. :class:`InMemoryStore` keeps the
file store's rules (immutable params, latest metric = max by (step, timestamp, value),
deleted runs read-only, Default not deletable, ``a`` and ``a/b`` never both keys), so a test
that passes on it holds on disk too. Artifacts are kept as bytes (empty folders are not).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from tracklib import settings
from tracklib.stores.memory import MEMORY_SCHEME, InMemoryStore, forget_memory_store, memory_store

__all__ = ["InMemoryStore", "memory_store", "reset", "use_in_memory_store"]


@contextlib.contextmanager
def use_in_memory_store() -> Iterator[InMemoryStore]:
    """Make a fresh in-memory store the tracking store inside a ``with`` block.

    On exit the previous tracking URI is back and the store is dropped from the registry
    (the yielded object stays readable). End the runs you start inside the block.
    """
    uri = f"{MEMORY_SCHEME}{uuid.uuid4().hex}"
    store = memory_store(uri)
    previous = settings.explicit_tracking_uri()  # restore what was set, not the env-resolved URI
    settings.set_tracking_uri(uri)
    try:
        yield store
    finally:
        settings.set_tracking_uri(previous)
        forget_memory_store(uri)


def reset() -> None:
    """Put tracklib's process state back to that of a fresh process, between tests.

    Ends every active run as KILLED, forgets the active experiment and the URI given to
    ``set_tracking_uri``, closes the background senders of remote runs (what they had not
    sent stays in the spool), and drops the shared stores, the in-memory stores and the
    caches. Environment variables are the caller's to reset.
    """
    import sys

    from tracklib import stores
    from tracklib.tracking import fluent, start

    fluent.reset()
    settings.set_tracking_uri(None)
    if "tracklib.remote.spool" in sys.modules:  # a process that never went remote has none
        from tracklib.remote import spool

        spool.reset()
    stores.reset()
    start.forget_snapshot()
