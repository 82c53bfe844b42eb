"""Time tracklib's core against MLflow 3.17.2's file store, side by side, in one run.

Run by hand from anywhere: ``python benchmarks/bench_core.py`` (``--quick`` for a smoke run).

What it measures (the figures of the core issue):

1. What ``import tracklib`` adds to a bare interpreter start: the median wall time of
   ``python -c "import tracklib"`` minus that of ``python -c "pass"`` over 20 interleaved
   subprocess runs, and the same for ``import mlflow``. The import is also timed from inside
   a fresh interpreter (less noisy), and the first use of ``tracklib.start_run`` (which loads
   the modules behind the public names) is a row of its own.
2. ``log_metric`` inside an active run on the file store: ``time.perf_counter_ns`` around
   each of 20,000 calls; median, p90 and p99.
3. An empty run (``start_run`` + ``end_run``) on the file store: median over N runs after a
   warm-up, and the ratio. tracklib is timed twice: with its defaults (every run stores the
   environment snapshot as artifacts, see docs/environment.md) and with
   ``TRACKLIB_CAPTURE_ENV=0`` (the core alone). A third row times the bare system calls
   any writer of MLflow's layout must make for one run (5 folders, 4 system-tag files,
   meta.yaml written and replaced through temp files), with no library at all: the floor
   that the file system sets on this machine.

The empty run is timed again in ``--rounds`` pairs of fresh workers (default 5 rounds in
all, MLflow and tracklib taking turns to go first), because this figure rides on the file
system, whose speed can drift several-fold within minutes; each round's ratio compares the
two libraries minutes apart at most, and the spread of the ratios is printed.

Nothing is deleted until the script ends, and each timed series starts after a ``sync``:
see :func:`run_worker` and :func:`_settle_disk` for why.

4. A small script's tracking as whole processes (import, start with the snapshot, 20 params,
   1,000 points, end), minus a bare interpreter, tracklib against MLflow in interleaved rounds:
   see ``bench_startup.py`` (``--startup-rounds``, 0 to skip).

``--dir DIR`` puts the temporary folders in DIR instead of the system's temp folder; with
``--dir /dev/shm`` (tmpfs) the disk drops out and what remains is each library's own cost.

Each library is measured in its own fresh interpreter (a ``--worker`` subprocess of this
script) working in its own fresh temporary folder, so neither import skews the other. The
parent process imports neither library. MLflow gets ``MLFLOW_ALLOW_FILE_STORE=true`` (it
refuses a file store without it) and ``MLFLOW_DISABLE_TELEMETRY=true`` (no background
telemetry: the fairest setting for MLflow). Tracking variables from the caller's
environment (``TRACKLIB_*``, ``MLFLOW_*``) and ``PYTHONDONTWRITEBYTECODE`` are removed from
every subprocess.
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
from collections.abc import Callable
from typing import Any

IMPORT_RUNS = 20
METRIC_CALLS = 20_000
EMPTY_RUNS = {"tracklib": 200, "mlflow": 50}
WARMUP_RUNS = 5
MLFLOW_METRIC_BUDGET_S = 60.0  # stop MLflow's metric loop early past this, and say so
HEAVY_MODULES = ("requests", "yaml")
SETTLE_S = 1.0


# ---------------------------------------------------------------------- helpers
def _clean_env(library: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLIB_", "MLFLOW_"))}
    # Bytecode caching on for both: an installed package ships or writes its .pyc files.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if library == "mlflow":
        env["MLFLOW_ALLOW_FILE_STORE"] = "true"
        env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


def _percentile(sorted_values: list[int], fraction: float) -> int:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def _run_python(code: str, library: str, cwd: str) -> float:
    """Wall time in seconds of one ``python -c code`` subprocess."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=_clean_env(library), check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def _python_json(code: str, library: str, cwd: str) -> Any:
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=_clean_env(library), check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------- startup figures
_IN_PROCESS = """
import json, sys, time
t0 = time.perf_counter()
import {lib}
t1 = time.perf_counter()
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
t2 = time.perf_counter()
{lib}.start_run
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "first_use": t3 - t2, "heavy": heavy,
    "heavy_after_use": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


def startup_figures(library: str, runs: int, cwd: str) -> dict[str, Any]:
    """Subprocess medians (import minus bare start) and in-process import/first-use times."""
    bare, imported, used = [], [], []
    for _ in range(runs):  # interleaved, so drift in machine load hits all three alike
        bare.append(_run_python("pass", library, cwd))
        imported.append(_run_python(f"import {library}", library, cwd))
        used.append(_run_python(f"import {library}; {library}.start_run", library, cwd))
    inner = [
        _python_json(_IN_PROCESS.format(lib=library, heavy=HEAVY_MODULES), library, cwd)
        for _ in range(runs)
    ]
    bare_s = statistics.median(bare)
    return {
        "bare_start": bare_s,
        "import_added": statistics.median(imported) - bare_s,
        "import_and_use_added": statistics.median(used) - bare_s,
        "import_in_process": statistics.median(r["import"] for r in inner),
        "first_use_in_process": statistics.median(r["first_use"] for r in inner),
        "heavy_after_import": inner[0]["heavy"],
        "heavy_after_first_use": inner[0]["heavy_after_use"],
    }


# ---------------------------------------------------------------------- worker (one library)
def _time_calls(call: Callable[[int], None], count: int, budget_s: float | None) -> list[int]:
    clock = time.perf_counter_ns
    deadline = None if budget_s is None else clock() + int(budget_s * 1e9)
    samples = []
    for i in range(count):
        t0 = clock()
        call(i)
        samples.append(clock() - t0)
        if deadline is not None and t0 > deadline:
            break
    return samples


def _time_runs(call: Callable[[int], None], count: int) -> dict[str, int]:
    """Median wall time and median process CPU time (all threads) of ``count`` calls.

    CPU time barely moves when other processes compete for the cores, so it tells the cost of
    a run apart from the load of a busy machine.
    """
    wall, cpu = [], []
    for i in range(count):
        c0, t0 = time.process_time_ns(), time.perf_counter_ns()
        call(i)
        wall.append(time.perf_counter_ns() - t0)
        cpu.append(time.process_time_ns() - c0)
    return {"n": count, "median": int(statistics.median(wall)), "cpu": int(statistics.median(cpu))}


def _timer_overhead_ns() -> int:
    clock = time.perf_counter_ns
    samples = []
    for _ in range(10_000):
        t0 = clock()
        samples.append(clock() - t0)
    return int(statistics.median(samples))


def _settle_disk() -> None:
    """Flush what earlier steps wrote, so one series does not pay for another's writeback.

    On a virtual disk with a throughput cap, dirty data left by a previous series slows the
    metadata operations of the next one several-fold; both libraries get the same pause.
    """
    os.sync()
    time.sleep(SETTLE_S)


def _layout_floor(folder: str, count: int) -> dict[str, int]:
    """Time the bare system calls of one run in MLflow's layout (no library involved)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    meta = b"k: v\n" * 14

    def create(path: str, data: bytes) -> None:
        fd = os.open(path, flags, 0o644)
        os.write(fd, data)
        os.close(fd)

    def one_run(i: int) -> None:
        run = os.path.join(folder, f"{i:032x}")
        os.mkdir(run)
        create(f"{run}/meta.tmp", meta)
        os.rename(f"{run}/meta.tmp", f"{run}/meta.yaml")
        for sub in ("metrics", "params", "artifacts", "tags"):
            os.mkdir(f"{run}/{sub}")
        for tag in ("mlflow.user", "mlflow.source.name", "mlflow.source.type", "mlflow.runName"):
            create(f"{run}/tags/{tag}", b"value")
        create(f"{run}/meta.tmp", meta)
        os.replace(f"{run}/meta.tmp", f"{run}/meta.yaml")

    os.makedirs(folder)
    return _time_runs(one_run, count)


