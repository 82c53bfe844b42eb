"""``tracklib runs`` as a tree, ``show``'s child runs, columns that follow the query, and
``tracklib runs end|delete|restore|rename``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tracklib
from tracklib.cli import main


def _sweep(store: str) -> tuple[str, list[str]]:
    tracklib.set_tracking_uri(store)
    children = []
    with tracklib.start_run(run_name="sweep") as parent:
        for hidden in (20, 40):
            with tracklib.start_run(run_name=f"h{hidden}", nested=True) as child:
                tracklib.log_param("hidden", hidden)
                tracklib.log_param("seed", 1)
                tracklib.log_metric("mse", 1.0 / hidden)
                tracklib.log_metric("zz_aux", float(hidden))
                children.append(child.info.run_id)
    return parent.info.run_id, children


def _lines(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    assert main(list(argv)) == 0
    return capsys.readouterr().out.splitlines()


def test_runs_lists_children_under_their_parent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "mlruns")
    _sweep(store)
    with tracklib.start_run(run_name="later"):
        pass
    rows = _lines(capsys, "runs", "--tracking-uri", store)[1:]
    names = [row.split()[1:3] for row in rows]
    # newest first, but each child right under its parent, indented (the two children may
    # start in the same millisecond, so their own order is not asserted)
    assert names[:2] == [["later", "FINISHED"], ["sweep", "FINISHED"]]
    assert sorted(names[2:]) == [["└", "h20"], ["└", "h40"]]
    ordered = _lines(capsys, "runs", "--tracking-uri", store, "--order-by", "metrics.mse ASC")
    assert [row.split()[1] for row in ordered[1:3]] == ["h40", "h20"]  # an explicit order is flat


def test_show_lists_the_child_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "mlruns")
    parent, children = _sweep(store)
    text = "\n".join(_lines(capsys, "show", parent, "--tracking-uri", store))
    section = text.split("Child runs", 1)[1].split("Artifacts", 1)[0]
    listed = [line.split()[0] for line in section.strip().splitlines()]
    assert sorted(listed) == sorted(children)  # oldest first; children of one ms in any order
    shown = json.loads("\n".join(_lines(capsys, "show", parent, "--tracking-uri", store, "--json")))
    assert sorted(shown["child_run_ids"]) == sorted(children)


def test_columns_favour_what_the_query_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = str(tmp_path / "mlruns")
    _sweep(store)
    monkeypatch.setenv("COLUMNS", "95")  # room for two chosen columns of three
    plain = _lines(capsys, "runs", "--tracking-uri", store, "-e", "Default")[0]
    assert "metrics.zz_aux" not in plain
    ordered = _lines(capsys, "runs", "--tracking-uri", store, "--order-by", "metrics.zz_aux")[0]
    assert "metrics.zz_aux" in ordered
    filtered = _lines(capsys, "runs", "--tracking-uri", store, "--filter", "metrics.zz_aux > 1")
    assert "metrics.zz_aux" in filtered[0]


def test_end_a_run_left_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "mlruns")
    client = tracklib.Client(store)
    run_id = client.create_run("0", run_name="crashed").info.run_id
    assert main(["runs", "end", run_id[:8], "--tracking-uri", store]) == 0
    assert "ended run" in capsys.readouterr().out
    info = client.get_run(run_id).info
    assert info.status == "KILLED" and info.end_time is not None
    assert main(["runs", "end", run_id, "--tracking-uri", store]) == 1  # already ended
    assert "already ended (KILLED)" in capsys.readouterr().err

    other = client.create_run("0").info.run_id
    done = _lines(capsys, "runs", "end", other, "--status", "failed", "--tracking-uri", store,
                  "--json")  # fmt: skip
    assert json.loads("\n".join(done))[0]["status"] == "FAILED"


def test_delete_restore_rename(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "mlruns")
    client = tracklib.Client(store)
    ids = [client.create_run("0", run_name=f"r{i}").info.run_id for i in range(2)]
    _lines(capsys, "runs", "delete", *ids, "--tracking-uri", store)
    assert {client.get_run(i).info.lifecycle_stage for i in ids} == {"deleted"}
    assert _lines(capsys, "runs", "--tracking-uri", store) == ["(no runs)"]
    _lines(capsys, "runs", "restore", ids[0][:8], "--tracking-uri", store)
    assert client.get_run(ids[0]).info.lifecycle_stage == "active"
    _lines(capsys, "runs", "rename", ids[0], "better name", "--tracking-uri", store)
    assert client.get_run(ids[0]).info.run_name == "better name"
    assert client.get_run(ids[0]).data.tags["mlflow.runName"] == "better name"
