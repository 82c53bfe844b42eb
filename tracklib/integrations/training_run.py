"""The run one training session logs into, and the runs integrations started themselves.

An integration logs into the active run when there is one (the user's run, or a child of
it with ``nested=True``), else it starts a run and owns it: it ends that run when training
ends, FAILED when training raised. Some frameworks do not tell a callback that training
raised (Keras 3 and the Transformers ``Trainer`` skip ``on_train_end`` then). Every run an
integration starts is recorded here until its integration ends it, so the next training
session that begins finds such a run still open, knows its training never finished, and
ends it FAILED before starting its own; otherwise the leftover run would stay active and
swallow the next ``fit``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import tracklib
from tracklib import tags
from tracklib.entities import RunStatus
from tracklib.errors import InvalidInputError
from tracklib.tracking import ranks
from tracklib.tracking.active_run import ActiveRun
from tracklib.tracking.silent_run import SilentRun

FRAMEWORK_TAG = tags.INTEGRATION

_owned: list[ActiveRun] = []  # runs integrations started and have not ended yet


class TrainingRun:
    """The run a callback or logger writes to, and whether it must end it."""

    def __init__(self, run: ActiveRun, owned: bool) -> None:
        self.run = run
        self.owned = owned

    @property
    def silent(self) -> bool:
        """Whether this process does not log (a non-zero rank)."""
        return isinstance(self.run, SilentRun)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Log params; one already logged with another value is skipped with a warning.

        A second ``fit`` in the same run (say with more epochs) must not stop training over a
        param conflict: the first value stays, as MLflow keeps it.
        """
        try:
            self.run.log_params(params)
            return
        except InvalidInputError:
            pass
        for key, value in params.items():
            try:
                self.run.log_param(key, value)
            except InvalidInputError as exc:
                warnings.warn(f"tracklib: param {key!r} not logged: {exc}", stacklevel=3)

    def end(self, failed: bool = False) -> None:
        """End the run if this session started it (FAILED if training raised)."""
        if not self.owned:
            return
        if self.run in _owned:
            _owned.remove(self.run)
        self.run.end(RunStatus.FAILED if failed else RunStatus.FINISHED)


def begin(
    framework: str,
    *,
    experiment: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: Mapping[str, Any] | None = None,
    rank: int | None = None,
) -> TrainingRun:
    """Return the run a training session that is starting logs into.

    Args:
        framework: Recorded in the tag ``tracklib.integration`` of a run started here.
        experiment: Experiment name for a run started here (default: the active one).
        run_name: Name of a run started here.
        nested: Start a child of the active run instead of logging into it.
        tags: Extra tags for a run started here.
        rank: The global rank when the framework knows it (else read from the environment).

    Raises:
        InvalidInputError: Bad tags or experiment name.
        NotFoundError: The experiment does not exist (by id) or a resumed run is missing.
    """
    end_abandoned()
    if not ranks.should_log(rank):
        return TrainingRun(SilentRun(ranks.global_rank() if rank is None else rank), False)
    active = tracklib.active_run()
    if active is not None and not nested:
        return TrainingRun(active, owned=False)
    run = tracklib.start_run(
        experiment=None if active is not None else experiment,
        run_name=run_name,
        nested=active is not None,
        tags={FRAMEWORK_TAG: framework, **(tags or {})},
    )
    _owned.append(run)
    return TrainingRun(run, owned=True)


def end_abandoned() -> None:
    """End FAILED every run an integration started whose training never reported its end.

    Called when a training session begins: one session runs at a time in a process, so an
    integration's run still open then belongs to a training that raised.
    """
    while _owned:
        run = _owned.pop()
        if not run.ended:
            warnings.warn(
                f"tracklib: run {run.run_id} was left open by a training that raised; "
                "it is ended FAILED.",
                stacklevel=3,
            )
            run.end(RunStatus.FAILED)