def worker(library: str, metric_calls: int, empty_runs: int) -> dict[str, Any]:
    """Measure one library in this (fresh) interpreter, in the current folder."""
    import importlib

    t0 = time.perf_counter()
    lib: Any = importlib.import_module(library)
    lib.start_run  # noqa: B018 - first use loads the modules behind the name
    lib.set_tracking_uri(os.path.abspath("mlruns"))
    t1 = time.perf_counter()
    lib.start_run()
    lib.end_run()
    cold_run_s = time.perf_counter() - t1  # first run: creates the store, loads PyYAML...

    for _ in range(WARMUP_RUNS):
        lib.start_run()
        lib.end_run()

    def empty_run(_: int) -> None:
        lib.start_run()
        lib.end_run()

    empty: dict[str, dict[str, int]] = {}
    modes = ("default", "no_capture") if library == "tracklib" else ("default",)
    for mode in modes:
        if mode == "no_capture":  # the core alone: no environment snapshot artifacts
            os.environ["TRACKLIB_CAPTURE_ENV"] = "0"
        _settle_disk()
        empty[mode] = _time_runs(empty_run, empty_runs)
    os.environ.pop("TRACKLIB_CAPTURE_ENV", None)
    if library == "tracklib":
        _settle_disk()
        empty["floor"] = _layout_floor(os.path.abspath("floor"), empty_runs)

    result = {
        "version": lib.__version__,
        "import_and_first_use_s": t1 - t0,
        "cold_run_s": cold_run_s,
        "empty_run_ns": empty,
        "timer_overhead_ns": _timer_overhead_ns(),
    }
    if metric_calls:  # 0 in the extra rounds, which only time empty runs
        result["metric_ns"] = _metric_figures(lib, library, metric_calls)
    return result


