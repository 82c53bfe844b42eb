"""Time tracklib's remote path against MLflow 3.17.2 on the same local ``mlflow server``.

Run by hand from the repository root: ``python benchmarks/bench_remote.py`` (about 2-3
minutes; ``--quick`` for a smoke run with 2,000 points).

The script starts its own ``mlflow server`` (``tests/mlflow_server.py``: a free 127.0.0.1
port, a sqlite backend, ``--artifacts-destination`` in a temp folder, one worker) and stops it
at the end. Every measurement runs in a fresh interpreter (a ``--worker`` subprocess of this
script) with a fresh ``TRACKLIB_SPOOL_DIR``, and each logs into its own new run.

1. Caller cost of ``log_metric``: ``time.perf_counter_ns`` around each call; median and p90.
   tracklib with the server URI (20,000 calls, the sender thread replicating meanwhile),
   tracklib on a local file store (20,000 calls), MLflow synchronous ``mlflow.log_metric``
   (300 calls: each is one HTTP round trip) and MLflow ``synchronous=False`` (2,000 calls).
2. Time until 20,000 points are on the server, from the first log call:
   tracklib = the logging loop, then ``end_run`` (which returns once the sender has delivered
   every point and the final status; the script fails if it printed its "not fully on the
   server" hint); MLflow's best path = ``MlflowClient.log_batch`` in chunks of 1000 (the
   Metric objects are built before the clock starts); MLflow async = 2,000 calls then
   ``mlflow.flush_async_logging()``, extrapolated linearly to 20,000 (printed as such),
   because the full 20,000 take minutes.

After every delivery measurement the script reads the metric history back from the server
(through tracklib's RestStore, following page tokens) and checks the point count.

tracklib runs with ``TRACKLIB_CAPTURE_ENV=0`` so that "delivered" counts metric points only
(MLflow uploads no environment snapshot); MLflow gets ``MLFLOW_DISABLE_TELEMETRY=true``.
``TRACKLIB_*``/``MLFLOW_*`` variables of the calling shell are not passed on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POINTS = 20_000
CALLS = {"tracklib": 20_000, "file": 20_000, "mlflow_sync": 300, "mlflow_async": 2_000}
REPEATS = 3  # tracklib remote and MLflow log_batch: median of this many fresh processes


# ---------------------------------------------------------------------- workers (subprocess)
def _per_call(log: Any, calls: int) -> tuple[list[int], int]:
    """Time each of ``calls`` calls of ``log(i)``; return per-call ns and the loop's ns."""
    clock = time.perf_counter_ns
    times = [0] * calls
    start = clock()
    for i in range(calls):
        t0 = clock()
        log(i)
        times[i] = clock() - t0
    return times, clock() - start


def _stats(times: list[int]) -> dict[str, float]:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median_us": statistics.median(ordered) / 1e3, "p90_us": p90 / 1e3}


def worker_tracklib(url: str, calls: int) -> dict[str, Any]:
    """tracklib: per-call cost, loop time and delivered time (remote) or file store cost."""
    import io
    from contextlib import redirect_stderr

    import tracklib

    tracklib.set_tracking_uri(url)
    tracklib.set_experiment("bench-tracklib")
    run = tracklib.start_run()
    clock = time.perf_counter_ns
    start = clock()
    times, loop_ns = _per_call(lambda i: tracklib.log_metric("loss", 1.0 / (i + 1), step=i), calls)
    err = io.StringIO()
    with redirect_stderr(err):  # catch the "not fully on the server" hint, if any
        tracklib.end_run()
    delivered_ns = clock() - start
    if "tracklib sync" in err.getvalue():
        raise SystemExit(f"end_run did not deliver everything: {err.getvalue()!r}")
    return {
        **_stats(times),
        "calls": calls,
        "loop_s": loop_ns / 1e9,
        "delivered_s": delivered_ns / 1e9,
        "run_id": run.info.run_id,
        "version": tracklib.__version__,
    }


def worker_mlflow_calls(url: str, calls: int, synchronous: bool) -> dict[str, Any]:
    """MLflow ``log_metric`` against the server: per-call cost (and async delivery time)."""
    import mlflow

    mlflow.set_tracking_uri(url)
    mlflow.set_experiment("bench-mlflow-" + ("sync" if synchronous else "async"))
    run = mlflow.start_run()
    clock = time.perf_counter_ns
    start = clock()

    def log(i: int) -> None:
        mlflow.log_metric("loss", 1.0 / (i + 1), step=i, synchronous=synchronous)

    times, loop_ns = _per_call(log, calls)
    mlflow.flush_async_logging()  # no-op for synchronous calls
    delivered_ns = clock() - start
    mlflow.end_run()
    return {
        **_stats(times),
        "calls": calls,
        "loop_s": loop_ns / 1e9,
        "delivered_s": delivered_ns / 1e9,
        "run_id": run.info.run_id,
        "version": mlflow.__version__,
    }


