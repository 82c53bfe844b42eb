"""The remote tracking path: runs logged to a local spool, replicated to an MLflow server.

With an http(s) tracking URI, a run is created on the server (so its id is the server's), and
every log call goes to a spool: an MLflow file store under the user cache folder, one per
server, with the file store's microsecond hot path. A :class:`~tracklib.remote.sender.Sender` thread
replicates it. When the server cannot be reached at ``start_run``, the run starts offline
with a local id and is created on the server later. ``end_run`` waits at most
``TRACKLIB_FLUSH_TIMEOUT`` seconds for delivery, then leaves the rest to ``tracklib sync``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import uuid
from collections.abc import Sequence
from urllib.parse import urlparse

from tracklib import settings
from tracklib.entities import RunInfo, RunTag
from tracklib.errors import AlreadyExistsError, StoreUnavailableError
from tracklib.remote.replicator import SOURCE_TAG, save_state
from tracklib.remote.sender import Sender
from tracklib.stores import open_store
from tracklib.stores.file.store import FileStore
from tracklib.stores.rest.http import NO_RETRY
from tracklib.stores.rest.store import RestStore
from tracklib.stores.rest.wire import HttpError
from tracklib.tracking.client import Client

SPOOL_DIR_VAR = "TRACKLIB_SPOOL_DIR"
FLUSH_TIMEOUT_VAR = "TRACKLIB_FLUSH_TIMEOUT"
DEFAULT_FLUSH_TIMEOUT = 30.0
TARGET_FILE = "tracklib-target.json"  # at the spool root: which server the spool feeds
START_TIMEOUT = (3.0, 10.0)  # connect, read: how long start_run tries the server

_senders: dict[str, Sender] = {}
_lock = threading.Lock()


def reset() -> None:
    """Stop watching every run and forget the senders (what was not sent stays in the spool)."""
    with _lock:
        senders = list(_senders.values())
        _senders.clear()
    for sender in senders:
        sender.close()


def spool_base() -> str:
    """The folder holding one spool per server (``TRACKLIB_SPOOL_DIR`` moves it)."""
    explicit = os.environ.get(SPOOL_DIR_VAR)
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    return os.path.join(settings.cache_home(), "spool")


def spool_path(uri: str) -> str:
    """The spool folder of one server (named after its host and a hash of its URI)."""
    target = settings.redact_uri(uri)
    host = (urlparse(target).hostname or "server").replace(":", "_")
    digest = hashlib.sha1(target.encode("utf-8")).hexdigest()[:10]
    return os.path.join(spool_base(), f"{host}-{digest}")


def spool_client(uri: str) -> Client:
    """A Client over the spool of the server at ``uri`` (created on first use)."""
    path = spool_path(uri)
    client = Client(path)
    marker = os.path.join(path, TARGET_FILE)
    if not os.path.exists(marker):
        with open(marker, "w", encoding="utf-8") as f:
            json.dump({"tracking_uri": settings.redact_uri(uri)}, f)
    return client


def sender_for(uri: str) -> Sender:
    """The sender thread feeding the server at ``uri`` (one per process and server)."""
    target = settings.redact_uri(uri)
    with _lock:
        sender = _senders.get(target)
        if sender is None:
            spool = spool_client(uri).store
            assert isinstance(spool, FileStore)
            sender = _senders[target] = Sender(spool, open_store(uri), target)
        return sender


def create_run(
    uri: str, local_experiment_id: str, user: str, start_time: int, name: str,
    tags: Sequence[RunTag],
) -> RunInfo:  # fmt: skip
    """Create a run on the server and its spool twin with the same id (offline: local id).

    Raises:
        StoreError: The server refused the run (e.g. its experiment is deleted there).
    """
    spool = spool_client(uri).store
    assert isinstance(spool, FileStore)
    experiment_name = spool.get_experiment(local_experiment_id).name
    from tracklib.stores.rest.store import RestStore

    # The source tag names the spool run before the server answers: if the answer is lost
    # after the server created the run, the sender finds that run by it instead of making
    # a second one.
    local_id = uuid.uuid4().hex
    tags = [*tags, RunTag(SOURCE_TAG, local_id)]
    quick = RestStore(uri, retry=NO_RETRY, timeout=START_TIMEOUT)
    try:
        remote_experiment = _remote_experiment(quick, experiment_name)
        remote = quick.create_run(remote_experiment, user, start_time, name, tags)
    except (StoreUnavailableError, HttpError) as exc:
        if isinstance(exc, HttpError) and not exc.retryable:  # e.g. 401: not an outage
            raise
        info = spool.create_run(local_experiment_id, user, start_time, name, tags, local_id)
        print(
            f"tracklib: could not create the run on {settings.redact_uri(uri)} ({exc}); run "
            f"{info.run_id} logs offline and is sent when the server answers again (or by "
            f"`{sync_command(uri)}`).",
            file=sys.stderr,
        )
    else:
        info = spool.create_run(local_experiment_id, user, start_time, name, tags,
                                run_id=remote.run_id)  # fmt: skip
        sent = {t.key: t.value for t in tags}
        state = {"run_id": remote.run_id, "experiment_id": remote_experiment, "tags": sent}
        save_state(spool.run_dir(info.run_id), settings.redact_uri(uri), state)
    finally:
        quick.close()
    sender_for(uri).watch(info.run_id)
    return info


def _remote_experiment(store: RestStore, name: str) -> str:
    found = store.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    try:
        return store.create_experiment(name)
    except AlreadyExistsError:  # created by another process just now
        again = store.get_experiment_by_name(name)
        assert again is not None
        return again.experiment_id


def flush(uri: str, run_id: str) -> None:
    """Wait (at most ``TRACKLIB_FLUSH_TIMEOUT`` s) until an ended run is on the server."""
    timeout = _flush_timeout()
    if sender_for(uri).flush(run_id, timeout):
        return
    print(
        f"tracklib: run {run_id} is not fully on {settings.redact_uri(uri)} yet; its data is "
        f"kept in {spool_path(uri)}. Deliver it with: {sync_command(uri)}",
        file=sys.stderr,
    )


def sync_command(uri: str) -> str:
    """The shell command that delivers this server's spool (naming a moved spool)."""
    explicit = os.environ.get(SPOOL_DIR_VAR)
    return f"{SPOOL_DIR_VAR}={explicit} tracklib sync" if explicit else "tracklib sync"


def _flush_timeout() -> float:
    text = os.environ.get(FLUSH_TIMEOUT_VAR, "")
    try:
        return max(0.0, float(text)) if text else DEFAULT_FLUSH_TIMEOUT
    except ValueError:
        return DEFAULT_FLUSH_TIMEOUT
