"""Hook between the registry and the remote path (runs logged through the local spool).

A run started against a server may still be on its way: created offline (a local id, the
server's id only known after the sender creates it) or with artifacts not yet uploaded.
:func:`server_run_id` makes one replication pass of that run now, under the same per-run lock
as the background sender (so nothing is sent twice), and returns the server's id, so the
version registered next names the server's run and its source the server's artifacts.
"""

from __future__ import annotations

import os

from tracklib import settings
from tracklib.errors import NotFoundError


def server_run_id(uri: str, run_id: str) -> str:
    """The server's id of ``run_id``, after pushing what the spool still holds of that run.

    A run the spool does not know (logged by another machine, or by MLflow) is returned as is.

    Raises:
        StoreUnavailableError: The server cannot be reached (the run stays in the spool).
        StoreError: The server refused the run's data.
    """
    from tracklib.remote import spool

    root = spool.spool_path(uri)
    if not os.path.isdir(root):
        return run_id
    from tracklib.stores.file.store import FileStore

    try:
        run_dir = FileStore(root).run_dir(run_id)
    except NotFoundError:
        return run_id
    from tracklib.remote.replicator import Replicator
    from tracklib.stores import open_store

    replicator = Replicator(open_store(uri), settings.redact_uri(uri))
    return replicator.sync_run(run_dir) or run_id
