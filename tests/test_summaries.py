"""The search summary cache (tracklib.stores.file.summaries): never stale, never in the way.

MLflow 3.17.2 writes into runs that tracklib has cached; every search afterwards must equal
both MLflow's own answer and tracklib's answer without the cache.
"""

from __future__ import annotations

import marshal
import os
import time
from pathlib import Path
from typing import Any

import pytest
from mlflow_helpers import run_view

import tracklib
from tracklib.entities import ViewType
from tracklib.stores.file import summaries

mlflow = pytest.importorskip("mlflow")
from mlflow.entities import ViewType as MlflowViewType  # noqa: E402

TICK_S = 0.05  # longer than any file system's timestamp tick


@pytest.fixture
def cache_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cache every run of any experiment, however small and however recently written."""
    monkeypatch.setattr(summaries, "MIN_RUNS", 0)
    monkeypatch.setattr(summaries, "SETTLE_NS", 0)


def _store(root: Path, runs: int = 8) -> tuple[tracklib.Client, list[str]]:
    client = tracklib.Client(root)
    ids = []
    for i in range(runs):
        run_id = client.create_run("0", tags={"team": "vision", "seed": str(i)}).info.run_id
        client.log_batch(
            run_id,
            metrics=[tracklib.Metric("loss", 1.0 / (i + 1), 1_700_000_000_000, 0)],
            params=[tracklib.Param("lr", f"0.{i}"), tracklib.Param("layers", str(i % 3))],
        )
        client.log_metric(run_id, "val/loss", 0.5 + i, step=1)
        client.set_terminated(run_id)
        ids.append(run_id)
    return client, ids


def _search(client: tracklib.Client, filter_string: str = "") -> list[dict[str, Any]]:
    runs = client.search_runs(["0"], filter_string, ViewType.ALL, 1000)
    return [run_view(r) for r in runs]


def _mlflow_search(root: Path, filter_string: str = "") -> list[dict[str, Any]]:
    theirs = mlflow.MlflowClient(tracking_uri=root.as_uri())
    runs = theirs.search_runs(["0"], filter_string, MlflowViewType.ALL, 1000)
    return [run_view(r) for r in runs]


def _cache_entries() -> dict[str, Any]:
    folder = Path(summaries.cache_base()) / "search"
    files = list(folder.glob("*.marshal"))
    assert len(files) <= 1
    if not files:
        return {}
    entries: dict[str, Any] = marshal.loads(files[0].read_bytes())[2]
    return entries


def _count_summarised(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    summarised: list[str] = []
    original = summaries.SummaryCache._summarise

    def counting(self: summaries.SummaryCache, run_dir: str, run_id: str) -> Any:
        summarised.append(run_id)
        return original(self, run_dir, run_id)

    monkeypatch.setattr(summaries.SummaryCache, "_summarise", counting)
    return summarised


def test_mlflow_writes_into_cached_runs_are_seen(
    tmp_path: Path, cache_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "mlruns"
    client, ids = _store(root)
    time.sleep(TICK_S)
    first = _search(client)
    assert set(_cache_entries()) == set(ids)
    time.sleep(TICK_S)

    theirs = mlflow.MlflowClient(tracking_uri=root.as_uri())
    theirs.set_tag(ids[0], "team", "speech")  # rewritten in place, same size
    theirs.log_metric(ids[1], "loss", 0.001, step=5)  # appended in place
    theirs.log_param(ids[2], "optimizer", "adam")  # a new key
    theirs.delete_run(ids[3])  # meta.yaml rewritten
    theirs.delete_tag(ids[4], "seed")  # a file removed
    theirs.log_metric(ids[5], "val/acc", 0.9)  # a new key one folder down
    theirs.set_terminated(ids[6], "FAILED")
    new_run = theirs.create_run("0").info.run_id
    changed = {*ids[:7], new_run}

    summarised = _count_summarised(monkeypatch)
    cached = _search(client)
    assert set(summarised) == changed  # ids[7] came from its summary
    assert cached != first
    assert cached == _mlflow_search(root)
    monkeypatch.setenv(summaries.SWITCH_VAR, "0")
    assert cached == _search(client)
    assert _search(client, "tags.team = 'speech'") == _mlflow_search(root, "tags.team = 'speech'")


def test_unchanged_runs_are_not_read_again(
    tmp_path: Path, cache_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = _store(tmp_path / "mlruns")
    time.sleep(TICK_S)
    first = _search(client, "metrics.loss < 0.5")
    summarised = _count_summarised(monkeypatch)
    assert _search(client, "metrics.loss < 0.5") == first
    assert summarised == []
    assert len(first) == 6


def test_recently_written_runs_are_not_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summaries, "MIN_RUNS", 0)  # SETTLE_NS keeps its default
    root = tmp_path / "mlruns"
    client, ids = _store(root, runs=3)
    assert len(_search(client)) == 3
    assert _cache_entries() == {}
    theirs = mlflow.MlflowClient(tracking_uri=root.as_uri())
    theirs.set_tag(ids[0], "team", "speech")  # within the same tick as the first write
    assert _search(client) == _mlflow_search(root)


def test_small_experiments_and_the_switch_write_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summaries, "SETTLE_NS", 0)
    client, _ = _store(tmp_path / "mlruns", runs=3)
    time.sleep(TICK_S)
    _search(client)  # 3 runs < MIN_RUNS
    assert _cache_entries() == {}
    monkeypatch.setattr(summaries, "MIN_RUNS", 0)
    monkeypatch.setenv(summaries.SWITCH_VAR, "0")
    _search(client)
    assert _cache_entries() == {}


@pytest.mark.parametrize("content", [b"", b"not marshal", marshal.dumps((0, "x", {}))])
def test_a_corrupt_or_foreign_cache_file_is_rebuilt(
    tmp_path: Path, cache_now: None, content: bytes
) -> None:
    root = tmp_path / "mlruns"
    client, ids = _store(root, runs=3)
    time.sleep(TICK_S)
    expected = _search(client)
    (path,) = (Path(summaries.cache_base()) / "search").glob("*.marshal")
    path.write_bytes(content)
    assert _search(client) == expected
    assert set(_cache_entries()) == set(ids)


def test_an_unwritable_cache_folder_is_no_error(
    tmp_path: Path, cache_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(summaries.CACHE_DIR_VAR, os.fspath(blocker))
    root = tmp_path / "mlruns"
    client, _ = _store(root, runs=3)
    time.sleep(TICK_S)
    assert _search(client) == _mlflow_search(root)
    assert _search(client) == _mlflow_search(root)


def test_malformed_entries_are_read_from_the_files(tmp_path: Path, cache_now: None) -> None:
    root = tmp_path / "mlruns"
    client, ids = _store(root, runs=3)
    time.sleep(TICK_S)
    expected = _search(client)
    (path,) = (Path(summaries.cache_base()) / "search").glob("*.marshal")
    key = os.path.realpath(root / "0")
    entries = {ids[0]: ("x",), ids[1]: (1, 2, 3, 4, 5, 6), ids[2]: None}
    for junk in (entries, [1, 2], None, "text"):
        path.write_bytes(marshal.dumps((summaries._FORMAT, key, junk)))
        assert _search(client) == expected
        assert set(_cache_entries()) == set(ids)


def test_a_param_caught_empty_mid_rewrite_is_not_cached(
    tmp_path: Path, cache_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow rewrites a param file in place when the same value is logged again."""
    root = tmp_path / "mlruns"
    client, ids = _store(root, runs=2)
    time.sleep(TICK_S)
    param_file = root / "0" / ids[0] / "params" / "lr"
    watched = summaries._watched_paths

    def truncated_meanwhile(run_dir: str) -> list[str]:
        paths = watched(run_dir)
        if run_dir.endswith(ids[0]):
            param_file.write_bytes(b"")  # open(path, "w"): the write has not landed yet
        return paths

    monkeypatch.setattr(summaries, "_watched_paths", truncated_meanwhile)
    _search(client)
    monkeypatch.setattr(summaries, "_watched_paths", watched)
    param_file.write_bytes(b"0.0")  # ...and now it has
    assert set(_cache_entries()) == {ids[1]}
    assert _search(client) == _mlflow_search(root)