def worker_mlflow_batch(url: str, points: int) -> dict[str, Any]:
    """MLflow's best path: ``MlflowClient.log_batch`` in chunks of 1000 points."""
    import mlflow
    from mlflow.entities import Metric

    client = mlflow.MlflowClient(url)
    experiment = client.get_experiment_by_name("bench-mlflow-batch")
    experiment_id = (
        experiment.experiment_id if experiment else client.create_experiment("bench-mlflow-batch")
    )
    run = client.create_run(experiment_id)
    now = int(time.time() * 1000)
    metrics = [Metric("loss", 1.0 / (i + 1), now + i, i) for i in range(points)]
    start = time.perf_counter_ns()
    for first in range(0, points, 1000):
        client.log_batch(run.info.run_id, metrics=metrics[first : first + 1000])
    delivered_ns = time.perf_counter_ns() - start
    client.set_terminated(run.info.run_id)
    return {"delivered_s": delivered_ns / 1e9, "run_id": run.info.run_id,
            "version": mlflow.__version__}  # fmt: skip


def worker_main(kind: str, url: str, count: int) -> None:
    if kind in ("tracklib", "file"):
        result = worker_tracklib(url, count)
    elif kind == "mlflow_batch":
        result = worker_mlflow_batch(url, count)
    else:
        result = worker_mlflow_calls(url, count, synchronous=kind == "mlflow_sync")
    print(json.dumps(result))


