"""Team scale: many training processes into an ``mlflow server --workers 4`` on PostgreSQL.

Every worker is a real subprocess (:mod:`scale_worker`) logging a run with 100 params, 3
metrics x 5,000 steps and a 5 MB artifact through tracklib; the server is then read back with
MLflow's own client. The workers pause 1 ms per step, as a training loop computes between its
log calls: without it 16 CPU-bound loops on a 2-core machine would measure the scheduler, not
tracklib (each loop would wait its turn for a core in the middle of its log calls).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from scale_server import ScaleServer
from scale_worker import KEYS, value

import tracklib

WORKER = Path(__file__).with_name("scale_worker.py")
PROCESSES = 16
STEPS = 5000
PARAMS = 100
ARTIFACT_MB = 5.0
STEP_PAUSE = 0.001
FLUSH_TIMEOUT = 120.0  # TRACKLIB_FLUSH_TIMEOUT of the workers: end_run waits at most this
MAX_CALL_MS = 50.0
SYNC_RUNS = 500

# Each test takes 1-4 minutes on a busy 2-core machine: more than the suite's 300 s default.
pytestmark = pytest.mark.timeout(900)


def _spawn(server: ScaleServer, tmp_path: Path, experiment: str, count: int) -> list[Any]:
    env = {
        **os.environ,
        "TRACKLIB_TRACKING_URI": server.url,
        "TRACKLIB_SPOOL_DIR": str(tmp_path / "spool"),  # one node: its processes share a spool
        "TRACKLIB_FLUSH_TIMEOUT": str(FLUSH_TIMEOUT),
        "PYTHONPATH": os.pathsep.join(
            [str(Path(tracklib.__file__).parents[1]), str(WORKER.parent)]
        ),
    }
    procs = []
    for index in range(count):
        out = tmp_path / f"worker{index:02d}.json"
        command = [
            sys.executable, str(WORKER), "--experiment", experiment,
            "--run-name", f"w{index:02d}", "--out", str(out), "--steps", str(STEPS),
            "--params", str(PARAMS), "--artifact-mb", str(ARTIFACT_MB),
            "--step-pause", str(STEP_PAUSE), "--cpu-times",
        ]  # fmt: skip
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        procs.append((proc, out))
    return procs


def _reports(procs: list[Any]) -> list[dict[str, Any]]:
    """Wait for every worker; each must exit 0 within its flush timeout, with nothing left."""
    deadline = time.monotonic() + FLUSH_TIMEOUT + 120  # the loops, start-up, then the flush
    reports = []
    for proc, out in procs:
        output, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        text = output.decode(errors="replace")
        assert proc.returncode == 0, text[-3000:]
        assert "not fully on" not in text, text[-3000:]
        reports.append(json.loads(out.read_text()))
    for report in reports:
        assert report["end_s"] < FLUSH_TIMEOUT
    return reports


def _print_calls(title: str, reports: list[dict[str, Any]]) -> None:
    print(f"\n{title}: log calls per process (ms): p50 / p99 / max; end_run (s)")
    for r in reports:
        print(
            f"  {r['run_name']}: {r['p50_ms']:.4f} / {r['p99_ms']:.4f} / {r['max_ms']:.2f} "
            f"{r['max_by_kind_ms']}; end_run {r['end_s']:.2f}; wall {r['wall_s']:.1f}; "
            f"max CPU in a call {r['max_cpu_ms']:.2f}; calls >= 10 ms (wall, CPU, kind, "
            f"voluntary/involuntary switches): {[tuple(c) for c in r['slow_calls']]}"
        )


def _check_call_times(reports: list[dict[str, Any]]) -> None:
    """No log call spent 50 ms of its own CPU time, and 99.9% of log_metric calls returned
    within 50 ms of wall time.

    Sixteen trainers, their sender threads, four server workers and PostgreSQL share 2 cores
    here, so a process is now and then descheduled in the middle of a call: such a call shows
    30-180 ms of wall time for under 1 ms of CPU (measured; the report prints each call >= 10 ms
    with its CPU time and context switches). That is the scheduler, not tracklib, and a node
    with a core per trainer does not see it; what tracklib spends in a call is its CPU time,
    held to the limit for every call, and a call that waited for the server would push
    log_metric's tail (240,000 calls), held to the wall limit at the 99.9th percentile.
    """
    slow = {
        r["run_name"]: r["slow_calls"]
        for r in reports
        if r["p999_by_kind_ms"]["metric"] >= MAX_CALL_MS or r["max_cpu_ms"] >= MAX_CALL_MS
    }
    # The slow calls with their (wall ms, CPU ms, kind, voluntary, involuntary) switches tell
    # a wait for a core (involuntary) from a wait for I/O or the sender thread's GIL (voluntary).
    assert not slow, f"log calls over {MAX_CALL_MS} ms (log_metric p99.9 wall, or CPU): {slow}"


def _check_server(url: str, experiment: str, reports: list[dict[str, Any]]) -> None:
    """Every run FINISHED with its params, every point exactly once, the artifact whole."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(url)
    found = client.get_experiment_by_name(experiment)
    assert found is not None
    runs = {r.info.run_id: r for r in client.search_runs([found.experiment_id], max_results=500)}
    assert sorted(runs) == sorted(r["run_id"] for r in reports)
    for run_id, run in runs.items():
        assert run.info.status == "FINISHED", run_id
        assert len(run.data.params) == PARAMS
        for index, key in enumerate(KEYS):
            history = client.get_metric_history(run_id, key)
            points = sorted((m.step, m.value) for m in history)
            assert points == [(s, value(index, s)) for s in range(STEPS)], (run_id, key)
        (artifact,) = client.list_artifacts(run_id)
        assert artifact.file_size == int(ARTIFACT_MB * 1024 * 1024)