def _damage(root: Path, run_id: str, how: str) -> None:
    run_dir = root / "0" / run_id
    if how == "metric line":
        with open(run_dir / "metrics" / "loss", "ab") as f:
            f.write(b"garbage line\n")
    elif how == "tag encoding":
        (run_dir / "tags" / "note").write_bytes(b"caf\xe9")
    elif how == "dangling symlink":
        os.symlink(root / "nowhere", run_dir / "params" / "dangling")
    else:  # moved into another experiment's folder: its meta.yaml names the old one
        os.rename(run_dir, root / how / run_id)


@pytest.mark.parametrize("how", ["metric line", "tag encoding", "dangling symlink", "moved"])
def test_unreadable_runs_page_alike_with_and_without_the_cache(
    tmp_path: Path, cache_now: None, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    root = tmp_path / "mlruns"
    client, ids = _store(root, runs=4)
    experiments = ["0"]
    if how == "moved":
        experiments.insert(0, client.create_experiment("other"))
        how = experiments[0]
    _damage(root, ids[0], how)
    time.sleep(TICK_S)

    def pages() -> list[Any]:
        found: list[Any] = []
        for filter_string in ("", "params.layers = '1'"):
            for size in (1, 2, 3):
                token = None
                while True:
                    try:
                        runs = client.search_runs(experiments, filter_string, "ALL", size,
                                                  page_token=token)  # fmt: skip
                    except ValueError as exc:  # a whole page that cannot be read
                        found.append(type(exc).__name__)
                        break
                    found.append([r.info.run_id for r in runs])
                    token = runs.token
                    if token is None:
                        break
        return found

    cached = pages()
    cached_again = pages()
    monkeypatch.setenv(summaries.SWITCH_VAR, "0")
    assert cached == cached_again == pages()


def test_a_run_moved_to_another_experiment_is_skipped_before_paging_as_in_mlflow(
    tmp_path: Path, cache_now: None
) -> None:
    root = tmp_path / "mlruns"
    client, _ = _store(root, runs=3)
    other = client.create_experiment("other")
    first = client.search_runs(["0"], "", ViewType.ALL, 1)[0].info.run_id  # on the first page
    _damage(root, first, other)
    time.sleep(TICK_S)
    theirs = mlflow.MlflowClient(tracking_uri=root.as_uri())
    for _ in range(2):  # filling the cache, then from it
        ours = client.search_runs([other, "0"], "", ViewType.ALL, 2)
        ref = theirs.search_runs([other, "0"], "", MlflowViewType.ALL, 2)
        assert [r.info.run_id for r in ours] == [r.info.run_id for r in ref]
        assert len(ours) == 2
