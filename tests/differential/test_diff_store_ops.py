"""Experiments and the run lifecycle, differential: each scenario runs through MlflowClient
on MLflow 3.17.2's FileStore and through tracklib.Client, and every step's outcome (value or
error class) must be the same.

Scenarios follow MLflow's tests/store/tracking/test_file_store.py (experiment create /
rename / delete / restore, run create / update / delete / restore, malformed run folders).
"""

from __future__ import annotations

import os

import pytest
from mlflow_diff import Outcome, Side
from scenario_kit import Registry, new_run, run_data

REGISTRY = Registry()
scenario = REGISTRY.add


# ------------------------------------------------------------------ experiments
@scenario
def experiment_create_and_get(side: Side) -> list[Outcome]:
    c = side.client
    eid = c.create_experiment("exp a", tags={"k": "v"})
    return [
        side.outcome(lambda: c.get_experiment(eid)),
        side.outcome(lambda: c.get_experiment_by_name("exp a")),
        side.outcome(lambda: c.get_experiment_by_name("missing")),
        side.outcome(lambda: c.get_experiment("12345")),
        side.outcome(lambda: c.create_experiment("exp a")),
        side.outcome(lambda: c.create_experiment("")),
        side.outcome(lambda: c.create_experiment("x" * 501)),
        side.outcome(lambda: c.create_experiment("x" * 500) and None),
        side.outcome(lambda: c.create_experiment(None)),
    ]


@scenario
def experiment_rename(side: Side) -> list[Outcome]:
    c = side.client
    eid = c.create_experiment("before")
    other = c.create_experiment("taken")
    out = [
        side.outcome(lambda: c.rename_experiment(eid, "after")),
        side.outcome(lambda: c.get_experiment(eid)),
        side.outcome(lambda: c.get_experiment_by_name("before")),
        side.outcome(lambda: c.rename_experiment(eid, "taken")),
        side.outcome(lambda: c.rename_experiment(eid, "after")),
        side.outcome(lambda: c.rename_experiment("123456", "x")),
        side.outcome(lambda: c.rename_experiment(eid, "")),
        side.outcome(lambda: c.rename_experiment("0", "Default renamed")),
        side.outcome(lambda: c.get_experiment("0")),
    ]
    c.delete_experiment(other)
    out.append(side.outcome(lambda: c.rename_experiment(other, "renamed while deleted")))
    out.append(side.outcome(lambda: c.rename_experiment(eid, "taken")))
    return out


@scenario
def experiment_delete_and_restore(side: Side) -> list[Outcome]:
    c = side.client
    eid = c.create_experiment("e")
    run_id = new_run(side, eid)
    active, deleted, every = (side.views[v] for v in ("ACTIVE_ONLY", "DELETED_ONLY", "ALL"))
    return [
        side.outcome(lambda: c.restore_experiment(eid)),
        side.outcome(lambda: c.restore_experiment("0")),
        side.outcome(lambda: c.delete_experiment(eid)),
        side.outcome(lambda: c.get_experiment(eid)),
        side.outcome(lambda: c.get_run(run_id).info.lifecycle_stage),
        side.outcome(lambda: sorted(e.name for e in c.search_experiments(active))),
        side.outcome(lambda: sorted(e.name for e in c.search_experiments(deleted))),
        side.outcome(lambda: sorted(e.name for e in c.search_experiments(every))),
        side.outcome(lambda: c.create_run(eid, run_name="x") and None),
        side.outcome(lambda: c.create_experiment("e")),
        side.outcome(lambda: c.delete_experiment("123456")),
        side.outcome(lambda: c.restore_experiment(eid)),
        side.outcome(lambda: c.get_run(run_id).info.lifecycle_stage),
        side.outcome(lambda: c.restore_experiment(eid)),
        side.outcome(lambda: c.restore_experiment("123456")),
    ]


