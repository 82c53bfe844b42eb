"""Searches of an experiment big enough for tracklib's search summary cache (100+ runs),
differential: the first search reads the run folders and fills the cache, the second answers
from it; both must return what MLflow 3.17.2's FileStore returns.

Follows MLflow's test_search_with_max_results / test_search_runs_pagination (SQL store
tests): many runs, every page size, walking the pages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from mlflow_diff import Outcome, Side, both_sides

from tracklib.stores.file import summaries

RUNS = 120
FILTERS = [
    "",
    "params.group = 'g3'",
    "params.group LIKE 'g1%'",
    "params.group != 'g0' AND metrics.score > 50",
    "metrics.score <= 10",
    "tags.parity = 'even'",
    "tags.parity IS NULL",
    "attributes.status = 'FINISHED'",
    "attributes.start_time > 100060",
]
ORDERS = [[], ["metrics.score DESC"], ["params.group", "tags.parity DESC"]]


@dataclass
class BigPair:
    mlflow: Side
    tracklib: Side
    ids: dict[str, str]  # side name -> experiment id


@pytest.fixture(scope="module")
def big_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigPair]:
    work = tmp_path_factory.mktemp("big-pair")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        patch.setenv("TRACKLIB_CACHE_DIR", str(work / "cache"))
        patch.setenv("TRACKLIB_SEARCH_CACHE", "1")
        # Cache every run at once; by default a run is cached once its files are 2 s old.
        patch.setattr(summaries, "SETTLE_NS", 0)
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        ml, tl = both_sides(work)
        ids = {side.name: fill(side) for side in (ml, tl)}
        yield BigPair(ml, tl, ids)


def fill(side: Side) -> str:
    client = side.client
    experiment_id: str = client.create_experiment("big")
    for i in range(RUNS):
        tags = {"parity": "even"} if i % 2 == 0 else {}
        run = client.create_run(experiment_id, start_time=100_000 + i, tags=tags, run_name=f"b{i}")
        run_id = run.info.run_id
        side.names[run_id] = f"b{i}"
        client.log_batch(
            run_id,
            metrics=[side.Metric("score", float((i * 37) % 101), 1, 0)],
            params=[side.Param("group", f"g{i % 7}")],
        )
        if i % 3 == 0:
            client.set_terminated(run_id, "FINISHED", end_time=200_000 + i)
    return experiment_id


def search(pair: BigPair, side: Side, filter_string: str, order: list[str], size: int) -> Outcome:
    def walk() -> list[list[str]]:
        pages, token = [], None
        while True:
            runs = side.client.search_runs(
                [pair.ids[side.name]], filter_string, side.views["ALL"], size, order, token
            )
            pages.append([side.names[r.info.run_id] for r in runs])
            token = runs.token
            if not token:
                return pages

    return side.outcome(walk)


def check(big_pair: BigPair, filter_string: str, order: list[str], size: int) -> None:
    expected = search(big_pair, big_pair.mlflow, filter_string, order, size)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(summaries, "SETTLE_NS", 0)
        first = search(big_pair, big_pair.tracklib, filter_string, order, size)
        second = search(big_pair, big_pair.tracklib, filter_string, order, size)
    assert first == expected
    assert second == expected


@pytest.mark.parametrize("order", ORDERS, ids=repr)
@pytest.mark.parametrize("filter_string", FILTERS, ids=repr)
def test_cached_search_matches_mlflow(
    big_pair: BigPair, filter_string: str, order: list[str]
) -> None:
    check(big_pair, filter_string, order, 1000)


@pytest.mark.parametrize("order", ORDERS, ids=repr)
def test_cached_pages_match_mlflow(big_pair: BigPair, order: list[str]) -> None:
    check(big_pair, "params.group != 'g0'", order, 25)


def test_the_cache_was_used(big_pair: BigPair) -> None:
    # A search after the fixture's writes fills the cache file; later searches read it.
    search(big_pair, big_pair.tracklib, "", [], 1000)
    folder = big_pair.tracklib.root / big_pair.ids["tracklib"]
    cache = summaries.open_cache(str(folder), RUNS)
    assert cache is not None and len(cache.entries) == RUNS
