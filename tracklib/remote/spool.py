"""The remote tracking path: runs logged to a local spool, replicated to an MLflow server.

With an http(s) tracking URI, a run is created on the server (so its id is the server's), and
every log call goes to a spool: an MLflow file store under the user cache folder, one per
server, with the file store's microsecond hot path. A :class:`~tracklib.remote.sender.Sender` thread
replicates it. When the server cannot be reached at ``start_run``, the run starts offline
with a local id and is created on the server later (tagged ``tracklib.sourceRunId`` = that
id). ``end_run`` waits at most ``TRACKLIB_FLUSH_TIMEOUT`` seconds for delivery (only a moment
for a server that does not answer at all; Ctrl-C skips the wait), then leaves the rest to
``tracklib sync``. This layer works on stores; the tracking layer wraps them in a Client.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from collections.abc import Sequence
from typing import Literal, cast
from urllib.parse import urlparse

from tracklib import settings
from tracklib.entities import RunInfo, RunTag
from tracklib.errors import NotFoundError, StoreError, StoreUnavailableError
from tracklib.logger import get_logger
from tracklib.remote.replicator import SOURCE_TAG, save_state
from tracklib.remote.sender import UNREACHABLE_WAIT, Outcome, Sender, never_connected
from tracklib.stores import open_store
from tracklib.stores.experiment_names import get_or_create_experiment
from tracklib.stores.file.store import FileStore
from tracklib.stores.rest.http import NO_RETRY
from tracklib.stores.rest.store import RestStore
from tracklib.stores.rest.wire import HttpError

SPOOL_DIR_VAR = settings.SPOOL_DIR_VAR
FLUSH_TIMEOUT_VAR = settings.FLUSH_TIMEOUT_VAR
DEFAULT_FLUSH_TIMEOUT = 30.0
TARGET_FILE = "tracklib-target.json"  # at the spool root: which server the spool feeds
START_TIMEOUT = (3.0, 10.0)  # connect, read: how long start_run tries the server

_senders: dict[str, Sender] = {}
_skipped: set[str] = set()  # servers whose wait the user skipped (Ctrl-C) in this process
_lock = threading.Lock()
_log = get_logger()


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


def spool_store(uri: str) -> FileStore:
    """The spool of the server at ``uri``: the process's file store there (made on first use)."""
    path = spool_path(uri)
    # open_store shares one store per folder, so runs read through a Client on this path
    # and the sender see the same open metric files; a plain folder is always a FileStore.
    store = cast(FileStore, open_store(path))
    marker = os.path.join(path, TARGET_FILE)
    if not os.path.exists(marker):
        with open(marker, "w", encoding="utf-8") as f:
            json.dump({"tracking_uri": settings.redact_uri(uri)}, f)
    return store


def sender_for(uri: str) -> Sender:
    """The sender thread feeding the server at ``uri`` (one per process and server).

    It sends through its own RestStore that makes one attempt per call: the sender's loop
    is the only place its requests are retried.
    """
    target = settings.redact_uri(uri)
    with _lock:
        sender = _senders.get(target)
        if sender is None:
            rest = RestStore(uri, retry=NO_RETRY)
            sender = _senders[target] = Sender(spool_store(uri), rest, target)
        return sender


def reset() -> None:
    """Stop every sender of this process (for tests and a tracklib-wide reset).

    Runs still being sent stay in their spool, for ``tracklib sync`` or a later process.
    """
    with _lock:
        senders = list(_senders.values())
        _senders.clear()
        _skipped.clear()
    for sender in senders:
        sender.close()