def _metric_figures(lib: Any, library: str, metric_calls: int) -> dict[str, int]:
    log_metric = lib.log_metric
    budget = MLFLOW_METRIC_BUDGET_S if library == "mlflow" else None
    with lib.start_run():
        log_metric("loss", 0.5, step=0)  # warm-up: opens/creates the metric file
        metric_ns = sorted(
            _time_calls(lambda i: log_metric("loss", i * 1e-3, step=i), metric_calls, budget)
        )
    return {
        "n": len(metric_ns),
        "median": int(statistics.median(metric_ns)),
        "p90": _percentile(metric_ns, 0.90),
        "p99": _percentile(metric_ns, 0.99),
    }


def extra_rounds(rounds: int, empty: dict[str, int], where: str) -> list[dict[str, Any]]:
    """Empty-run medians from more worker pairs, the order alternating each round.

    The file system's speed drifts over minutes; pairing the libraries round by round keeps
    that drift out of each round's ratio.
    """
    results = []
    for number in range(rounds):
        order = ("mlflow", "tracklib") if number % 2 == 0 else ("tracklib", "mlflow")
        pair = {lib: run_worker(lib, 0, empty[lib], where)["empty_run_ns"] for lib in order}
        results.append(pair)
    return results


def run_worker(library: str, metric_calls: int, empty_runs: int, where: str) -> dict[str, Any]:
    """Run :func:`worker` in a fresh interpreter in a fresh folder under ``where``.

    The folder is left for the caller to delete at the very end: deleting thousands of files
    between series makes an ext4 mounted with ``discard`` (as on this VM) trim the freed
    blocks during the next series' journal commits, which slows its file creations
    several-fold, round after round.
    """
    tmp = tempfile.mkdtemp(prefix=f"bench-{library}-", dir=where)
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", library,
         "--metric-calls", str(metric_calls), "--empty-runs", str(empty_runs)],
        cwd=tmp, env=_clean_env(library), check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# ---------------------------------------------------------------------- report
def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def _us(ns: float) -> str:
    return f"{ns / 1e3:,.1f} µs"


def _ratio(slow: float, fast: float) -> str:
    if fast <= 0:
        return "-"
    ratio = slow / fast
    return f"{ratio:,.1f}x" if ratio < 100 else f"{ratio:,.0f}x"


def _row(label: str, ours: str, theirs: str, ratio: str = "") -> str:
    return f"{label:<48} {ours:>14} {theirs:>14} {ratio:>8}"


