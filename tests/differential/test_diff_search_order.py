"""search_runs ordering and paging, differential against MLflow 3.17.2's FileStore.

Cases follow MLflow's test_correct_sorting, test_order_by_metric_with_nans_infs_nones,
test_invalid_order_by_search_runs, test_space_order_by_search_runs, test_pagination and
test_invalid_page_tokens (tests/utils/test_search_utils.py), and the max_results limits of
its stores (0 gives an empty page; above 50,000 is refused).
"""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest
from mlflow_diff import Outcome, Side
from search_data import SearchPair

KEYS = [
    "metrics.acc",
    "metrics.loss",
    "metric.`spacey name`",
    "metrics.int_metric",
    "params.model",
    "params.lr",
    "param.cr",
    "params.`p.a.r.a.m`",
    "tags.team",
    "tags.note",
    "tags.noSuchTag",
    "attributes.status",
    "attributes.start_time",
    "attributes.end_time",
    "attributes.run_name",
    "attributes.user_id",
    "attribute.created",
    "run.status",
    "start_time",
    "end_time",
    "run_name",
    "status",
    "created",
    "Created",
]
DIRECTIONS = ["", " ASC", " DESC", " asc", " desc", " aSc", "  DESC"]

SINGLE = [k + d for k, d in itertools.product(KEYS, DIRECTIONS)]
MULTI = [
    ["params.model", "attributes.status DESC"],
    ["params.model aSc", "attributes.status  ASC"],
    ["params.model DESC", "attributes.status   DESC"],
    ["params.`model` DESC", "attributes.status DESC"],
    ["tags.team", "metrics.acc DESC"],
    ["metrics.acc DESC", "params.lr"],
    ["attributes.end_time", "start_time DESC"],
    ['metrics."acc"  desc'],
    ["metrics.`acc` DESC", "metrics.loss"],
    [],
]
ERRORS = [
    "m.acc",
    "acc",
    "attri.x",
    "`metrics.A",
    "`metrics.A`",
    "attribute.start",
    "attribute.experiment_id",
    "metrics.A != 1",
    "params.my_param ",
    " params.my_param",
    "metrics.acc DESC ",
    "attribute.run_id ACS",
    "attribute.run_id decs",
    "metrics.acc DESC ASC",
    "metrics.acc, params.lr",
    "",
    "   ",
    "Run name",
    "`Run name`",
    "attributes.`run name`",
    "datasets.name",
    "timestamp",
    "timestamp DESC",
    "metrics.acc DESCENDING",
    "params.model = 'LR'",
]


def ordered_names(side: Side, pair: SearchPair, order_by: list[str], **kw: Any) -> Outcome:
    ids = list(pair.experiments[side.name].values())
    return side.outcome(
        lambda: [
            side.names[r.info.run_id]
            for r in side.client.search_runs(ids, "", side.views["ALL"], 1000, order_by, **kw)
        ]
    )


def check(pair: SearchPair, order_by: list[str]) -> None:
    expected = ordered_names(pair.mlflow, pair, order_by)
    got = ordered_names(pair.tracklib, pair, order_by)
    assert got == expected, f"order_by {order_by!r}: MLflow {expected}, tracklib {got}"


@pytest.mark.parametrize("order_by", SINGLE + ERRORS, ids=repr)
def test_order_by(search_pair: SearchPair, order_by: str) -> None:
    check(search_pair, [order_by])


@pytest.mark.parametrize("order_by", MULTI, ids=repr)
def test_order_by_several_keys(search_pair: SearchPair, order_by: list[str]) -> None:
    check(search_pair, order_by)


@pytest.mark.parametrize("order_by", ["metrics.", "params.", "tags."], ids=repr)
@pytest.mark.xfail(
    strict=True,
    reason="kept on purpose: tracklib refuses an order_by with no key, which MLflow accepts "
    "(docs/query.md)",
)
def test_order_by_without_a_key(search_pair: SearchPair, order_by: str) -> None:
    check(search_pair, [order_by])


@pytest.mark.parametrize("max_results", [-1, -5])
@pytest.mark.xfail(
    strict=True,
    reason="kept on purpose: a negative max_results raises in tracklib; MLflow's file store "
    "slices runs[:-n] (docs/query.md)",
)
def test_negative_max_results(search_pair: SearchPair, max_results: int) -> None:
    expected = page_outcome(search_pair.mlflow, search_pair, max_results, None)
    got = page_outcome(search_pair.tracklib, search_pair, max_results, None)
    assert got == expected


def page_outcome(side: Side, pair: SearchPair, max_results: int, token: str | None) -> Outcome:
    ids = list(pair.experiments[side.name].values())

    def one_page() -> tuple[list[str], Any]:
        runs = side.client.search_runs(
            ids, "", side.views["ALL"], max_results, ["params.model"], token
        )
        names = [side.names[r.info.run_id] for r in runs]
        return names, None if runs.token is None else json.loads(base64.b64decode(runs.token))

    return side.outcome(one_page)


def token(payload: Any) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


MAX_RESULTS = [0, 1, 2, 3, 9, 10, 11, 1000, 50_000, 50_001, 10**9]
TOKENS: list[str | None] = [
    None,
    token({"offset": 1}),
    token({"offset": 3}),
    token({"offset": 10}),
    token({"offset": 99}),
]
BAD_TOKENS: list[str | None] = [
    token({}),
    token({"offset": "a"}),
    token({"offsoot": 7}),
    base64.b64encode(b"not json").decode(),
    "not base64",
    token([1]),
]


@pytest.mark.parametrize("page_token", TOKENS + BAD_TOKENS)
@pytest.mark.parametrize("max_results", MAX_RESULTS)
def test_paging(search_pair: SearchPair, max_results: int, page_token: str | None) -> None:
    expected = page_outcome(search_pair.mlflow, search_pair, max_results, page_token)
    got = page_outcome(search_pair.tracklib, search_pair, max_results, page_token)
    assert got == expected


def test_walking_every_page_gives_mlflow_order(search_pair: SearchPair) -> None:
    walks = []
    for side in (search_pair.mlflow, search_pair.tracklib):
        ids = list(search_pair.experiments[side.name].values())
        names: list[str] = []
        page_token = None
        while True:
            runs = side.client.search_runs(
                ids, "", side.views["ALL"], 3, ["metrics.acc DESC"], page_token
            )
            names += [side.names[r.info.run_id] for r in runs]
            page_token = runs.token
            if not page_token:
                break
        walks.append(names)
    assert walks[1] == walks[0]
    assert len(walks[0]) == 10
