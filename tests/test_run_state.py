"""A run deleted while it runs (from another process or Client): it cannot be updated any
more (MLflow's rule), and ending it neither raises nor hides the script's own outcome."""

from __future__ import annotations

import pytest

import tracklib
from tracklib.errors import RunStateError


def test_ending_a_run_deleted_meanwhile_warns_and_leaves_it_deleted(store_root: str) -> None:
    tracklib.set_tracking_uri(store_root)
    other = tracklib.Client(store_root)  # its own store object, as another process has
    with pytest.warns(UserWarning, match="deleted"), tracklib.start_run() as run:
        tracklib.log_metric("m", 1.0)
        other.delete_run(run.info.run_id)
    got = other.get_run(run.info.run_id).info
    assert (got.lifecycle_stage, got.status, got.end_time) == ("deleted", "RUNNING", None)
    with pytest.raises(RunStateError, match="restore"):
        other.set_terminated(run.info.run_id)


def test_the_scripts_own_error_is_not_masked(store_root: str) -> None:
    tracklib.set_tracking_uri(store_root)
    other = tracklib.Client(store_root)
    with (
        pytest.warns(UserWarning),
        pytest.raises(ZeroDivisionError),
        tracklib.start_run() as run,
    ):
        other.delete_run(run.info.run_id)
        _ = 1 / 0
    assert tracklib.active_run() is None
