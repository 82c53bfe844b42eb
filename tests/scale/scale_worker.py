"""One training process of the scale tests and benchmark: a run with params, metrics and an
artifact, logged through tracklib or through MLflow's own client, timing every logging call.

Run as ``python scale_worker.py --client tracklib|mlflow --experiment E --run-name N --out F``.
tracklib finds the server in ``TRACKLIB_TRACKING_URI``, MLflow in ``MLFLOW_TRACKING_URI``.
The report (JSON, written to ``--out``) holds per-call statistics of the logging calls, the
time ``end_run`` took, and the process's own CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

KEYS = ("loss", "accuracy", "lr")


def value(key_index: int, step: int) -> float:
    """The value of point ``step`` of metric ``KEYS[key_index]`` (exact in binary)."""
    return (step * 3 + key_index) / 8.0


def params(count: int) -> dict[str, str]:
    """The run's params."""
    return {f"param_{i:03d}": f"value-{i}" for i in range(count)}


def switches() -> tuple[int, int]:
    """The calling thread's (voluntary, involuntary) context switches so far (Linux)."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_nvcsw, usage.ru_nivcsw


class Timer:
    """Times calls: every call's wall time in ns, per kind, and with ``cpu`` also the CPU
    time the calling thread spent in it (tells work from waiting for a core)."""

    def __init__(self, cpu: bool) -> None:
        self.calls: dict[str, list[int]] = {}
        self.cpu: dict[str, list[int]] | None = {} if cpu else None
        # Per call: the thread's (voluntary, involuntary) context switches. Involuntary ones
        # mean the scheduler took the core away (waiting for a core); voluntary ones mean the
        # thread blocked (on I/O, a lock, or the GIL held by the sender thread).
        self.switches: dict[str, list[tuple[int, int]]] = {}

    def __call__(self, kind: str, call: Callable[[], Any]) -> None:
        before = switches() if self.cpu is not None else (0, 0)
        cpu_start = time.thread_time_ns()
        start = time.perf_counter_ns()
        call()
        self.calls.setdefault(kind, []).append(time.perf_counter_ns() - start)
        if self.cpu is not None:
            self.cpu.setdefault(kind, []).append(time.thread_time_ns() - cpu_start)
            after = switches()
            self.switches.setdefault(kind, []).append((after[0] - before[0], after[1] - before[1]))

    def kind(self, kind: str) -> tuple[list[int], list[int] | None, list[tuple[int, int]]]:
        """The lists one kind's wall and CPU times go to (for loops that time inline)."""
        cpu = None if self.cpu is None else self.cpu.setdefault(kind, [])
        return self.calls.setdefault(kind, []), cpu, self.switches.setdefault(kind, [])

    def report(self) -> dict[str, Any]:
        every = sorted(t for times in self.calls.values() for t in times)
        report = {
            "calls": len(every),
            "sum_ms": sum(every) / 1e6,
            "p50_ms": every[len(every) // 2] / 1e6,
            "p99_ms": every[int(len(every) * 0.99)] / 1e6,
            "max_ms": every[-1] / 1e6,
            "max_by_kind_ms": {k: max(v) / 1e6 for k, v in self.calls.items()},
            "p999_by_kind_ms": {
                k: sorted(v)[int(len(v) * 0.999)] / 1e6 for k, v in self.calls.items()
            },
        }
        if self.cpu is not None:
            every_call = [
                (wall / 1e6, cpu / 1e6, kind, *switch)
                for kind, walls in self.calls.items()
                for wall, cpu, switch in zip(
                    walls, self.cpu[kind], self.switches[kind], strict=True
                )
            ]
            report["max_cpu_ms"] = max(c[1] for c in every_call)
            # (wall ms, CPU ms, kind, voluntary switches, involuntary switches)
            report["slow_calls"] = sorted(c for c in every_call if c[0] >= 10.0)[-10:]
        return report


def run_tracklib(args: argparse.Namespace, artifact: Path, timer: Timer) -> tuple[str, float]:
    import tracklib

    run = tracklib.start_run(experiment=args.experiment, run_name=args.run_name)
    timer("params", lambda: tracklib.log_params(params(args.params)))
    Path(args.out + ".started").touch()
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    times, cpus, switched = timer.kind("metric")
    for step in range(args.steps):
        for index, key in enumerate(KEYS):
            before = switches() if cpus is not None else (0, 0)
            cpu_start = cpu_clock() if cpus is not None else 0
            start = clock()
            tracklib.log_metric(key, value(index, step), step=step)
            times.append(clock() - start)
            if cpus is not None:
                cpus.append(cpu_clock() - cpu_start)
                after = switches()
                switched.append((after[0] - before[0], after[1] - before[1]))
        if args.step_pause:
            time.sleep(args.step_pause)
    timer("artifact", lambda: tracklib.log_artifact(str(artifact)))
    ending = time.perf_counter()
    tracklib.end_run()  # waits (at most TRACKLIB_FLUSH_TIMEOUT) until the server has it all
    return run.run_id, time.perf_counter() - ending


def run_mlflow(args: argparse.Namespace, artifact: Path, timer: Timer) -> tuple[str, float]:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    experiment = client.get_experiment_by_name(args.experiment)
    assert experiment is not None, "the benchmark creates the experiment first"
    run_id = client.create_run(experiment.experiment_id, run_name=args.run_name).info.run_id
    all_params = [Param(k, v) for k, v in params(args.params).items()]
    timer("params", lambda: client.log_batch(run_id, params=all_params))
    Path(args.out + ".started").touch()
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    times, cpus, switched = timer.kind("metric")
    buffer: list[Metric] = []
    for step in range(args.steps):
        now = int(time.time() * 1000)
        for index, key in enumerate(KEYS):  # MLflow's best path: log_batch of 1,000 points
            buffer.append(Metric(key, value(index, step), now, step))
            if len(buffer) == 1000:
                before, cpu_start, start = switches(), cpu_clock(), clock()
                client.log_batch(run_id, metrics=buffer)
                times.append(clock() - start)
                if cpus is not None:
                    cpus.append(cpu_clock() - cpu_start)
                    after = switches()
                    switched.append((after[0] - before[0], after[1] - before[1]))
                buffer = []
        if args.step_pause:
            time.sleep(args.step_pause)
    if buffer:
        timer("metric", lambda: client.log_batch(run_id, metrics=buffer))
    timer("artifact", lambda: client.log_artifact(run_id, str(artifact)))
    ending = time.perf_counter()
    client.set_terminated(run_id)
    return run_id, time.perf_counter() - ending


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", choices=["tracklib", "mlflow"], default="tracklib")
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--run-name", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--params", type=int, default=100)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--artifact-mb", type=float, default=5.0)
    parser.add_argument("--go-file", help="wait until this file exists, then start")
    parser.add_argument("--cpu-times", action="store_true", help="also time each call's CPU")
    parser.add_argument("--step-pause", type=float, default=0.0, help="seconds of 'compute'")
    args = parser.parse_args()
    artifact = Path(args.out).with_suffix(".bin")
    artifact.write_bytes(os.urandom(int(args.artifact_mb * 1024 * 1024)))
    if args.client == "mlflow":  # imports are not logging: done before the clock starts
        import mlflow.tracking  # noqa: F401
    else:
        import tracklib  # noqa: F401
    if args.go_file:  # start together
        Path(args.out + ".ready").touch()
        while not os.path.exists(args.go_file):
            time.sleep(0.01)
    timer = Timer(args.cpu_times)
    before = resource.getrusage(resource.RUSAGE_SELF)  # the imports' CPU is not logging's
    first = time.time()  # wall clock: the benchmark compares it across processes
    started = time.perf_counter()
    runner = run_tracklib if args.client == "tracklib" else run_mlflow
    run_id, end_s = runner(args, artifact, timer)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report = {
        "run_id": run_id,
        "run_name": args.run_name,
        "end_s": end_s,
        "t_first": first,
        "t_done": time.time(),
        "wall_s": time.perf_counter() - started,
        "cpu_s": usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime,
        **timer.report(),
    }
    Path(args.out).write_text(json.dumps(report))
    sys.exit(0)


if __name__ == "__main__":
    main()
