"""Durability: kill -9, torn lines, many processes at once, atomic rewrites, run end states.

Writers run in child processes (``sys.executable -c``); every result is read back from disk
by tracklib and by MLflow 3.17.2's own reader. Children that must act together wait at a
barrier (they print ``ready`` and block on stdin until every one of them is ready).
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_helpers import subprocess_env

import tracklib
from tracklib.entities import RunStatus, ViewType

TMP_PREFIX = ".tracklib-tmp-"  # the documented temporary-file prefix (docs/file-store.md)
N_PROCESSES = 4
MLFLOW_ALL = 3  # mlflow.entities.ViewType.ALL, without importing mlflow at collection time


def mlflow_client(root: Path) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=root.as_uri())


def child_env() -> dict[str, str]:
    return subprocess_env(TRACKLIB_CAPTURE_ENV="0", PYTHONUNBUFFERED="1")


def spawn(script: str, *args: str, cwd: Path, stdin: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=cwd,
    )


BARRIER = """
import json, sys
import tracklib, tracklib.tracking.client, tracklib.stores.file, filelock, yaml
print("ready", flush=True)
sys.stdin.readline()
"""


@contextlib.contextmanager
def reaped(*children: subprocess.Popen[str]) -> Iterator[None]:
    """Kill (by pid) whichever of our children still runs when the block ends."""
    try:
        yield
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def run_together(script: str, arg_lists: list[list[str]], cwd: Path) -> list[list[Any]]:
    """Start one child per arg list, release them at once; return each one's JSON lines."""
    script = BARRIER + textwrap.dedent(script)
    children = [spawn(script, *args, cwd=cwd, stdin=True) for args in arg_lists]
    results = []
    with reaped(*children):
        for child in children:
            assert child.stdout is not None and child.stderr is not None
            if child.stdout.readline() != "ready\n":
                child.wait(timeout=60)
                raise AssertionError(f"child failed to start: {child.stderr.read()}")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            results.append([json.loads(line) for line in out.splitlines()])
    return results


def metric_files(run_dir: Path) -> list[Path]:
    return [p for p in (run_dir / "metrics").rglob("*") if p.is_file()]


def assert_clean_store(root: Path) -> None:
    """No leftover temporary files; metric files non-empty and ending in a complete line."""
    leftovers = [p for p in root.rglob("*") if p.name.startswith(TMP_PREFIX)]
    assert leftovers == []
    for path in root.rglob("metrics/**/*"):
        if path.is_file():
            data = path.read_bytes()
            assert data.endswith(b"\n"), path
            assert all(len(line.split()) == 3 for line in data.splitlines()), path


def history_view(points: Any) -> list[tuple[int, float, int]]:
    return [(int(p.step), float(p.value), int(p.timestamp)) for p in points]


# ------------------------------------------------------------------ (a) kill -9
KILL_SCRIPT = """
import sys, tracklib
tracklib.set_tracking_uri(sys.argv[1])
tracklib.start_run(run_id=sys.argv[2])
step = 0
while True:
    tracklib.log_metric("loss", step * 0.5, step=step)
    if step % 10 == 0:
        tracklib.log_metrics({"eval/acc": step / 10.0}, step=step)
    # Acknowledge only after the log calls returned.
    sys.stdout.write(f"{step}\\n")
    sys.stdout.flush()
    step += 1
"""