def print_machine() -> None:
    """Print what the figures were measured on (other load on the machine skews them)."""
    print(f"machine : {platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
          f"{platform.release()}")  # fmt: skip
    print(f"python  : {platform.python_implementation()} {platform.python_version()} "
          f"({sys.executable})")  # fmt: skip
    if hasattr(os, "getloadavg"):
        one, five, fifteen = os.getloadavg()
        print(f"load    : {one:.2f} {five:.2f} {fifteen:.2f} (1/5/15-min averages, at start)")


def report(
    startup: dict[str, dict[str, Any]], work: dict[str, dict[str, Any]], runs: int, where: str
) -> None:
    """Print the side-by-side table."""
    t, m = startup["tracklib"], startup["mlflow"]
    wt, wm = work["tracklib"], work["mlflow"]
    print(f"tracklib {wt['version']} vs MLflow {wm['version']} (file store, fresh temp dirs "
          f"under {where})")  # fmt: skip
    print()
    print(_row("", "tracklib", "MLflow", "MLflow/"))
    print(_row("", "", "", "tracklib"))
    print(f"-- start-up (median of {runs} subprocess runs each, bare start "
          f"{_ms(t['bare_start'])}) --")  # fmt: skip
    print(_row("`import X` added to bare start", _ms(t["import_added"]),
               _ms(m["import_added"])))  # fmt: skip
    print(_row("`import X; X.start_run` added", _ms(t["import_and_use_added"]),
               _ms(m["import_and_use_added"]),
               _ratio(m["import_and_use_added"], t["import_and_use_added"])))  # fmt: skip
    print(_row("`import X`, timed in-process", _ms(t["import_in_process"]),
               _ms(m["import_in_process"])))  # fmt: skip
    print(_row("first `X.start_run` attribute use, in-process", _ms(t["first_use_in_process"]),
               _ms(m["first_use_in_process"])))  # fmt: skip
    print(_row("first start_run()+end_run() in the process (*)", _ms(wt["cold_run_s"]),
               _ms(wm["cold_run_s"])))  # fmt: skip
    mt, mm = wt["metric_ns"], wm["metric_ns"]
    print(f"-- log_metric in an active run (perf_counter_ns around each call; "
          f"tracklib n={mt['n']:,}, MLflow n={mm['n']:,}) --")  # fmt: skip
    for stat in ("median", "p90", "p99"):
        print(_row(f"log_metric {stat}", _us(mt[stat]), _us(mm[stat]),
                   _ratio(mm[stat], mt[stat])))  # fmt: skip
    rt, rm = wt["empty_run_ns"], wm["empty_run_ns"]["default"]
    print(f"-- empty run, start_run()+end_run(), after {WARMUP_RUNS} warm-up runs "
          f"(tracklib n={rt['default']['n']}, MLflow n={rm['n']}) --")  # fmt: skip
    for label, mode in (("defaults", "default"), ("TRACKLIB_CAPTURE_ENV=0", "no_capture")):
        ours = rt[mode]
        print(_row(f"empty run median, wall ({label})", _us(ours["median"]), _us(rm["median"]),
                   _ratio(rm["median"], ours["median"])))  # fmt: skip
        print(_row(f"empty run median, CPU ({label})", _us(ours["cpu"]), _us(rm["cpu"]),
                   _ratio(rm["cpu"], ours["cpu"])))  # fmt: skip
    floor = rt["floor"]
    print(_row("bare system calls of one run, no library", _us(floor["median"]),
               _us(rm["median"]), _ratio(rm["median"], floor["median"])))  # fmt: skip
    print()
    print("(*) creates the store folder; tracklib's includes its one environment snapshot per")
    print("    process (TRACKLIB_CAPTURE_ENV), MLflow's its git/context probes and lazy imports.")
    print(
        f"timer overhead (empty perf_counter_ns pair, median): {wt['timer_overhead_ns']} ns; "
        "included in the per-call figures above"
    )
    for name, figures in (("tracklib", t), ("mlflow", m)):
        print(
            f"after `import {name}`: loaded {figures['heavy_after_import'] or 'neither'} of "
            f"{list(HEAVY_MODULES)}; after first `.start_run` use: "
            f"{figures['heavy_after_first_use'] or 'neither'}"
        )
    if mm["n"] < METRIC_CALLS:
        print(
            f"note: MLflow's log_metric loop ran {mm['n']:,} calls, not {METRIC_CALLS:,} "
            f"(time budget {MLFLOW_METRIC_BUDGET_S:.0f} s or --quick)."
        )
    assert not t["heavy_after_import"], "import tracklib must not import requests or yaml"


