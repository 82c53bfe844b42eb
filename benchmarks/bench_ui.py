"""``tracklib ui`` against ``mlflow server`` (the MLflow UI) on the same file store.

    python benchmarks/bench_ui.py [--runs 1000] [--points 1000000] [--repeat 5]

Builds a store with tracklib in a temporary folder: an experiment of N runs x 20 params x 10
metrics (10 points each) and one run with a metric of ``--points`` points; waits until its
files are older than the search summary cache's settling time (a real store is older than
that). Then starts both servers as they are started by hand, each in its own process on a
free 127.0.0.1 port:

* ``tracklib ui --port 0 --no-browser --tracking-uri <store>``;
* ``mlflow server --backend-store-uri <store> --workers 1`` (with
  ``MLFLOW_ALLOW_FILE_STORE=true``; the page it serves is the MLflow UI),

and times over HTTP (keep-alive session, client in this process):

* start-up: from launching the command to the first 200 answer of ``GET /``;
* first page: ``GET /`` (the app's HTML);
* run list: tracklib's ``GET /api/experiments/<id>/runs?max_results=1000`` (what its runs page
  fetches) vs MLflow's ``POST /api/2.0/mlflow/runs/search`` with ``max_results: 1000``; the
  first call (tracklib fills its summary cache then) and the best of ``--repeat``;
* a chart of the long metric: tracklib's ``/history`` (downsampled to <= 2,000 points; a new
  ``max_points`` each call so its answer cache is not what is timed) vs MLflow's
  ``get-history-bulk-interval`` (what the MLflow UI's charts fetch, 320 points) and its full
  ``metrics/get-history``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TRACKLIB_CAPTURE_ENV", "0")

import requests

import tracklib
from tracklib.entities import Metric
from tracklib.stores.file import summaries

ROOT = Path(__file__).resolve().parents[1]


def build_store(root: Path, runs: int, points: int) -> tuple[str, str, str]:
    """Log the store; returns (experiment id, long run id, long metric key)."""
    rng = random.Random(1)
    client = tracklib.Client(root)
    experiment_id = client.create_experiment("bench")
    for i in range(runs):
        run_id = client.create_run(experiment_id, run_name=f"run-{i}").info.run_id
        client.log_batch(
            run_id,
            params=[tracklib.Param(f"p{k}", str(rng.choice([1, 2, 3, 0.1]))) for k in range(20)],
            metrics=[
                Metric(f"m{k}", rng.random(), 1_700_000_000_000 + step, step)
                for k in range(10)
                for step in range(10)
            ],
        )
        client.set_terminated(run_id)
    long_run = client.create_run(client.create_experiment("long"), run_name="long").info.run_id
    for start in range(0, points, 10_000):
        client.log_batch(
            long_run,
            metrics=[
                Metric("curve", rng.random(), 1_700_000_000_000 + s, s)
                for s in range(start, min(start + 10_000, points))
            ],
        )
    client.set_terminated(long_run)
    return experiment_id, long_run, "curve"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch_tracklib(store: Path) -> tuple[subprocess.Popen[str], str, float]:
    """Start ``tracklib ui``; returns (process, URL with token, seconds to the first page)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracklib", "ui", "--port", "0", "--no-browser",
         "--tracking-uri", str(store)],
        stdout=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )  # fmt: skip
    assert proc.stdout is not None
    match = re.search(r"(http://\S+)", proc.stdout.readline())
    if match is None:
        raise SystemExit("tracklib ui printed no URL")
    url = match.group(1)
    while requests.get(url, timeout=10).status_code != 200:
        time.sleep(0.01)
    return proc, url, time.perf_counter() - start


def launch_mlflow(store: Path) -> tuple[subprocess.Popen[bytes], str, float]:
    """Start ``mlflow server`` on the store; returns (process, base URL, seconds to GET /)."""
    port = free_port()
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", "MLFLOW_DISABLE_TELEMETRY": "true",
           "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # fmt: skip
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", str(store),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"mlflow server exited with {proc.returncode}")
        try:
            if requests.get(base + "/", timeout=10).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.05)
    return proc, base, time.perf_counter() - start


def cpu_seconds(group: int) -> float:
    """CPU time (user + system) used so far by every process of a process group: the
    server's own work, which other load on the machine inflates much less than wall time."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


Timing = tuple[float, float]  # (wall seconds, server CPU seconds)


def timed(group: int, fn: Callable[[], requests.Response]) -> tuple[Timing, requests.Response]:
    cpu, start = cpu_seconds(group), time.perf_counter()
    reply = fn()
    elapsed = time.perf_counter() - start
    reply.raise_for_status()
    return (elapsed, cpu_seconds(group) - cpu), reply


def first_and_best(
    repeat: int, group: int, fn: Callable[[], requests.Response]
) -> tuple[Timing, Timing, Any]:
    """The first call's timing, and the best wall and best CPU time of ``repeat`` more."""
    first, reply = timed(group, fn)
    rest = [timed(group, fn)[0] for _ in range(repeat)]
    return first, (min(t[0] for t in rest), min(t[1] for t in rest)), reply


def fmt(timing: Timing | None) -> str:
    if timing is None:
        return "-"
    wall, cpu = timing
    return f"{wall * 1e3:,.0f} ms ({cpu * 1e3:,.0f})"


