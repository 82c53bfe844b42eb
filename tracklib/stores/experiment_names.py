"""Finding an experiment by name, creating it when missing: once, for every store.

Used by ``start_run``/``set_experiment`` (on the local store or the spool), by the spool
when it creates a run on the server, and by the replicator. Two processes may create the
same name at once; the loser of that race reads the winner's experiment instead of failing.
"""

from __future__ import annotations

from tracklib.entities import Experiment
from tracklib.errors import AlreadyExistsError
from tracklib.stores.base import Store
from tracklib.validation import validate_experiment_name


def get_or_create_experiment(store: Store, name: str) -> Experiment:
    """Return the experiment called ``name`` in ``store`` (also a deleted one), creating it.

    Raises:
        InvalidInputError: ``name`` is not a valid experiment name.
        AlreadyExistsError: The name was taken but the experiment cannot be read back.
        StoreError: The store failed.
    """
    found = store.get_experiment_by_name(validate_experiment_name(name))
    if found is not None:
        return found
    try:
        return store.get_experiment(store.create_experiment(name))
    except AlreadyExistsError:  # another process created it between our look and our create
        again = store.get_experiment_by_name(name)
        if again is None:
            raise
        return again