def report_rounds(first: dict[str, dict[str, Any]], extra: list[dict[str, Any]]) -> None:
    """Print the empty-run medians of every round and the spread of the ratios."""
    rounds = [{lib: first[lib]["empty_run_ns"] for lib in first}, *extra]
    print()
    print(f"-- empty run, {len(rounds)} rounds of fresh worker pairs (median of each round; "
          "ratio = MLflow / tracklib in the same round) --")  # fmt: skip
    print(f"{'round':<6}{'MLflow':>11}{'tracklib':>11}{'ratio':>8}{'no snapshot':>13}{'ratio':>8}"
          f"{'syscalls':>11}{'ratio':>8}")  # fmt: skip
    ratios: dict[str, list[float]] = {"default": [], "no_capture": [], "floor": []}
    for number, pair in enumerate(rounds, 1):
        theirs = pair["mlflow"]["default"]["median"]
        cells = []
        for mode in ratios:
            ours = pair["tracklib"][mode]["median"]
            ratios[mode].append(theirs / ours)
            cells.append(f"{_us(ours):>11}{theirs / ours:>7.1f}x")
        print(f"{number:<6}{_us(theirs):>11}{cells[0]}  {cells[1]}{cells[2]}")
    print("median ratio: " + ", ".join(
        f"{mode} {statistics.median(values):.1f}x (range {min(values):.1f}-{max(values):.1f})"
        for mode, values in ratios.items()
    ))  # fmt: skip


def main() -> None:
    """Parse the arguments; run as the coordinator or as a one-library worker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=("tracklib", "mlflow"), help=argparse.SUPPRESS)
    parser.add_argument("--metric-calls", type=int, default=METRIC_CALLS)
    parser.add_argument("--empty-runs", type=int, default=None)
    parser.add_argument("--import-runs", type=int, default=IMPORT_RUNS)
    parser.add_argument("--quick", action="store_true", help="few iterations, for a smoke run")
    parser.add_argument("--dir", help="put the temporary folders here (e.g. /dev/shm)")
    parser.add_argument("--rounds", type=int, default=5, help="worker pairs for the empty run")
    parser.add_argument("--startup-rounds", type=int, default=7, help="rounds of the script row")
    args = parser.parse_args()
    if args.worker:
        result = worker(args.worker, args.metric_calls, args.empty_runs or 1)
        print(json.dumps(result))
        return
    if args.quick:
        args.metric_calls, args.import_runs = 500, 3
    print_machine()
    startup, work = {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-core-", dir=args.dir) as base:
        for library in ("tracklib", "mlflow"):  # tracklib first; each in its own interpreters
            empty = args.empty_runs or (10 if args.quick else EMPTY_RUNS[library])
            start_dir = tempfile.mkdtemp(prefix=f"bench-{library}-start-", dir=base)
            startup[library] = startup_figures(library, args.import_runs, start_dir)
            work[library] = run_worker(library, args.metric_calls, empty, base)
        empties = {lib: args.empty_runs or (10 if args.quick else EMPTY_RUNS[lib]) for lib in work}
        extra = extra_rounds(max(args.rounds - 1, 0), empties, base)
    print()
    report(startup, work, args.import_runs, args.dir or tempfile.gettempdir())
    report_rounds(work, extra)
    if args.startup_rounds:
        import bench_startup  # beside this file

        rounds = 3 if args.quick else args.startup_rounds
        print()
        bench_startup.report(bench_startup.measure(rounds, args.dir), rounds)


if __name__ == "__main__":
    main()