def row(label: str, ours: Timing | None, theirs: Timing | None) -> None:
    ratio = f"{theirs[0] / ours[0]:.1f}x" if ours and theirs and ours[0] > 0 else "-"
    print(f"{label:<46}{fmt(ours):>20}{fmt(theirs):>22}{ratio:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ[summaries.CACHE_DIR_VAR] = os.path.join(tmp, "cache")
        store = Path(tmp) / "mlruns"
        t0 = time.perf_counter()
        experiment_id, long_run, key = build_store(store, args.runs, args.points)
        print(f"built {args.runs} runs x 20 params x 10 metrics + 1 run of {args.points:,} "
              f"points in {time.perf_counter() - t0:.1f}s; cpus={os.cpu_count()} "
              f"load={os.getloadavg()[0]:.2f}\n")  # fmt: skip
        time.sleep(summaries.SETTLE_NS / 1e9)
        compare(args, store, experiment_id, long_run, key)


def compare(args: argparse.Namespace, store: Path, experiment_id: str, long_run: str,
            key: str) -> None:  # fmt: skip
    ours_proc, url, ours_start = launch_tracklib(store)
    theirs_proc, base, theirs_start = launch_mlflow(store)
    try:
        ours = requests.Session()
        ours.get(url, timeout=10)
        ours_base = url.split("/?", 1)[0]
        theirs = requests.Session()
        og, tg = ours_proc.pid, theirs_proc.pid  # each leads its own process group
        print("wall time (server CPU time) of each answer, as a browser's request sees it\n")
        print(f"{'':<46}{'tracklib ui':>20}{'mlflow server':>22}{'ratio':>8}")
        row("start-up: launch -> first page answered", (ours_start, cpu_seconds(og)),
            (theirs_start, cpu_seconds(tg)))  # fmt: skip
        _, o_page, _ = first_and_best(
            args.repeat, og, lambda: ours.get(ours_base + "/", timeout=60)
        )
        _, t_page, _ = first_and_best(args.repeat, tg, lambda: theirs.get(base + "/", timeout=60))
        row("first page: GET / (best)", o_page, t_page)
        o_first, o_best, o_reply = first_and_best(
            args.repeat, og,
            lambda: ours.get(f"{ours_base}/api/experiments/{experiment_id}/runs",
                             params={"max_results": "1000"}, timeout=120),
        )  # fmt: skip
        t_first, t_best, t_reply = first_and_best(
            args.repeat, tg,
            lambda: theirs.post(f"{base}/api/2.0/mlflow/runs/search", timeout=300,
                                json={"experiment_ids": [experiment_id], "max_results": 1000}),
        )  # fmt: skip
        n_ours, n_theirs = len(o_reply.json()["runs"]), len(t_reply.json()["runs"])
        row(f"run list, {n_ours}/{n_theirs} runs: first call", o_first, t_first)
        row("run list: best of the next calls", o_best, t_best)
        print(f"{'run list: bytes sent':<46}{len(o_reply.content):>20,}"
              f"{len(t_reply.content):>22,}")  # fmt: skip
        chart(args, (ours, ours_base, og), (theirs, base, tg), long_run, key)
        print("\nstart-up CPU: all the server's processes used until the row was printed "
              "(tracklib ui: with warming its search cache in the background)")  # fmt: skip
    finally:
        ours_proc.send_signal(signal.SIGINT)  # as Ctrl-C
        ours_proc.wait(timeout=20)
        os.killpg(theirs_proc.pid, signal.SIGTERM)
        theirs_proc.wait(timeout=30)


Server = tuple[requests.Session, str, int]  # session, base URL, process group


def chart(args: argparse.Namespace, ours: Server, theirs: Server, long_run: str,
          key: str) -> None:  # fmt: skip
    limits = iter(range(2000, 1000, -1))  # a new max_points each call: no cached answer
    first, best, reply = first_and_best(
        args.repeat, ours[2],
        lambda: ours[0].get(f"{ours[1]}/api/runs/{long_run}/history", timeout=120,
                            params={"key": key, "max_points": str(next(limits))}),
    )  # fmt: skip
    sent = len(reply.json()["points"])
    bulk, bulk_reply = timed(
        theirs[2],
        lambda: theirs[0].get(
            f"{theirs[1]}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval",
            params={"run_ids": long_run, "metric_key": key, "max_results": 320}, timeout=600),
    )  # fmt: skip
    full, _ = timed(
        theirs[2],
        lambda: theirs[0].get(f"{theirs[1]}/api/2.0/mlflow/metrics/get-history",
                              params={"run_id": long_run, "metric_key": key}, timeout=600),
    )  # fmt: skip
    bulk_sent = len(bulk_reply.json().get("metrics", []))
    r_first, r_best, _ = first_and_best(
        args.repeat, ours[2], lambda: ours[0].get(f"{ours[1]}/api/runs/{long_run}", timeout=120)
    )
    m_first, m_best, _ = first_and_best(
        args.repeat, theirs[2],
        lambda: theirs[0].get(f"{theirs[1]}/api/2.0/mlflow/runs/get", timeout=300,
                              params={"run_id": long_run}),
    )  # fmt: skip
    print(f"\nthe run holding a {args.points:,}-point metric (its run page's first request)")
    row("one run: first call", r_first, m_first)
    row("one run: best of the next calls", r_best, m_best)
    print(f"\nchart of a {args.points:,}-point metric")
    row(f"/history ({sent} pts) vs bulk-interval ({bulk_sent})", first, bulk)
    row("  /history: best of the next calls", best, None)
    row(f"  /history vs get-history ({args.points:,} pts)", first, full)


if __name__ == "__main__":
    main()
