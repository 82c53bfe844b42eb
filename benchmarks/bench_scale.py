"""16 training processes into one ``mlflow server --workers 4`` on PostgreSQL: tracklib against
MLflow's own client, side by side, and where the CPU goes.

Run by hand from the repository root: ``python benchmarks/bench_scale.py`` (about 5 minutes;
``--processes 4 --steps 1000`` for a smoke run). Needs PostgreSQL (see
``tests/postgres_server.py``) and ``psycopg2-binary``.

The script starts PostgreSQL in a temporary folder and an ``mlflow server --workers 4`` on it
(``tests/scale/scale_server.py``), then runs the same workload twice, each time as N fresh
processes (``tests/scale/scale_worker.py``) that import their library, wait for a common start
signal, and log one run each: 100 params, 3 metrics x S steps, a 5 MB artifact.

* tracklib: ``log_params``, ``log_metric`` per point, ``log_artifact``, ``end_run`` (which
  returns once the sender has delivered everything).
* MLflow: ``MlflowClient.log_batch`` of 1,000 points (its best path: the points are buffered
  by the loop), ``log_artifact``, ``set_terminated``.

Printed per library: the window from the first process's start to the last one's "all on the
server", the aggregate points per second over it, the time the loops spent inside logging calls
(sum over all processes, and p50/p99/max per call), and the CPU seconds (utime+stime, from
/proc, children included) of the mlflow server's processes, of PostgreSQL's, and of the
clients, over the window, with the machine's busy CPU seconds. Each run's point count is read
back from the server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "scale")]

from postgres_server import PostgresServer, remove, start_postgres  # noqa: E402
from scale_server import ScaleServer  # noqa: E402

WORKER = ROOT / "tests" / "scale" / "scale_worker.py"
TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int, children: bool = True) -> float:
    """utime+stime (and, with ``children``, of its reaped children) of a process, in s."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def _group_cpu(pgid: int) -> float:
    """CPU seconds of every live process in a process group (the server's)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[2]) == pgid:
                total += (int(stat[11]) + int(stat[12]) + int(stat[13]) + int(stat[14])) / TICK
    return total


def _postgres_cpu(pg: PostgresServer) -> float:
    pids = pg.pids()
    # The postmaster's children fields hold the backends that already ended.
    return _cpu_of(pids[0]) + sum(_cpu_of(p, children=False) for p in pids[1:]) if pids else 0.0


def _machine_busy() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK  # all but idle and iowait


def _snapshot(server: ScaleServer, pg: PostgresServer) -> dict[str, float]:
    return {
        "server": _group_cpu(server.server.proc.pid),
        "postgres": _postgres_cpu(pg),
        "machine": _machine_busy(),
    }


def _run(client: str, server: ScaleServer, pg: PostgresServer, args: Any, work: Path) -> Any:
    folder = work / client
    folder.mkdir()
    go = folder / "go"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLIB_", "MLFLOW_"))} | {
        "TRACKLIB_TRACKING_URI": server.url,
        "MLFLOW_TRACKING_URI": server.url,
        "TRACKLIB_SPOOL_DIR": str(folder / "spool"),
        "TRACKLIB_CAPTURE_ENV": "0",
        "TRACKLIB_FLUSH_TIMEOUT": "600",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{WORKER.parent}",
    }
    experiment = f"bench-{client}"
    if client == "mlflow":
        from mlflow.tracking import MlflowClient

        MlflowClient(server.url).create_experiment(experiment)
    procs = []
    for index in range(args.processes):
        out = folder / f"w{index:02d}.json"
        command = [
            sys.executable, str(WORKER), "--client", client, "--experiment", experiment,
            "--run-name", f"w{index:02d}", "--out", str(out), "--steps", str(args.steps),
            "--go-file", str(go),
        ]  # fmt: skip
        procs.append((subprocess.Popen(command, env=env), out))
    while not all(Path(f"{out}.ready").exists() for _, out in procs):  # imports done
        time.sleep(0.05)
    before, started = _snapshot(server, pg), time.monotonic()
    go.touch()
    for proc, _ in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a {client} worker failed")
    after = _snapshot(server, pg)
    after["elapsed"] = time.monotonic() - started
    reports = [json.loads(out.read_text()) for _, out in procs]
    return reports, {k: after[k] - before.get(k, 0.0) for k in after}, experiment


def _check(server: ScaleServer, experiment: str, reports: list[dict[str, Any]], steps: int) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(server.url)
    for report in reports:
        for key in ("loss", "accuracy", "lr"):
            count = len(client.get_metric_history(report["run_id"], key))
            if count != steps:
                raise SystemExit(f"{experiment}: run {report['run_id']} has {count} {key} points")


def _summary(reports: list[dict[str, Any]], cpu: dict[str, float], steps: int) -> dict[str, Any]:
    window = max(r["t_done"] for r in reports) - min(r["t_first"] for r in reports)
    cpu = dict(cpu)
    elapsed = cpu.pop("elapsed")  # the CPU figures cover this (start signal to last exit)
    points = len(reports) * steps * 3
    return {
        "window_s": window,
        "elapsed_s": elapsed,
        "points_per_s": points / window,
        "in_calls_s": sum(r["sum_ms"] for r in reports) / 1e3,
        "p50_ms": statistics.median(r["p50_ms"] for r in reports),
        "p99_ms": max(r["p99_ms"] for r in reports),
        "max_ms": max(r["max_ms"] for r in reports),
        "end_s": max(r["end_s"] for r in reports),
        "client_cpu_s": sum(r["cpu_s"] for r in reports),  # from the start signal on
        **{f"{k}_cpu_s": v for k, v in cpu.items()},
    }


def _print(results: dict[str, dict[str, Any]], args: Any) -> None:
    rows = [
        ("window, first log call to all on server (s)", "window_s", "{:.1f}"),
        ("aggregate points/s delivered", "points_per_s", "{:,.0f}"),
        ("time in logging calls, all loops (s)", "in_calls_s", "{:.2f}"),
        ("per call p50 (median of processes, ms)", "p50_ms", "{:.4f}"),
        ("per call p99 (worst process, ms)", "p99_ms", "{:.3f}"),
        ("per call max (ms)", "max_ms", "{:.1f}"),
        ("longest end_run / set_terminated (s)", "end_s", "{:.2f}"),
        ("CPU s: mlflow server workers", "server_cpu_s", "{:.1f}"),
        ("CPU s: PostgreSQL", "postgres_cpu_s", "{:.1f}"),
        ("CPU s: the client processes", "client_cpu_s", "{:.1f}"),
        ("CPU s: whole machine (busy)", "machine_cpu_s", "{:.1f}"),
    ]
    print(f"\n{platform.platform()}, {os.cpu_count()} CPUs, load at start {args.load}")
    print(f"{args.processes} processes x (100 params, 3 x {args.steps} points, 5 MB artifact)")
    print(f"{'':48} {'tracklib':>12} {'MLflow log_batch':>18}")
    for label, key, fmt in rows:
        values = [fmt.format(results[c][key]) for c in ("tracklib", "mlflow")]
        print(f"{label:48} {values[0]:>12} {values[1]:>18}")
    for client in ("tracklib", "mlflow"):
        r = results[client]
        keys = ("server", "postgres", "client", "machine")
        cores = ", ".join(f"{k} {r[f'{k}_cpu_s'] / r['elapsed_s']:.2f}" for k in keys)
        print(f"{client}: cores busy on average while it ran: {cores}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5000)
    args = parser.parse_args()
    args.load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    pg = start_postgres()
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    server = None
    try:
        server = ScaleServer(pg, work / "server")
        results = {}
        for client in ("tracklib", "mlflow"):
            reports, cpu, experiment = _run(client, server, pg, args, work)
            _check(server, experiment, reports, args.steps)
            results[client] = _summary(reports, cpu, args.steps)
        _print(results, args)
        print(json.dumps(results))
    finally:
        if server is not None:
            server.stop()
        remove(pg)
        shutil.rmtree(work, ignore_errors=True)  # spools and artifacts: ~400 MB


if __name__ == "__main__":
    main()
