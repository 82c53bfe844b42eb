"""The run page's reader: the same runs as Client.get_run, kept current as metric files grow."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import ui_store

from tracklib import Client
from tracklib.entities import Metric
from tracklib.errors import NotFoundError
from tracklib.ui.runreader import RunReader


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ui_store.Store:
    return ui_store.build(tmp_path_factory.mktemp("ui-runreader"))


def test_same_runs_as_the_client(store: ui_store.Store) -> None:
    client = Client(store.uri)
    reader = RunReader(client)
    ids = [store.parent, *store.children, store.hostile, store.long, *store.env_runs]
    for _ in range(2):  # the second time from what it kept
        for run_id in ids:
            mine, theirs = reader.get_run(run_id), client.get_run(run_id)
            assert mine.info == theirs.info and mine.data.params == theirs.data.params
            assert mine.data.tags == theirs.data.tags
            assert mine.data.metrics.keys() == theirs.data.metrics.keys()
            for key, value in theirs.data.metrics.items():
                got = mine.data.metrics[key]
                assert got == value or (math.isnan(got) and math.isnan(value))
    with pytest.raises(NotFoundError):
        reader.get_run("0" * 32)


def test_follows_appends_and_rewrites(tmp_path: Path) -> None:
    client = Client(str(tmp_path / "mlruns"))
    run_id = client.create_run("0").info.run_id
    reader = RunReader(client)
    client.log_batch(run_id, metrics=[Metric("m", float(s), 1000 + s, s) for s in range(100)])
    assert reader.get_run(run_id).data.metrics == {"m": 99.0}
    client.log_metric(run_id, "m", -5.0, step=50)  # appended, but not the latest step
    assert reader.get_run(run_id).data.metrics == {"m": 99.0}
    client.log_metric(run_id, "m", 7.0, step=500)
    client.log_metric(run_id, "n", 1.0, step=0)
    assert reader.get_run(run_id).data.metrics == {"m": 7.0, "n": 1.0}
    path = Path(client.store.run_dir(run_id)) / "metrics" / "m"  # type: ignore[attr-defined]
    path.write_text("1 3.0 0\n")  # rewritten shorter (as a foreign tool might)
    assert reader.get_run(run_id).data.metrics["m"] == client.get_run(run_id).data.metrics["m"]
    with path.open("a") as f:
        f.write("2 4.0 1\n3 5.0")  # a torn last line is not counted yet
    assert reader.get_run(run_id).data.metrics["m"] == 4.0
    with path.open("a") as f:
        f.write(" 9\n")
    assert reader.get_run(run_id).data.metrics["m"] == 5.0
    assert client.get_run(run_id).data.metrics["m"] == 5.0
