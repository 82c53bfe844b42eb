"""Experiments, run lifecycle, params, tags and metrics, differential: each scenario runs
through MlflowClient on MLflow 3.17.2's FileStore and through tracklib.Client, and every
step's outcome (value or error class) must be the same.

Scenarios follow MLflow's tests/store/tracking/test_file_store.py (experiment create /
rename / delete / restore, run create / update / delete / restore, params, tags, metrics,
log_batch, weird keys and values, malformed run folders).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial

import pytest

from tests.differential.mlflow_diff import Outcome, Side

Scenario = Callable[[Side], list[Outcome]]
SCENARIOS: dict[str, Scenario] = {}
LONG_PARAM = "p" * 6001
LONG_TAG = "t" * 8001


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def new_run(side: Side, experiment_id: str = "0", name: str = "run") -> str:
    run_id: str = side.client.create_run(experiment_id, start_time=1_000, run_name=name).info.run_id
    side.names[run_id] = name
    return run_id


def run_data(side: Side, run_id: str) -> Outcome:
    return side.outcome(lambda: side.client.get_run(run_id))


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


# ------------------------------------------------------------------ params
PARAM_VALUES = {
    "none": None,
    "int": 1,
    "float": 0.1,
    "bool": True,
    "list": [1, "a"],
    "empty": "",
    "cr": "a\rb",
    "crlf": "a\r\nb",
    "lf": "a\nb",
    "trailing_crlf": "line\r\n",
    "unicode": "ünï ☃",
    "spaces": "  padded  ",
    "limit": "v" * 6000,
    "long": LONG_PARAM,
}


@scenario
def params_values_read_back(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    out = [
        side.outcome(partial(side.client.log_param, run_id, k, v)) for k, v in PARAM_VALUES.items()
    ]
    out.append(run_data(side, run_id))
    return out


@scenario
def params_relogged(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    return [
        side.outcome(lambda: c.log_param(run_id, "p", "a\r\nb")),
        side.outcome(lambda: c.log_param(run_id, "n", 1)),
        side.outcome(lambda: c.log_param(run_id, "n", "1")),
        side.outcome(lambda: c.log_param(run_id, "n", 2)),
        side.outcome(
            lambda: c.log_batch(run_id, params=[side.Param("q", "1"), side.Param("q", "1")])
        ),
        side.outcome(lambda: c.log_batch(run_id, params=[side.Param("n", "1")])),
        run_data(side, run_id),
    ]


@scenario
def params_long_without_truncation(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    return [
        side.outcome(lambda: c.log_param(run_id, "long", LONG_PARAM)),
        side.outcome(lambda: c.log_batch(run_id, params=[side.Param("batch", LONG_PARAM)])),
        side.outcome(lambda: c.log_param(run_id, "limit", "v" * 6000)),
        run_data(side, run_id),
    ]


# ------------------------------------------------------------------ tags
@scenario
def tags_set_overwrite_delete(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    return [
        side.outcome(lambda: c.set_tag(run_id, "t", "1")),
        side.outcome(lambda: c.set_tag(run_id, "t", "a\r\nb")),
        side.outcome(lambda: c.set_tag(run_id, "n", None)),
        side.outcome(lambda: c.set_tag(run_id, "i", 5)),
        side.outcome(lambda: c.set_tag(run_id, "nested/key", "v")),
        side.outcome(lambda: c.set_tag(run_id, "mlflow.runName", "by tag")),
        run_data(side, run_id),
        side.outcome(lambda: c.delete_tag(run_id, "t")),
        side.outcome(lambda: c.delete_tag(run_id, "t")),
        side.outcome(lambda: c.delete_tag(run_id, "nested/key")),
        side.outcome(lambda: c.delete_tag(run_id, "never")),
        side.outcome(lambda: c.delete_tag("f" * 32, "t")),
        run_data(side, run_id),
    ]


@scenario
def tags_long_values(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    return [
        side.outcome(lambda: c.set_tag(run_id, "by_set_tag", LONG_TAG)),
        side.outcome(lambda: c.log_batch(run_id, tags=[side.RunTag("by_batch", LONG_TAG)])),
        side.outcome(lambda: c.set_tag(run_id, "limit", "t" * 8000)),
        side.outcome(lambda: {k: len(v) for k, v in c.get_run(run_id).data.tags.items()}),
    ]


# ------------------------------------------------------------------ metrics
METRIC_VALUES = {
    "nan": float("nan"),
    "inf": float("inf"),
    "-inf": float("-inf"),
    "int": 3,
    "neg": -1.5,
    "zero": 0.0,
    "huge": 1e308,
    "tiny": 5e-324,
    "bool": True,
    "none": None,
}


@scenario
def metrics_values(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    out = [
        side.outcome(partial(side.client.log_metric, run_id, k, v, timestamp=7, step=1))
        for k, v in METRIC_VALUES.items()
    ]
    out.append(run_data(side, run_id))
    out += [side.outcome(partial(side.client.get_metric_history, run_id, k)) for k in METRIC_VALUES]
    return out


@scenario
def metrics_steps_and_latest(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    points = [(1.0, 10, 2), (2.0, 5, 3), (3.0, 20, 1), (4.0, 5, 3), (0.5, 1, -1), (9.0, 2, 2**40)]
    out = [
        side.outcome(partial(c.log_metric, run_id, "m", v, timestamp=t, step=s))
        for v, t, s in points
    ]
    out += [
        side.outcome(lambda: c.log_metric(run_id, "m", 1.0, step=None, timestamp=1)),
        side.outcome(lambda: c.log_metric(run_id, "m", 1.0, step="2", timestamp=1)),
        side.outcome(lambda: c.get_metric_history(run_id, "m")),
        side.outcome(lambda: c.get_metric_history(run_id, "never")),
        run_data(side, run_id),
    ]
    return out


# ------------------------------------------------------------------ keys and batches
KEYS = [
    "ok",
    "with space",
    "a/b",
    "a.b-c:d",
    "",
    "bad!",
    "/lead",
    "a//b",
    "a/../b",
    "..",
    "k" * 250,
    "a\nb",
]


@scenario
def keys_for_every_kind(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    out = []
    for key in KEYS:
        out.append(side.outcome(partial(c.log_param, run_id, key, "v")))
        out.append(side.outcome(partial(c.set_tag, run_id, key, "v")))
        out.append(side.outcome(partial(c.log_metric, run_id, key, 1.0, timestamp=1)))
    out.append(run_data(side, run_id))
    return out


@scenario
def log_batch_mixed(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    metrics = [side.Metric("m", float(i), 100 + i, i) for i in range(5)]
    return [
        side.outcome(
            lambda: c.log_batch(
                run_id, metrics=metrics, params=[side.Param("p", "1")], tags=[side.RunTag("t", "x")]
            )
        ),
        side.outcome(lambda: c.log_batch(run_id)),
        side.outcome(lambda: c.log_batch("f" * 32, params=[side.Param("p", "1")])),
        side.outcome(lambda: c.get_metric_history(run_id, "m")),
        run_data(side, run_id),
    ]


@scenario
def artifacts_text_and_dict(side: Side) -> list[Outcome]:
    c = side.client
    run_id = new_run(side)
    return [
        side.outcome(lambda: c.log_text(run_id, "hello", "notes/a.txt")),
        side.outcome(lambda: c.log_text(run_id, 123, "b.txt")),
        side.outcome(lambda: c.log_text(run_id, b"bytes", "c.txt")),
        side.outcome(lambda: c.log_dict(run_id, {"a": 1}, "d.json")),
        side.outcome(lambda: sorted(f.path for f in c.list_artifacts(run_id))),
        side.outcome(lambda: sorted(f.path for f in c.list_artifacts(run_id, "notes"))),
    ]


# Differences kept on purpose (docs/api.md): each is its own scenario, expected to differ.
KEPT: dict[str, str] = {}


def kept(reason: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        KEPT[fn.__name__] = reason
        return scenario(fn)

    return register


@kept("tracklib refuses an unknown view type; MLflow's file store returns no experiments")
def kept_bad_experiment_view_type(side: Side) -> list[Outcome]:
    return [side.outcome(lambda: side.client.search_experiments("bogus"))]


@kept(
    "MLflow's file store compares a re-logged param with \\r\\n in text mode: it refuses the "
    "same value and accepts 'a\\nb' for 'a\\r\\nb'; tracklib compares exact values"
)
def kept_relog_crlf_param(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    side.client.log_param(run_id, "p", "a\r\nb")
    return [
        side.outcome(lambda: side.client.log_param(run_id, "p", "a\r\nb")),
        side.outcome(lambda: side.client.log_param(run_id, "p", "a\nb")),
    ]


@kept("tracklib refuses a string as a metric value; MLflow's client lets '1.0' through")
def kept_string_metric_value(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    return [side.outcome(lambda: side.client.log_metric(run_id, "m", "1.0", timestamp=1))]


@kept("tracklib limits tag keys to 250 characters on set_tag too, as MLflow's log_batch does")
def kept_long_tag_key_through_set_tag(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    return [side.outcome(lambda: side.client.set_tag(run_id, "k" * 251, "v"))]


@kept("step=1.5 is refused; MLflow writes a step its own reader then cannot parse")
def kept_fractional_step(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    c = side.client
    return [
        side.outcome(lambda: c.log_metric(run_id, "m", 1.0, step=1.5, timestamp=1)),
        side.outcome(lambda: c.get_metric_history(run_id, "m")),
    ]


@kept("a refused log_batch writes nothing in tracklib; MLflow leaves the params before the bad one")
def kept_refused_batch_writes_nothing(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    c = side.client
    c.log_param(run_id, "b", "old")
    bad = [side.Param("a", "1"), side.Param("b", "new")]
    return [side.outcome(lambda: c.log_batch(run_id, params=bad)), run_data(side, run_id)]


@scenario
def log_batch_larger_than_one_request(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    c = side.client
    metrics = [side.Metric("m", float(i), 1, i) for i in range(1001)]
    params = [side.Param(f"p{i}", "v") for i in range(101)]
    return [
        side.outcome(lambda: c.log_batch(run_id, metrics=metrics, params=params)),
        side.outcome(lambda: len(c.get_metric_history(run_id, "m"))),
        side.outcome(lambda: len(c.get_run(run_id).data.params)),
    ]


@kept("the file store itself takes batches larger than MLflow's 1000/100/100 limits")
def kept_large_batches_at_the_store(side: Side) -> list[Outcome]:
    run_id = new_run(side)
    store = getattr(side.client, "_tracking_client", side.client).store
    metrics = [side.Metric("m", 1.0, 1, i) for i in range(1001)]
    params = [side.Param(f"p{i}", "v") for i in range(101)]
    return [
        side.outcome(lambda: store.log_batch(run_id, metrics=metrics, params=[], tags=[])),
        side.outcome(lambda: store.log_batch(run_id, metrics=[], params=params, tags=[])),
    ]


def case(name: str) -> object:
    if name in KEPT:
        mark = pytest.mark.xfail(strict=True, reason=f"kept on purpose: {KEPT[name]}")
        return pytest.param(name, marks=mark)
    return name


@pytest.mark.parametrize("name", [case(n) for n in sorted(SCENARIOS)])
def test_scenario(sides: tuple[Side, Side], name: str) -> None:
    expected = SCENARIOS[name](sides[0])
    got = SCENARIOS[name](sides[1])
    for step, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert have == want, f"{name} step {step}: MLflow {want}, tracklib {have}"


@pytest.mark.parametrize(
    "variable", ["MLFLOW_TRUNCATE_LONG_VALUES", "TRACKLIB_TRUNCATE_LONG_VALUES"]
)
@pytest.mark.parametrize("name", ["params_long_without_truncation", "tags_long_values"])
def test_no_truncation(
    sides: tuple[Side, Side], monkeypatch: pytest.MonkeyPatch, name: str, variable: str
) -> None:
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    expected = SCENARIOS[name](sides[0])
    monkeypatch.delenv("MLFLOW_TRUNCATE_LONG_VALUES")
    monkeypatch.setenv(variable, "false")
    got = SCENARIOS[name](sides[1])
    assert got == expected
