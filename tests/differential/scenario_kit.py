"""Scenarios of the store tests: a function that runs steps through one Side and returns
each step's Outcome; a registry per test module, with the differences kept on purpose
marked as strict expected failures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mlflow_diff import Outcome, Side

Scenario = Callable[[Side], list[Outcome]]
LONG_PARAM = "p" * 6001
LONG_TAG = "t" * 8001


class Registry:
    """The scenarios of one test module, and the reasons of those kept different."""

    def __init__(self) -> None:
        self.scenarios: dict[str, Scenario] = {}
        self.kept: dict[str, str] = {}

    def add(self, fn: Scenario) -> Scenario:
        """Register a scenario that must give MLflow's answers."""
        self.scenarios[fn.__name__] = fn
        return fn

    def kept_on_purpose(self, reason: str) -> Callable[[Scenario], Scenario]:
        """Register a scenario that must differ from MLflow (docs/api.md says why)."""

        def register(fn: Scenario) -> Scenario:
            self.kept[fn.__name__] = reason
            return self.add(fn)

        return register

    def cases(self) -> list[object]:
        """The scenario names as pytest parameters, kept ones as strict xfails."""
        out: list[object] = []
        for name in sorted(self.scenarios):
            if name in self.kept:
                reason = f"kept on purpose: {self.kept[name]}"
                out.append(pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason)))
            else:
                out.append(name)
        return out

    def compare(self, sides: tuple[Side, Side], name: str) -> None:
        """Run a scenario on both sides; every step must have the same outcome."""
        expected = self.scenarios[name](sides[0])
        got = self.scenarios[name](sides[1])
        for step, (want, have) in enumerate(zip(expected, got, strict=True)):
            assert have == want, f"{name} step {step}: MLflow {want}, tracklib {have}"


def new_run(side: Side, experiment_id: str = "0", name: str = "run") -> str:
    """Create a run named ``name`` (start time 1000) and remember its name."""
    run = side.client.create_run(experiment_id, start_time=1_000, run_name=name)
    run_id: str = run.info.run_id
    side.names[run_id] = name
    return run_id


def run_data(side: Side, run_id: str) -> Outcome:
    """The run as comparable data."""
    return side.outcome(lambda: side.client.get_run(run_id))