@pytest.mark.timeout(180)
def test_kill_9_loses_no_acknowledged_point(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    client = tracklib.Client(os.fspath(root))
    run_id = client.create_run("0", run_name="killed").info.run_id
    child = spawn(KILL_SCRIPT, os.fspath(root), run_id, cwd=tmp_path)
    assert child.stdout is not None and child.stderr is not None
    acked: list[int] = []
    with reaped(child):
        for line in child.stdout:
            acked.append(int(line))
            if len(acked) >= 3_000:
                break
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
    rest, err = child.stdout.read(), child.stderr.read()  # read() keeps what was buffered
    assert child.returncode == -signal.SIGKILL, err
    acked += [int(line) for line in rest.split("\n")[:-1]]  # complete lines only
    assert len(acked) >= 3_000, err

    history = client.get_metric_history(run_id, "loss")
    steps = [m.step for m in history]
    assert set(acked) <= set(steps)
    assert steps == list(range(len(steps)))  # each point once, in order, nothing torn
    assert len(steps) - len(acked) <= 1  # at most the one point in flight at the kill
    assert all(m.value == m.step * 0.5 for m in history)
    acc_steps = {m.step for m in client.get_metric_history(run_id, "eval/acc")}
    assert {s for s in acked if s % 10 == 0} <= acc_steps

    theirs = mlflow_client(root)
    assert history_view(theirs.get_metric_history(run_id, "loss")) == history_view(history)
    run = theirs.get_run(run_id)
    assert run.data.metrics["loss"] == history[-1].value
    assert run.info.status == "RUNNING"  # kill -9 leaves no chance to end it
    run_dir = root / "0" / run_id
    assert [p for p in metric_files(run_dir) if p.stat().st_size == 0] == []
    assert_clean_store(root)


# ------------------------------------------------------------------ (b) torn last line
@pytest.mark.parametrize("torn", [b"1700000000000 4.", b"17", b"1700000000000 4.0 3"])
def test_torn_last_line_is_skipped(tmp_path: Path, torn: bytes) -> None:
    root = tmp_path / "mlruns"
    client = tracklib.Client(os.fspath(root))
    run_id = client.create_run("0").info.run_id
    for step in range(3):
        client.log_metric(run_id, "loss", 1.0 + step, step=step, timestamp=1_000 + step)
    path = root / "0" / run_id / "metrics" / "loss"
    with open(path, "ab") as f:
        f.write(torn)  # a write cut short by a crash: no newline

    fresh = tracklib.Client(os.fspath(root))
    points = fresh.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in points] == [(0, 1.0), (1, 2.0), (2, 3.0)]
    assert fresh.get_run(run_id).data.metrics == {"loss": 3.0}
    assert [r.info.run_id for r in fresh.search_runs(["0"])] == [run_id]


