"""Finding a run on a target by the id it had where it was logged (``tracklib.sourceRunId``).

A run that starts offline, or is logged to a local store and synced later, gets a new id on
the server; the replicator tags that run with the id it had locally. This module finds it
again: the replicator uses it to find a run whose creation answer was lost, and reads
through tracklib use it so that the id a script printed keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracklib import tags
from tracklib.entities import Run, ViewType
from tracklib.errors import InvalidInputError
from tracklib.stores.base import Store

SOURCE_TAG = tags.SOURCE_RUN_ID
_LISTING = 50000  # MLflow's largest page, for a target that cannot filter


def find_replica(
    store: Store, source_id: str, experiment_ids: Sequence[str] | None = None
) -> Run | None:
    """Return the run of ``store`` replicated from the run ``source_id``, or None.

    Args:
        store: Where to look (normally an MLflow server through the REST store).
        source_id: The id the run had where it was logged.
        experiment_ids: Look only here (default: every experiment, deleted ones included).

    Raises:
        StoreError: The store failed.
    """
    if not source_id or "'" in source_id or "\\" in source_id:  # not an id: cannot match
        return None
    if experiment_ids is None:
        experiment_ids = [e.experiment_id for e in store.search_experiments(ViewType.ALL)]
    if not experiment_ids:
        return None
    try:
        runs, _ = store.search_runs(
            experiment_ids, f"tags.`{SOURCE_TAG}` = '{source_id}'", ViewType.ALL, 10
        )
    except InvalidInputError:  # a target without filters: look through the listing
        runs, _ = store.search_runs(experiment_ids, "", ViewType.ALL, _LISTING)
        runs = [r for r in runs if r.data.tags.get(SOURCE_TAG) == source_id]
    return runs[0] if runs else None
