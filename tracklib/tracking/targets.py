"""Where ``start_run`` writes: a local store, or a server through its spool.

One object per tracking target knows how to find or create an experiment, create, resume
and end a run there, so the rest of the tracking layer never asks "is this remote?".
:func:`current` picks the target of the tracking URI.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from tracklib import settings
from tracklib.entities import Experiment, RunInfo, RunStatus, RunTag
from tracklib.stores.experiment_names import get_or_create_experiment
from tracklib.tracking.client import Client


class Target(Protocol):
    """What the tracking layer needs from a place to write runs."""

    client: Client
    """The client runs are written and resolved through (the local store or the spool)."""

    def experiment_by_id(self, experiment_id: str) -> str:
        """The id in :attr:`client`'s store of the experiment the user's id names."""
        ...

    def get_or_create_experiment(self, name: str) -> Experiment:
        """The experiment called ``name`` in :attr:`client`'s store, created if missing."""
        ...

    def same_experiment(self, experiment_id: str, user_id: str) -> bool:
        """Whether a user-given id names the experiment ``experiment_id`` (False if unsure)."""
        ...

    def search_scope(self, experiment_id: str) -> tuple[list[str] | None, list[str] | None]:
        """``(experiment_ids, experiment_names)`` that select ``experiment_id`` for reads."""
        ...

    def create_run(
        self, experiment_id: str, user: str, start_time: int, name: str, tags: Sequence[RunTag]
    ) -> RunInfo:
        """Create a RUNNING run with these tags."""
        ...

    def resume_run(self, run_id: str, end_time: int | None) -> RunInfo:
        """Make an existing run RUNNING again."""
        ...

    def end_run(self, run_id: str) -> None:
        """What ending a run needs beyond its store (for a server: delivery, bounded)."""
        ...


class LocalTarget:
    """A store tracklib writes to directly (a folder, ``memory:``).

    Args:
        client: The client over that store.
    """

    def __init__(self, client: Client) -> None:
        self.client = client

    def experiment_by_id(self, experiment_id: str) -> str:
        """Check that the experiment exists; its id is already this store's.

        Raises:
            NotFoundError: No experiment has this id.
        """
        return self.client.get_experiment(experiment_id).experiment_id

    def get_or_create_experiment(self, name: str) -> Experiment:
        """See :class:`Target`.

        Raises:
            InvalidInputError: The name is invalid.
        """
        return get_or_create_experiment(self.client.store, name)

    def same_experiment(self, experiment_id: str, user_id: str) -> bool:
        """See :class:`Target`."""
        return experiment_id == user_id

    def search_scope(self, experiment_id: str) -> tuple[list[str] | None, list[str] | None]:
        """See :class:`Target`."""
        return [experiment_id], None

    def create_run(
        self, experiment_id: str, user: str, start_time: int, name: str, tags: Sequence[RunTag]
    ) -> RunInfo:
        """See :class:`Target`."""
        return self.client.store.create_run(experiment_id, user, start_time, name, tags)

    def resume_run(self, run_id: str, end_time: int | None) -> RunInfo:
        """See :class:`Target`."""
        return self.client.store.update_run(run_id, RunStatus.RUNNING, end_time)

    def end_run(self, run_id: str) -> None:
        """Nothing: the store has it all once ``update_run`` returned."""


class ServerTarget:
    """An MLflow server: runs are written to its local spool and sent by a sender thread.

    Experiments and runs are resolved in the spool by name; the spool creates each run on
    the server first (so the run's id is the server's), or offline when it cannot.

    Args:
        uri: The server's http(s) tracking URI.
    """

    def __init__(self, uri: str) -> None:
        from tracklib.remote import spool  # requests is imported only for a server

        self.uri = uri
        spool.spool_store(uri)  # makes the spool and its marker on first use
        self.client = Client(spool.spool_path(uri))

    def experiment_by_id(self, experiment_id: str) -> str:
        """The spool experiment named as the server's experiment ``experiment_id``.

        Raises:
            NotFoundError: The server has no experiment with this id.
            StoreUnavailableError: The server cannot be reached (an explicit read).
        """
        name = Client(self.uri).get_experiment(experiment_id).name
        return self.get_or_create_experiment(name).experiment_id

    def get_or_create_experiment(self, name: str) -> Experiment:
        """See :class:`Target` (in the spool; the server's is made with the first run).

        Raises:
            InvalidInputError: The name is invalid.
        """
        return get_or_create_experiment(self.client.store, name)

    def same_experiment(self, experiment_id: str, user_id: str) -> bool:
        """True: spool ids are not the server's, and checking would need the server."""
        return True

    def search_scope(self, experiment_id: str) -> tuple[list[str] | None, list[str] | None]:
        """The server's experiment of the same name as the spool's."""
        return None, [self.client.get_experiment(experiment_id).name]

    def create_run(
        self, experiment_id: str, user: str, start_time: int, name: str, tags: Sequence[RunTag]
    ) -> RunInfo:
        """Create the run on the server and in the spool (offline: in the spool only).

        Raises:
            StoreError: The server refused the run (e.g. its experiment is deleted there).
        """
        from tracklib.remote import spool

        return spool.create_run(self.uri, experiment_id, user, start_time, name, tags)

    def resume_run(self, run_id: str, end_time: int | None) -> RunInfo:
        """Reopen a spool run and send it again."""
        from tracklib.remote import spool

        info = self.client.store.update_run(run_id, RunStatus.RUNNING, end_time)
        spool.sender_for(self.uri).watch(info.run_id)
        return info

    def end_run(self, run_id: str) -> None:
        """Wait, bounded, until the run is on the server (:func:`tracklib.remote.spool.flush`)."""
        from tracklib.remote import spool

        spool.flush(self.uri, run_id)


def current() -> Target:
    """The target of the tracking URI (see :func:`tracklib.get_tracking_uri`).

    Raises:
        InvalidInputError: The URI is not one tracklib can use.
    """
    uri = settings.get_tracking_uri()
    if settings.is_remote(uri):
        return ServerTarget(uri)
    return LocalTarget(Client(uri))