def test_sixteen_processes_deliver_every_point_exactly_once(
    scale_server: ScaleServer, tmp_path: Path
) -> None:
    reports = _reports(_spawn(scale_server, tmp_path, "scale-16", PROCESSES))
    _print_calls("16 processes", reports)
    _check_server(scale_server.url, "scale-16", reports)
    _check_call_times(reports)


def test_a_server_restart_loses_and_duplicates_nothing(
    scale_server: ScaleServer, tmp_path: Path
) -> None:
    procs = _spawn(scale_server, tmp_path, "scale-restart", PROCESSES)
    started = [Path(f"{out}.started") for _, out in procs]
    deadline = time.monotonic() + 120
    while not all(p.exists() for p in started):  # every run exists; the loops are logging
        assert time.monotonic() < deadline, "the workers did not start"
        time.sleep(0.1)
    time.sleep(1.0)
    scale_server.stop()
    assert any(proc.poll() is None for proc, _ in procs), "restart came too late to matter"
    scale_server.start()
    reports = _reports(procs)
    _print_calls(f"{PROCESSES} processes, server restarted", reports)
    _check_server(scale_server.url, "scale-restart", reports)
    _check_call_times(reports)


def _offline_store(root: Path, runs: int) -> None:
    from tracklib.entities import Metric, Param

    client = tracklib.Client(str(root))
    experiment_id = client.create_experiment("offline-node")
    for index in range(runs):
        run_id = client.create_run(experiment_id, run_name=f"r{index:03d}").info.run_id
        points = [Metric("loss", 1.0 / (s + 1), 1_000 + s, s) for s in range(20)]
        params = [Param("index", str(index)), Param("lr", "0.01")]
        client.log_batch(run_id, metrics=points, params=params)
        client.set_terminated(run_id)


def _sync(store: Path, url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tracklib", "sync", str(store), "--to", url, "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(tracklib.__file__).parents[1])},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_sync_of_an_offline_store_is_complete_then_sends_nothing(
    scale_server: ScaleServer, tmp_path: Path
) -> None:
    store = tmp_path / "mlruns"
    _offline_store(store, SYNC_RUNS)
    first = _sync(store, scale_server.url)
    assert (first["runs"], first["points"], first["params"]) == (
        SYNC_RUNS,
        SYNC_RUNS * 20,
        SYNC_RUNS * 2,
    )
    again = _sync(store, scale_server.url)
    assert (again["runs"], again["points"], again["params"], again["tags"]) == (0, 0, 0, 0)
    from mlflow.tracking import MlflowClient

    client = MlflowClient(scale_server.url)
    found = client.get_experiment_by_name("offline-node")
    assert found is not None
    runs = client.search_runs([found.experiment_id], max_results=1000)
    assert sorted(r.info.run_name for r in runs) == [f"r{i:03d}" for i in range(SYNC_RUNS)]
    assert {r.info.status for r in runs} == {"FINISHED"}
    sample = runs[::50]  # the full histories of every tenth run's metric
    for run in sample:
        history = client.get_metric_history(run.info.run_id, "loss")
        assert sorted((m.step, m.value) for m in history) == [(s, 1.0 / (s + 1)) for s in range(20)]
