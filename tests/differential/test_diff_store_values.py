"""Params, tags, metrics, keys and batches, differential: each scenario runs through
MlflowClient on MLflow 3.17.2's FileStore and through tracklib.Client, and every step's
outcome (value or error class) must be the same.

Scenarios follow MLflow's tests/store/tracking/test_file_store.py (params with odd values and
line endings, long values, tags set and deleted, NaN and infinite metrics, steps, weird keys,
log_batch, artifacts as text).
"""

from __future__ import annotations

from functools import partial

import pytest
from mlflow_diff import Outcome, Side
from scenario_kit import LONG_PARAM, LONG_TAG, Registry, new_run, run_data

# Truncating a long value warns; the warning is the expected behaviour, not news here.
pytestmark = pytest.mark.filterwarnings("ignore:The value of .* characters long:UserWarning")
REGISTRY = Registry()
scenario = REGISTRY.add
kept = REGISTRY.kept_on_purpose


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


@pytest.mark.parametrize("name", REGISTRY.cases())
def test_scenario(sides: tuple[Side, Side], name: str) -> None:
    REGISTRY.compare(sides, name)


@pytest.mark.parametrize(
    "variable", ["MLFLOW_TRUNCATE_LONG_VALUES", "TRACKLIB_TRUNCATE_LONG_VALUES"]
)
@pytest.mark.parametrize("name", ["params_long_without_truncation", "tags_long_values"])
def test_no_truncation(
    sides: tuple[Side, Side], monkeypatch: pytest.MonkeyPatch, name: str, variable: str
) -> None:
    monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", "false")
    expected = REGISTRY.scenarios[name](sides[0])
    monkeypatch.delenv("MLFLOW_TRUNCATE_LONG_VALUES")
    monkeypatch.setenv(variable, "false")
    got = REGISTRY.scenarios[name](sides[1])
    assert got == expected