# ------------------------------------------------------------------ runs
@scenario
def run_create_and_get(side: Side) -> list[Outcome]:
    c = side.client
    tags = {"a": "1", "mlflow.user": "alice", "mlflow.source.name": "train.py"}
    run_id = c.create_run("0", start_time=123, tags=tags, run_name="named").info.run_id
    return [
        run_data(side, run_id),
        side.outcome(lambda: c.create_run("123456") and None),
        side.outcome(lambda: c.get_run("f" * 32)),
        side.outcome(lambda: c.create_run("0", tags={"mlflow.runName": "n"}).info.run_name),
        side.outcome(lambda: c.create_run("0", tags={"bad key!": "v"})),
    ]


@scenario
def run_update_and_terminate(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    return [
        side.outcome(lambda: c.update_run(run_id, status="FAILED") and None),
        side.outcome(lambda: str(c.get_run(run_id).info.status)),
        side.outcome(lambda: c.get_run(run_id).info.end_time is not None),
        side.outcome(lambda: c.update_run(run_id, name="renamed") and None),
        side.outcome(lambda: c.get_run(run_id).info.run_name),
        side.outcome(lambda: c.get_run(run_id).data.tags.get("mlflow.runName")),
        side.outcome(lambda: c.update_run(run_id, status="RUNNING") and None),
        side.outcome(lambda: str(c.get_run(run_id).info.status)),
        side.outcome(lambda: c.set_terminated(run_id, "KILLED", end_time=5_000) and None),
        side.outcome(lambda: (str(c.get_run(run_id).info.status), c.get_run(run_id).info.end_time)),
        side.outcome(lambda: c.set_terminated(run_id) and None),
        side.outcome(lambda: str(c.get_run(run_id).info.status)),
        side.outcome(lambda: c.update_run(run_id, status="bogus")),
        side.outcome(lambda: c.update_run("f" * 32, status="FINISHED")),
    ]


@scenario
def run_delete_and_restore(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    return [
        side.outcome(lambda: c.restore_run(run_id)),
        side.outcome(lambda: c.delete_run(run_id)),
        side.outcome(lambda: c.get_run(run_id).info.lifecycle_stage),
        side.outcome(lambda: c.delete_run(run_id)),
        side.outcome(lambda: c.update_run(run_id, status="FINISHED")),
        side.outcome(lambda: c.update_run(run_id, name="new name")),
        side.outcome(lambda: c.set_terminated(run_id)),
        side.outcome(lambda: c.set_tag(run_id, "a", "b")),
        side.outcome(lambda: c.log_param(run_id, "a", "b")),
        side.outcome(lambda: c.log_metric(run_id, "m", 1.0)),
        side.outcome(lambda: c.delete_tag(run_id, "mlflow.runName")),
        side.outcome(lambda: c.log_batch(run_id, params=[side.Param("x", "y")])),
        run_data(side, run_id),
        side.outcome(lambda: c.restore_run(run_id)),
        side.outcome(lambda: c.update_run(run_id, status="FINISHED") and None),
        side.outcome(lambda: c.delete_run("f" * 32)),
        side.outcome(lambda: c.restore_run("f" * 32)),
    ]


@scenario
def run_folder_without_meta(side: Side) -> list[Outcome]:
    run_id = "a" * 32
    os.makedirs(side.root / "0" / run_id / "params")
    known = new_run(side)
    side.client.get_run(known)
    out = [
        side.outcome(lambda: side.client.get_run(run_id)),
        side.outcome(lambda: side.client.log_param(run_id, "p", "v")),
        side.outcome(lambda: len(side.client.search_runs(["0"]))),
    ]
    os.unlink(side.root / "0" / known / "meta.yaml")  # a run whose meta.yaml went away
    out += [
        side.outcome(lambda: side.client.get_run(known)),
        side.outcome(lambda: side.client.set_tag(known, "t", "v")),
        side.outcome(lambda: len(side.client.search_runs(["0"]))),
    ]
    return out


@REGISTRY.kept_on_purpose(
    "tracklib refuses an unknown view type; MLflow's file store returns no experiments"
)
def kept_bad_experiment_view_type(side: Side) -> list[Outcome]:
    return [side.outcome(lambda: side.client.search_experiments("bogus"))]


@pytest.mark.parametrize("name", REGISTRY.cases())
def test_scenario(sides: tuple[Side, Side], name: str) -> None:
    REGISTRY.compare(sides, name)
