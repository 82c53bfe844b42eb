"""Run ids given as a unique prefix, like git's short commit ids.

A full 32-character id is used as it is. A shorter string is matched against the ids of
every run of the store, deleted runs and runs of deleted experiments included (they can
still be shown): one match is the run, none is a :class:`NotFoundError`, several are an
:class:`AmbiguousRunIdError` (an :class:`InvalidInputError`: the command line exits 2)
that lists them. On a server, a run is also named by the id it had where it was logged
(its ``tracklib.sourceRunId`` tag: a run started offline, or synced from a local store), so
the id a training script printed keeps working after the run was replicated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tracklib import settings
from tracklib.entities import ViewType
from tracklib.errors import InvalidInputError, NotFoundError
from tracklib.remote.replicas import SOURCE_TAG
from tracklib.tracking.client import Client

FULL_ID_LENGTH = 32
SHORT_ID_LENGTH = 8
_MAX_LISTED = 10
MAX_SEARCH = 50000  # MLflow's largest page


class AmbiguousRunIdError(InvalidInputError):
    """A run-id prefix matches more than one run.

    Attributes:
        candidates: The matching run ids, sorted.
    """

    def __init__(self, prefix: str, candidates: Sequence[str]) -> None:
        self.candidates = sorted(candidates)
        listed = "\n  ".join(self.candidates[:_MAX_LISTED])
        more = len(self.candidates) - _MAX_LISTED
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"Run id prefix {prefix!r} is ambiguous; it matches {len(self.candidates)} runs:"
            f"\n  {listed}{tail}\nGive more characters."
        )


def resolve(client: Client, ref: str) -> str:
    """Return the full id of the run that ``ref`` (a full id or a unique prefix) names.

    Raises:
        InvalidInputError: ``ref`` is empty or not shaped like a run id.
        AmbiguousRunIdError: Several runs start with ``ref``.
        NotFoundError: No run starts with ``ref``.
    """
    if not ref or not ref.replace("-", "").replace("_", "").isalnum():
        raise InvalidInputError(f"Invalid run id {ref!r}: give a run id or a prefix of one.")
    if len(ref) >= FULL_ID_LENGTH:
        return client.get_run(ref).info.run_id  # NotFoundError when absent (or a source id)
    names = run_names(client)
    if ref in names:  # an exact (short, foreign) id wins over longer ids it prefixes
        return names[ref]
    matches = sorted({run_id for name, run_id in names.items() if name.startswith(ref)})
    if not matches:
        raise NotFoundError(f"No run id starts with {ref!r} in {client.tracking_uri}.")
    if len(matches) > 1:
        raise AmbiguousRunIdError(ref, matches)
    return matches[0]


def resolve_all(client: Client, refs: Iterable[str]) -> list[str]:
    """:func:`resolve` each of ``refs``."""
    return [resolve(client, ref) for ref in refs]


def all_run_ids(client: Client) -> list[str]:
    """Every run id of the store, deleted runs included."""
    return sorted(set(run_names(client).values()))


def run_names(client: Client) -> dict[str, str]:
    """Every id that names a run of the store (its own, or its source id), to its own id."""
    if not settings.is_remote(client.tracking_uri):  # a local store: its folders are its ids
        return {run_id: run_id for run_id in client.store.run_ids()}
    experiments = [e.experiment_id for e in client.search_experiments(ViewType.ALL)]
    runs = client.search_runs(experiments, run_view_type=ViewType.ALL, max_results=MAX_SEARCH)
    names: dict[str, str] = {}
    for run in runs:
        source = run.data.tags.get(SOURCE_TAG)
        if source:
            names.setdefault(source, run.info.run_id)
    names.update((run.info.run_id, run.info.run_id) for run in runs)  # own ids win
    return names


def short_ids(run_ids: Sequence[str], length: int = SHORT_ID_LENGTH) -> dict[str, str]:
    """Map each id to its shortest prefix of at least ``length`` characters unique among them."""
    unique = set(run_ids)
    while length < FULL_ID_LENGTH:
        prefixes = {run_id[:length] for run_id in unique}
        if len(prefixes) == len(unique):
            break
        length += 1
    return {run_id: run_id[:length] for run_id in run_ids}