def test_metric_file_holding_only_a_torn_line_reads_as_no_points(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    client = tracklib.Client(os.fspath(root))
    run_id = client.create_run("0").info.run_id
    (root / "0" / run_id / "metrics" / "half").write_bytes(b"1700000000")
    assert client.get_metric_history(run_id, "half") == []
    assert "half" not in client.get_run(run_id).data.metrics


# ------------------------------------------------------------------ (c) many processes
def test_concurrent_set_experiment_creates_exactly_one(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    tracklib.Client(os.fspath(root))  # the root exists before the race, as after any first use
    script = """
    tracklib.set_tracking_uri(sys.argv[1])
    print(json.dumps(tracklib.set_experiment("shared-name").experiment_id))
    """
    results = run_together(script, [[os.fspath(root)]] * N_PROCESSES, tmp_path)
    ids = {lines[0] for lines in results}
    assert len(ids) == 1
    ours = tracklib.Client(os.fspath(root)).search_experiments(ViewType.ALL)
    assert [e.experiment_id for e in ours if e.name == "shared-name"] == list(ids)
    theirs = mlflow_client(root).search_experiments(view_type=MLFLOW_ALL)
    assert [e.experiment_id for e in theirs if e.name == "shared-name"] == list(ids)
    assert_clean_store(root)


def test_concurrent_set_experiment_on_a_fresh_root(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    script = """
    tracklib.set_tracking_uri(sys.argv[1])
    print(json.dumps(tracklib.set_experiment("first-ever").experiment_id))
    """
    results = run_together(script, [[os.fspath(root)]] * N_PROCESSES, tmp_path)
    assert len({lines[0] for lines in results}) == 1
    theirs = mlflow_client(root).search_experiments(view_type=MLFLOW_ALL)
    assert sorted(e.name for e in theirs) == ["Default", "first-ever"]


LOG_SCRIPT = """
from tracklib.entities import Metric
root, run_id, worker = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = tracklib.Client(root)
for i in range(2000):
    client.log_metric(run_id, "shared", float(i), step=worker * 100_000 + i, timestamp=1_000 + i)
for b in range(10):
    batch = [
        Metric("group/batched", float(worker), 2_000 + b, worker * 100_000 + b * 100 + j)
        for j in range(100)
    ]
    client.log_batch(run_id, metrics=batch)
print(json.dumps("done"))
"""


@pytest.mark.timeout(180)
def test_concurrent_writers_to_one_run_lose_and_tear_nothing(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    client = tracklib.Client(os.fspath(root))
    run_id = client.create_run("0", run_name="shared-run").info.run_id
    args = [[os.fspath(root), run_id, str(w)] for w in range(N_PROCESSES)]
    assert run_together(LOG_SCRIPT, args, tmp_path) == [["done"]] * N_PROCESSES

    expected = {
        "shared": [w * 100_000 + i for w in range(N_PROCESSES) for i in range(2000)],
        "group/batched": [w * 100_000 + k for w in range(N_PROCESSES) for k in range(1000)],
    }
    theirs = mlflow_client(root)
    for key, steps in expected.items():
        ours = client.get_metric_history(run_id, key)
        counts = collections.Counter(m.step for m in ours)
        assert counts == collections.Counter(steps)  # every point exactly once
        mlflow_points = theirs.get_metric_history(run_id, key)
        assert sorted(history_view(mlflow_points)) == sorted(history_view(ours))
    assert theirs.get_run(run_id).info.run_id == run_id
    assert_clean_store(root)


PARAM_SCRIPT = """
from tracklib.errors import TracklibError
client = tracklib.Client(sys.argv[1])
try:
    client.log_param(sys.argv[2], "lr", sys.argv[3])
    print(json.dumps(["ok"]))
except TracklibError as exc:
    print(json.dumps([type(exc).__name__, str(exc)]))
"""


def test_concurrent_same_param_value_succeeds_everywhere(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    client = tracklib.Client(os.fspath(root))
    run_id = client.create_run("0").info.run_id
    args = [[os.fspath(root), run_id, "0.1"]] * N_PROCESSES
    assert run_together(PARAM_SCRIPT, args, tmp_path) == [[["ok"]]] * N_PROCESSES
    assert client.get_run(run_id).data.params == {"lr": "0.1"}
    assert mlflow_client(root).get_run(run_id).data.params == {"lr": "0.1"}
    assert_clean_store(root)


def test_concurrent_different_param_values_exactly_one_wins(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    client = tracklib.Client(os.fspath(root))
    run_id = client.create_run("0").info.run_id
    values = [f"value-{w}" for w in range(N_PROCESSES)]
    results = run_together(PARAM_SCRIPT, [[os.fspath(root), run_id, v] for v in values], tmp_path)
    outcomes = {value: lines[0] for value, lines in zip(values, results, strict=True)}
    winners = [value for value, outcome in outcomes.items() if outcome == ["ok"]]
    assert len(winners) == 1
    (winner,) = winners
    assert client.get_run(run_id).data.params == {"lr": winner}
    assert mlflow_client(root).get_run(run_id).data.params == {"lr": winner}
    for value, outcome in outcomes.items():
        if value != winner:
            name, message = outcome
            assert name == "InvalidInputError"
            assert "'lr'" in message and repr(winner) in message and repr(value) in message
    assert_clean_store(root)


# ------------------------------------------------------------------ (d) atomic rewrites
def test_meta_yaml_is_replaced_not_rewritten_in_place(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    client = tracklib.Client(os.fspath(root))
    run_id = client.create_run("0", run_name="atomic").info.run_id
    meta = root / "0" / run_id / "meta.yaml"
    old_bytes = meta.read_bytes()
    snapshot = tmp_path / "old-meta.yaml"
    os.link(meta, snapshot)  # a reader holding the old file while the run ends
    client.set_terminated(run_id, "FINISHED")
    # An in-place rewrite would change the linked inode too; a replace leaves it whole.
    assert snapshot.read_bytes() == old_bytes
    assert meta.read_bytes() != old_bytes
    assert mlflow_client(root).get_run(run_id).info.status == "FINISHED"


def test_normal_operation_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = tmp_path / "mlruns"
    tracklib.set_tracking_uri(root)
    (tmp_path / "model.bin").write_bytes(b"weights")
    with tracklib.start_run(experiment="tidy", run_name="one") as run:
        tracklib.log_params({"a": 1, "b/c": "x"})
        tracklib.set_tags({"t": "1", "mlflow.runName": "renamed"})
        tracklib.log_metric("m", 1.0)
        tracklib.log_metrics({"m": 2.0, "n/o": 3.0}, step=1)
        tracklib.log_text("hello", "notes/hello.txt")
        tracklib.log_dict({"k": [1, 2]}, "config.yaml")
        tracklib.log_artifact(tmp_path / "model.bin", "models")
    client = tracklib.Client()
    client.delete_run(run.info.run_id)
    client.restore_run(run.info.run_id)
    client.update_run(run.info.run_id, name="final")
    other = client.create_experiment("to-delete")
    client.delete_experiment(other)
    client.restore_experiment(other)
    assert_clean_store(root)
    assert mlflow_client(root).get_run(run.info.run_id).info.run_name == "final"


# ------------------------------------------------------------------ (e) how runs end
END_SCRIPTS = {
    "sigterm_in_with": """
        import sys, time, tracklib
        with tracklib.start_run() as run:
            print(run.info.run_id, flush=True)
            while True:
                time.sleep(0.05)
        """,
    "keyboard_interrupt_in_with": """
        import sys, time, tracklib
        with tracklib.start_run() as run:
            print(run.info.run_id, flush=True)
            while True:
                time.sleep(0.05)
        """,
    "uncaught_exception_open_run": """
        import tracklib
        run = tracklib.start_run()
        print(run.info.run_id, flush=True)
        raise RuntimeError("boom")
        """,
    "normal_exit_open_run": """
        import tracklib
        run = tracklib.start_run()
        tracklib.log_metric("m", 1.0)
        print(run.info.run_id, flush=True)
        """,
}
# How each script is stopped (a signal sent once it printed its run id) and what follows.
END_CASES = {
    "sigterm_in_with": (signal.SIGTERM, RunStatus.KILLED, -signal.SIGTERM),
    "keyboard_interrupt_in_with": (signal.SIGINT, RunStatus.KILLED, None),
    "uncaught_exception_open_run": (None, RunStatus.FAILED, 1),
    "normal_exit_open_run": (None, RunStatus.FINISHED, 0),
}


@pytest.mark.parametrize("case", sorted(END_CASES))
def test_run_end_status_on_disk(tmp_path: Path, case: str) -> None:
    send, status, returncode = END_CASES[case]
    child = spawn(END_SCRIPTS[case], cwd=tmp_path)  # default tracking URI: ./mlruns
    assert child.stdout is not None
    with reaped(child):
        run_id = child.stdout.readline().strip()
        if send is not None and run_id:
            child.send_signal(send)
        _, err = child.communicate(timeout=60)
    assert run_id, err
    if returncode is not None:
        assert child.returncode == returncode, err
    else:
        assert child.returncode != 0, err

    root = tmp_path / "mlruns"
    run = tracklib.Client(os.fspath(root)).get_run(run_id)
    assert run.info.status == status
    assert run.info.end_time is not None and run.info.end_time >= run.info.start_time
    assert mlflow_client(root).get_run(run_id).info.status == str(status)
