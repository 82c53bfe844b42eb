"""search_runs against MLflow 3.17.2: the same random store queried through both libraries.

The store is written by tracklib; MLflow's own FileStore reads it. Every filter and ordering
in the tables below must give exactly MLflow's run ids, in MLflow's order.
"""

from __future__ import annotations

import marshal
import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow_helpers import run_view

import tracklib
from tracklib.entities import ViewType
from tracklib.errors import InvalidInputError
from tracklib.query import grammar
from tracklib.stores.file import runfiles, summaries

mlflow = pytest.importorskip("mlflow")
from mlflow.entities import ViewType as MlflowViewType  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

BASE_TIME = 1_700_000_000_000
VIEWS = {
    ViewType.ACTIVE_ONLY: MlflowViewType.ACTIVE_ONLY,
    ViewType.DELETED_ONLY: MlflowViewType.DELETED_ONLY,
    ViewType.ALL: MlflowViewType.ALL,
}


@dataclass
class Store:
    """The generated store, a client of each library on it, and facts to build filters."""

    root: Path
    ours: tracklib.Client
    theirs: Any
    experiment_ids: list[str]
    run_ids: list[str]
    median_start: int


def _value(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.08:
        return math.nan
    if roll < 0.12:
        return 0.25  # repeated on purpose: ties under ordering
    return round(rng.uniform(-1.0, 2.0), 3)


def _build(root: Path) -> Store:
    """~40 runs, 2 experiments: missing keys, NaN, negatives, start-time ties, statuses."""
    rng = random.Random(20240517)
    client = tracklib.Client(root)
    experiment_ids = ["0", client.create_experiment("other")]
    names = ["lstm_a", "lstm-b", "LSTM big", "cnn%1", "cnn_2", "gru", "Gru", "x_y"]
    run_ids = []
    for i in range(42):
        tags = {"team": rng.choice(["vision", "nlp"])} if rng.random() < 0.6 else {}
        if rng.random() < 0.3:
            tags["priority"] = rng.choice(["high", "low", "High"])
        run = client.create_run(
            experiment_ids[i % 3 == 0],
            start_time=BASE_TIME + rng.randrange(12) * 1000,  # many ties
            tags=tags,
            run_name=rng.choice(names) + ("" if rng.random() < 0.5 else f"_{i}"),
            user_id=rng.choice(["alice", "bob", "carol"]),
        )
        run_id = run.info.run_id
        run_ids.append(run_id)
        params = {
            "lr": rng.choice(["0.1", "0.01", "1e-3", "0.001"]),
            "optimizer": rng.choice(["adam", "Adam", "sgd", "a_b", "a%b"]),
            "layers": str(rng.randrange(1, 5)),
            "my key": rng.choice(["x y", "x", "X Y"]),
            "train/bs": rng.choice(["32", "64"]),
        }
        for key, value in params.items():
            if rng.random() < 0.75:
                client.log_param(run_id, key, value)
        for key in ("loss", "acc", "train/mae", "val loss"):
            if rng.random() < 0.8:
                for step in range(rng.randrange(1, 4)):
                    client.log_metric(run_id, key, _value(rng), step=step, timestamp=BASE_TIME)
        status = rng.choice(["FINISHED", "FINISHED", "FAILED", "KILLED", "RUNNING"])
        if status != "RUNNING":
            end = BASE_TIME + 60_000 + rng.randrange(5) * 1000
            client.set_terminated(run_id, status, end_time=end)
    for run_id in rng.sample(run_ids, 3):
        client.delete_run(run_id)
    starts = sorted(client.get_run(r).info.start_time for r in run_ids)
    theirs = mlflow.MlflowClient(tracking_uri=root.as_uri())
    return Store(root, client, theirs, experiment_ids, run_ids, starts[len(starts) // 2])


@pytest.fixture(scope="module", params=["files", "summaries"])
def store(tmp_path_factory: pytest.TempPathFactory, request: Any) -> Iterator[Store]:
    """The store, searched from its files, or (second pass) from the summary cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        patch.setenv("TRACKLIB_CAPTURE_ENV", "0")
        built = _build(tmp_path_factory.mktemp("search") / "mlruns")
        if request.param == "summaries":
            patch.setenv(summaries.CACHE_DIR_VAR, str(tmp_path_factory.mktemp("cache")))
            patch.setattr(summaries, "MIN_RUNS", 0)
            patch.setattr(summaries, "SETTLE_NS", 0)
            time.sleep(0.05)  # past the timestamp tick of the last write
            built.ours.search_runs(built.experiment_ids, "", ViewType.ALL, 1000)
            cached = (Path(summaries.cache_base()) / "search").glob("*.marshal")
            entries = sum(len(marshal.loads(path.read_bytes())[2]) for path in cached)
            assert entries == len(built.run_ids)  # every run is now summarised
        yield built


def _ids(runs: Sequence[Any]) -> list[str]:
    return [r.info.run_id for r in runs]


def both(
    store: Store,
    filter_string: str = "",
    order_by: list[str] | None = None,
    view: ViewType = ViewType.ALL,
    experiment_ids: list[str] | None = None,
) -> tuple[list[str], list[str]]:
    ids = experiment_ids or store.experiment_ids
    ours = store.ours.search_runs(ids, filter_string, view, 1000, order_by)
    theirs = store.theirs.search_runs(ids, filter_string, VIEWS[view], 1000, order_by)
    return _ids(ours), _ids(theirs)


# Placeholders: {median} a start time in the middle, {id0}.. run ids.
FILTERS = [
    "",
    "metrics.loss < 0.5",
    "metrics.loss >= 0",
    "metrics.loss != 0.25",
    "metrics.loss = 0.25",
    "metrics.`train/mae` <= 1.5",
    "metrics.`val loss` > -0.5",
    "metrics.acc > -1e-1",
    "metric.loss>0.1",
    "metrics.nonexistent > 0",
    "params.optimizer = 'adam'",
    "params.optimizer != 'adam'",
    "params.optimizer LIKE 'a%'",
    "params.optimizer ILIKE 'A%'",
    "params.optimizer like 'a_b'",
    "params.optimizer LIKE '%\\%%'",
    "params.lr LIKE '%1'",
    'params.optimizer = "sgd"',
    "params.`my key` = 'x y'",
    "params.\"my key\" ILIKE 'x%'",
    "params.`train/bs` = '64'",
    "params.lr IS NULL",
    "params.lr is not null and tags.team IS NULL",
    "tags.team = 'vision'",
    "tags.team != 'vision'",
    "tags.priority ILIKE 'high'",
    "tags.`mlflow.runName` LIKE 'lstm%'",
    "tags.mlflow.runName ILIKE '%LSTM%'",
    "attributes.status = 'FINISHED'",
    "status != 'RUNNING'",
    "attributes.status LIKE 'F%'",
    "attribute.run_name = 'lstm_a'",
    "run_name LIKE 'cnn_%'",
    "attributes.`Run name` ILIKE '%gru%'",
    "attributes.start_time > {median}",
    "created <= {median}",
    "end_time > 0",
    "attributes.end_time < " + str(BASE_TIME + 62_000),
    "attributes.user_id = 'alice'",
    "attr.artifact_uri LIKE '%/artifacts'",
    "attributes.run_id IN ('{id0}', '{id1}', \"{id2}\")",
    "run_id NOT IN ('{id0}')",
    "run.run_id = '{id3}'",
    "metrics.loss < 1 AND params.optimizer = 'sgd' and tags.team != 'nlp'",
    "metrics.loss > 0.2 AND metrics.acc < 0.9 AND attributes.status = 'FINISHED'",
    "params.lr = '0.1' AND metrics.`train/mae` >= -1 AND user_id != 'bob'",
]

ORDERINGS = [
    ["metrics.loss"],
    ["metrics.loss DESC"],
    ["metrics.`train/mae` desc"],
    ["params.optimizer ASC", "metrics.acc DESC"],
    ["params.lr DESC", "metrics.loss ASC"],
    ["tags.team"],
    ["tags.team DESC", "tags.priority"],
    ["attributes.start_time ASC"],
    ["start_time"],
    ["created DESC"],
    ["end_time DESC"],
    ["status", "run_name DESC"],
    ["attribute.run_id"],
    ["user_id DESC", "metrics.`val loss`"],
    ["artifact_uri"],
    ["metrics.missing_everywhere DESC"],
]


def _fill(store: Store, template: str) -> str:
    ids = {f"id{i}": run_id for i, run_id in enumerate(store.run_ids)}
    return template.format(median=store.median_start, **ids)


@pytest.mark.parametrize("template", FILTERS)
def test_filter_matches_mlflow(store: Store, template: str) -> None:
    ours, theirs = both(store, _fill(store, template))
    assert ours == theirs


def test_filters_select_different_runs(store: Store) -> None:
    # A guard on the table itself: filters that all returned everything would prove little.
    sizes = {len(both(store, _fill(store, t))[1]) for t in FILTERS}
    assert len(sizes) > 10


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("template", ["", "metrics.loss > 0", "tags.team = 'nlp'"])
def test_view_types_match_mlflow(store: Store, view: ViewType, template: str) -> None:
    ours, theirs = both(store, template, ["metrics.acc"], view)
    assert ours == theirs


@pytest.mark.parametrize("order_by", ORDERINGS, ids=lambda o: ",".join(o))
@pytest.mark.parametrize("template", ["", "params.optimizer != 'sgd'"])
def test_order_by_matches_mlflow(store: Store, order_by: list[str], template: str) -> None:
    ours, theirs = both(store, template, order_by)
    assert ours == theirs


def test_one_experiment_only(store: Store) -> None:
    ours, theirs = both(store, "metrics.loss > -2", ["metrics.loss"], ViewType.ALL, ["0"])
    assert ours == theirs


def test_returned_runs_are_complete(store: Store) -> None:
    # The fast path reads only the files a query names; what it returns must still be whole.
    order = ["metrics.loss DESC"]
    ours = store.ours.search_runs(store.experiment_ids, "params.lr = '0.1'", "ALL", 50, order)
    theirs = store.theirs.search_runs(
        store.experiment_ids, "params.lr = '0.1'", MlflowViewType.ALL, 50, order
    )
    assert ours and [run_view(r) for r in ours] == [run_view(r) for r in theirs]


@pytest.mark.parametrize("order_by", [None, ["metrics.loss"], ["params.optimizer DESC"]])
def test_pages_match_mlflow(store: Store, order_by: list[str] | None) -> None:
    def pages(search: Any, view: Any) -> list[list[str]]:
        result, token = [], None
        while True:
            page = search(store.experiment_ids, "", view, 7, order_by, token)
            result.append(_ids(page))
            token = page.token
            if not token:
                return result

    ours = pages(store.ours.search_runs, ViewType.ALL)
    theirs = pages(store.theirs.search_runs, MlflowViewType.ALL)
    assert len(ours) > 3
    assert ours == theirs


def test_fluent_search_runs_filters_and_orders(store: Store) -> None:
    tracklib.set_tracking_uri(str(store.root))
    found = tracklib.search_runs(
        experiment_ids=store.experiment_ids,
        filter_string="metrics.loss < 1",
        order_by=["metrics.loss"],
        max_results=5,
    )
    assert (
        _ids(found)
        == both(store, "metrics.loss < 1", ["metrics.loss"], ViewType.ACTIVE_ONLY)[1][:5]
    )


# ------------------------------------------------------------------ malformed input
MALFORMED = [
    # (filter, the text the caret must point at)
    ("metrics.loss < 'x'", "'x'"),
    ("metrics.loss <", ""),
    ("params.lr = 0.1", "0.1"),
    ("params.lr = adam", "adam"),
    ("metrics.loss > 1 OR metrics.acc < 2", "OR"),
    ("(metrics.loss > 1)", "("),
    ("foo.bar = 'x'", "foo"),
    ("METRICS.loss > 1", "METRICS"),
    ("attributes.lifecycle_stage = 'active'", "attributes"),
    ("attributes.experiment_id = '0'", "attributes"),
    ("params.lr IN ('0.1')", "IN"),
    ("attributes.status IN ('FINISHED')", "IN"),
    ("metrics.loss IS NULL", "IS"),
    ("params.lr LIKE", ""),
    ("metrics.loss LIKE 1", "LIKE"),
    ("end_time = 'x'", "'x'"),
    ("run_id = 123", "123"),
    ("params.lr = '0.1'; metrics.loss > 1", ";"),
    ("params.lr == '0.1'", "=="),
    ("params.lr <> '0.1'", "<>"),
    ("metrics.loss > 0x10", "0x10"),
    ("run_id IN ()", ")"),
    ("params.lr = 'unterminated", "'unterminated"),
]


@pytest.mark.parametrize(("filter_string", "offender"), MALFORMED)
def test_malformed_filter_points_at_position(
    store: Store, filter_string: str, offender: str
) -> None:
    with pytest.raises(MlflowException):  # MLflow refuses it too (on a store with runs)
        store.theirs.search_runs(store.experiment_ids, filter_string, MlflowViewType.ALL)
    with pytest.raises(InvalidInputError) as raised:
        store.ours.search_runs(store.experiment_ids, filter_string, "ALL")
    position = filter_string.index(offender) if offender else len(filter_string)
    message = str(raised.value)
    assert f"at position {position}:" in message
    caret_line = message.splitlines()[-1]
    assert caret_line.index("^") - 4 == position
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    "filter_string",
    # MLflow's tokenizer lets these through by accident; tracklib refuses them.
    [
        "metrics.loss > 1 AND",
        "metrics.loss > 1 AND AND metrics.acc > 0",
        "params.a = 'x' tags.b = 'y'",
    ],
)
def test_tracklib_is_stricter_on_dangling_and(store: Store, filter_string: str) -> None:
    with pytest.raises(InvalidInputError, match="position"):
        store.ours.search_runs(store.experiment_ids, filter_string)


@pytest.mark.parametrize(
    "order_by",
    [
        "metrics.loss DESCENDING",
        "metrics.loss ASC DESC",
        "metrics.loss, metrics.acc",
        "timestamp",
        "experiment_id",
        "`Run name`",
        "metrics.loss > 1",
    ],
)
def test_malformed_order_by(store: Store, order_by: str) -> None:
    with pytest.raises(MlflowException):
        store.theirs.search_runs(store.experiment_ids, "", MlflowViewType.ALL, 10, [order_by])
    with pytest.raises(InvalidInputError, match="position"):
        store.ours.search_runs(store.experiment_ids, "", "ALL", 10, [order_by])


def test_parse_once_gives_the_same_query() -> None:
    text = "metrics.loss < 1 and params.lr = '0.1'"
    assert grammar.parse_filter(text) is grammar.parse_filter(text)
    assert [c.key for c in grammar.parse_filter(text)] == ["loss", "lr"]


# ------------------------------------------------------------------ pandas
def test_pandas_output_matches_mlflow(store: Store) -> None:
    pd = pytest.importorskip("pandas")
    order = ["metrics.loss DESC"]
    ours = store.ours.search_runs(
        store.experiment_ids,
        "metrics.loss > -5",
        "ACTIVE_ONLY",
        order_by=order,
        output_format="pandas",
    )
    mlflow.set_tracking_uri(store.root.as_uri())
    try:
        theirs = mlflow.search_runs(
            experiment_ids=store.experiment_ids, filter_string="metrics.loss > -5", order_by=order
        )
    finally:
        mlflow.set_tracking_uri(None)
    assert isinstance(ours, pd.DataFrame)
    assert list(ours.columns[:6]) == list(theirs.columns[:6])
    assert set(ours.columns) == set(theirs.columns)
    pd.testing.assert_frame_equal(ours, theirs[list(ours.columns)], check_dtype=False)


def test_pandas_missing_names_the_extra(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match=r"tracklib-ml\[pandas\]"):  # the distribution
        store.ours.search_runs(store.experiment_ids, output_format="pandas")


def test_unknown_output_format(store: Store) -> None:
    with pytest.raises(InvalidInputError, match="output_format"):
        store.ours.search_runs(store.experiment_ids, output_format="csv")


# ------------------------------------------------------------------ fast meta.yaml reading
@pytest.mark.parametrize(
    "value",
    [
        "lstm_a",
        "LSTM big",
        "yes",
        "No",
        "null",
        "~",
        "1:20",
        "0x1F",
        "1.5",
        "-3",
        "007",
        "+5",
        "2024-01-01",
        "file:///tmp/a b/artifacts",
        "a: b",
        "a #b",
        "it's",
        "",
        " lead",
        "trail ",
        "é",
        "[]",
        "{}",
        ".inf",
        "a\\nb",
        12,
        -4,
        None,
        [],
        True,
    ],
)
def test_flat_meta_reader_agrees_with_pyyaml(value: Any) -> None:
    yaml = pytest.importorskip("yaml")
    for text in (yaml.safe_dump({"run_name": value, "start_time": 5}), f"run_name: {value}\n"):
        try:
            expected = yaml.safe_load(text)
        except yaml.YAMLError:
            expected = None
        fast = runfiles.parse_flat_meta(text.encode())
        assert fast is None or fast == expected, text