def create_run(
    uri: str, local_experiment_id: str, user: str, start_time: int, name: str,
    tags: Sequence[RunTag],
) -> RunInfo:  # fmt: skip
    """Create a run on the server and its spool twin with the same id (offline: local id).

    Raises:
        StoreError: The server refused the run (e.g. its experiment is deleted there).
    """
    spool = spool_store(uri)
    experiment_name = spool.get_experiment(local_experiment_id).name
    # The source tag names the spool run before the server answers: if the answer is lost
    # after the server created the run, the run starts offline under this id and the sender
    # finds the server's run by it instead of making a second one.
    local_id = uuid.uuid4().hex
    tags = [*tags, RunTag(SOURCE_TAG, local_id)]
    quick = RestStore(uri, retry=NO_RETRY, timeout=START_TIMEOUT)
    sender = sender_for(uri)
    try:
        remote_experiment = get_or_create_experiment(quick, experiment_name).experiment_id
        remote = quick.create_run(remote_experiment, user, start_time, name, tags)
    except (StoreUnavailableError, HttpError) as exc:
        if isinstance(exc, HttpError) and not exc.retryable:  # e.g. 401: not an outage
            raise
        if never_connected(exc):
            sender.mark_unreachable()  # no connection at all: end_run will not wait long
        info = spool.create_run(local_experiment_id, user, start_time, name, tags, local_id)
        _log.warning(
            "%s %s; run %s logs offline and is sent when the server answers again "
            "(or by `%s`).",
            settings.redact_uri(uri), _short_reason(exc), info.run_id, sync_command(uri),
        )  # fmt: skip
        _log.debug("start_run could not create the run on the server: %s", exc)
    else:
        # Online, the spool run has the server's id, so the uuid above names nothing a user
        # sees: the spool's tag says the run's own id, and the sender sends that over it.
        sender.answered = True  # it created the run: a later outage is worth the full wait
        own = [t if t.key != SOURCE_TAG else RunTag(SOURCE_TAG, remote.run_id) for t in tags]
        info = spool.create_run(local_experiment_id, user, start_time, name, own,
                                run_id=remote.run_id)  # fmt: skip
        sent = {t.key: t.value for t in tags}
        state = {"run_id": remote.run_id, "experiment_id": remote_experiment, "tags": sent}
        save_state(spool.run_dir(info.run_id), settings.redact_uri(uri), state)
    finally:
        quick.close()
    sender.watch(info.run_id)
    return info


def _short_reason(exc: StoreError) -> str:
    """Why the server did not take the run, in a few words (details go to DEBUG)."""
    if isinstance(exc, StoreUnavailableError):
        return "is unreachable"
    return f"answered {exc.status}" if exc.status else "failed"


def flush(uri: str, run_id: str) -> None:
    """Wait until an ended run is on the server; never raises, never waits unboundedly.

    The wait lasts at most ``TRACKLIB_FLUSH_TIMEOUT`` seconds, a moment when the server
    does not answer at all, and ends at once on Ctrl-C (KeyboardInterrupt is consumed:
    it means "skip the wait"; later waits for that server in this process then last a
    moment only). What is not delivered stays in the spool.
    """
    target = settings.redact_uri(uri)
    timeout = _flush_timeout()
    if target in _skipped:  # the user said not to wait (e.g. several open runs at exit)
        timeout = min(timeout, UNREACHABLE_WAIT)
    sender = sender_for(uri)

    def notice(unreachable: bool) -> None:
        bound = min(timeout, UNREACHABLE_WAIT) if unreachable else timeout
        why = f"{target} does not answer" if unreachable else f"sending to {target}"
        _log.warning(
            "waiting up to %g s for run %s (%s); press Ctrl-C to skip the wait "
            "(the data stays in the spool).",
            bound, run_id, why,
        )  # fmt: skip

    outcome: Outcome | Literal["skipped"]
    try:
        outcome = sender.flush(run_id, timeout, notice)
    except KeyboardInterrupt:
        outcome = "skipped"
        _skipped.add(target)
    server_id = sender.server_id(run_id)
    if outcome == "delivered":
        if server_id is not None and server_id != run_id:
            _log.warning("run %s (started offline) is on %s as run %s.", run_id, target, server_id)
        return
    why = {
        "skipped": "the wait was skipped",
        "unreachable": "the server does not answer",
        "timeout": f"not delivered within {timeout:g} s",
        "refused": "the server refused some of its data",
    }[outcome]
    known = f" (run {server_id} there)" if server_id is not None and server_id != run_id else ""
    _log.warning(
        "run %s is not fully on %s%s yet: %s; its data is kept in %s. "
        "Deliver it with: %s",
        run_id, target, known, why, spool_path(uri), sync_command(uri),
    )  # fmt: skip


def undelivered(uri: str, run_id: str) -> str | None:
    """Say where a run the server does not know is, if this machine's spool holds it."""
    path = spool_path(uri)
    if not os.path.isdir(path):
        return None
    try:
        spool_store(uri).run_dir(run_id)
    except NotFoundError:
        return None
    return (
        f"Run {run_id} is not on {settings.redact_uri(uri)} yet: it is in this machine's spool "
        f"({path}), not delivered. Deliver it with: {sync_command(uri)}"
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