# ---------------------------------------------------------------------- parent
def _env(kind: str, scratch: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLIB_", "MLFLOW_"))}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["TRACKLIB_CAPTURE_ENV"] = "0"
    env["TRACKLIB_SPOOL_DIR"] = os.path.join(scratch, "spool")
    env["XDG_CACHE_HOME"] = os.path.join(scratch, "cache")
    return env


def run_worker(kind: str, url: str, count: int) -> dict[str, Any]:
    """One measurement in a fresh interpreter, fresh folders; returns its JSON result."""
    with tempfile.TemporaryDirectory(prefix=f"bench-remote-{kind}-") as scratch:
        if kind == "file":
            url = os.path.join(scratch, "mlruns")
        out = subprocess.run(
            [sys.executable, __file__, "--worker", kind, "--url", url, "--count", str(count)],
            cwd=scratch, env=_env(kind, scratch), capture_output=True, text=True,
        )  # fmt: skip
        if out.returncode != 0:
            raise SystemExit(f"worker {kind} failed ({out.returncode}):\n{out.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        result["stderr"] = out.stderr.strip()
        return result


def server_count(url: str, run_id: str) -> int:
    """How many ``loss`` points the server holds for a run."""
    from tracklib.stores.rest.store import RestStore

    store = RestStore(url)
    try:
        return len(store.get_metric_history(run_id, "loss"))
    finally:
        store.close()


def check_delivered(url: str, result: dict[str, Any], expected: int, label: str) -> None:
    have = server_count(url, result["run_id"])
    if have != expected:
        raise SystemExit(f"{label}: the server holds {have} points, expected {expected}")


def print_machine() -> None:
    """Print what the figures were measured on (other load skews them)."""
    print(f"machine : {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
          f"{platform.release()}")  # fmt: skip
    print(f"python  : {platform.python_implementation()} {platform.python_version()}")
    if hasattr(os, "getloadavg"):
        one, five, fifteen = os.getloadavg()
        print(f"load    : {one:.2f} {five:.2f} {fifteen:.2f} (1/5/15-min averages, at start)")


def _us(value: float) -> str:
    return f"{value:,.1f} us" if value < 1000 else f"{value / 1000:,.1f} ms"


def _s(value: float) -> str:
    return f"{value:,.2f} s"


def _row(label: str, median: str, p90: str, note: str = "") -> str:
    return f"  {label:<44} {median:>11} {p90:>11}  {note}"


def measure(url: str, points: int, calls: dict[str, int], repeats: int) -> dict[str, Any]:
    """Run every worker; return their results (the median run for repeated ones)."""
    results: dict[str, Any] = {}
    tl_runs = []
    for _ in range(repeats):
        tl = run_worker("tracklib", url, calls["tracklib"])
        check_delivered(url, tl, calls["tracklib"], "tracklib")
        tl_runs.append(tl)
    tl_runs.sort(key=lambda r: r["delivered_s"])
    results["tracklib"] = tl_runs[len(tl_runs) // 2]
    results["tracklib_all"] = [r["delivered_s"] for r in tl_runs]
    results["file"] = run_worker("file", url, calls["file"])
    batch_runs = []
    for _ in range(repeats):
        batch = run_worker("mlflow_batch", url, points)
        check_delivered(url, batch, points, "MLflow log_batch")
        batch_runs.append(batch)
    batch_runs.sort(key=lambda r: r["delivered_s"])
    results["mlflow_batch"] = batch_runs[len(batch_runs) // 2]
    results["mlflow_batch_all"] = [r["delivered_s"] for r in batch_runs]
    for kind in ("mlflow_sync", "mlflow_async"):
        results[kind] = run_worker(kind, url, calls[kind])
        check_delivered(url, results[kind], calls[kind], kind)
    return results


def report(r: dict[str, Any], points: int, repeats: int) -> None:
    tl, fs, ms, ma, mb = (r[k] for k in ("tracklib", "file", "mlflow_sync", "mlflow_async",
                                         "mlflow_batch"))  # fmt: skip
    print(
        f"tracklib {tl['version']} vs MLflow {mb['version']}, same local mlflow server "
        "(sqlite backend, 1 worker)"
    )
    print()
    print("log_metric, caller cost per call (perf_counter_ns around each call)")
    print(_row("", "median", "p90", "calls"))
    print(_row("tracklib, http:// URI (sender running)", _us(tl["median_us"]), _us(tl["p90_us"]),
               f"{tl['calls']:,}"))  # fmt: skip
    print(_row("tracklib, local file store", _us(fs["median_us"]), _us(fs["p90_us"]),
               f"{fs['calls']:,}"))  # fmt: skip
    print(_row("MLflow log_metric (synchronous)", _us(ms["median_us"]), _us(ms["p90_us"]),
               f"{ms['calls']:,} (fewer: one HTTP round trip each)"))  # fmt: skip
    print(_row("MLflow log_metric(synchronous=False)", _us(ma["median_us"]), _us(ma["p90_us"]),
               f"{ma['calls']:,}"))  # fmt: skip
    print()
    print(f"time until {points:,} points are on the server (from the first log call)")
    tl_note = f"median of {repeats}: " + ", ".join(_s(x) for x in r["tracklib_all"])
    loop_label = f"tracklib: logging loop ({tl['calls']:,} log_metric)"
    print(f"  {loop_label:<58} {_s(tl['loop_s']):>10}")
    print(f"  {'tracklib: loop + end_run (all delivered, status set)':<58} "
          f"{_s(tl['delivered_s']):>10}  {tl_note}")  # fmt: skip
    mb_note = f"median of {repeats}: " + ", ".join(_s(x) for x in r["mlflow_batch_all"])
    print(f"  {'MLflow MlflowClient.log_batch, chunks of 1000':<58} "
          f"{_s(mb['delivered_s']):>10}  {mb_note}")  # fmt: skip
    scale = points / ma["calls"]
    label = f"MLflow async: {ma['calls']:,} calls + flush_async_logging"
    print(f"  {label:<58} "
          f"{_s(ma['delivered_s']):>10}  measured")  # fmt: skip
    label = f"MLflow async: extrapolated to {points:,} points (x{scale:g})"
    print(f"  {label:<58} "
          f"{_s(ma['delivered_s'] * scale):>10}  extrapolated, not measured")  # fmt: skip
    label = f"MLflow sync: {ms['calls']:,} calls (loop)"
    print(f"  {label:<58} "
          f"{_s(ms['loop_s']):>10}  measured; x{points / ms['calls']:.1f} = "
          f"{_s(ms['loop_s'] * points / ms['calls'])} extrapolated")  # fmt: skip
    print()
    print("Every count above was read back from the server (metrics/get-history) and matched.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 points, 1 repeat")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker, args.url, args.count)
        return
    points, calls, repeats = POINTS, dict(CALLS), REPEATS
    if args.quick:
        points, repeats = 2_000, 1
        calls = {"tracklib": 2_000, "file": 2_000, "mlflow_sync": 50, "mlflow_async": 200}
    sys.path.insert(0, str(HERE.parent / "tests"))
    from mlflow_server import launch  # the test suite's server helper

    print_machine()
    with tempfile.TemporaryDirectory(prefix="bench-remote-server-") as workdir:
        server = launch(Path(workdir))
        try:
            server.wait_healthy()
            print(f"server  : mlflow server at {server.url} (sqlite, artifacts proxied)")
            print()
            results = measure(server.url, points, calls, repeats)
        finally:
            server.stop()
    report(results, points, repeats)


if __name__ == "__main__":
    main()
