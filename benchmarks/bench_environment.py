"""Time the environment snapshot against `pip freeze`, and what it adds to start_run.

Run by hand from the repository root: ``python benchmarks/bench_environment.py``.
The first ``capture_environment()`` call is reported separately (it pays for lazy imports,
``platform``'s one-off probes and PyYAML); then the median of 20 calls with the snapshot cache
cold (its file deleted before each call: the package scan, in a process past its first call)
and warm, compared with the median of 5
``python -m pip freeze`` runs in the same interpreter. The cache lives in a temporary folder.

Then ``start_run`` + ``end_run`` with and without the snapshot: the first run of a fresh
process (which takes the snapshot; median of fresh processes), and later runs of the same
process (which reuse it; median of 100), with MLflow 3.17.2's first run beside them.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracklib.environment import cache
from tracklib.environment.capture import capture_environment

SNAPSHOT_RUNS = 20
FREEZE_RUNS = 5
PROCESSES = 7
FIRST_RUN = """
import os, sys, time, tempfile
os.chdir(tempfile.mkdtemp())
mode = sys.argv[1]
if mode == "mlflow":
    import mlflow as lib
    lib.set_tracking_uri("file://" + os.getcwd() + "/mlruns")
    kwargs = {}
else:
    import tracklib as lib
    lib.start_run  # load tracklib's lazily imported modules first, as `import mlflow` does
    kwargs = {"capture_env": mode == "on"}
times = []
for _ in range(30):
    start = time.perf_counter()
    with lib.start_run(**kwargs):
        pass
    times.append(time.perf_counter() - start)
print(times[0], sorted(times[1:])[len(times) // 2])
"""


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _pip_freeze() -> None:
    subprocess.run([sys.executable, "-m", "pip", "freeze"], capture_output=True, check=True)


def main() -> None:
    """Print the timings side by side and the speed-up."""
    os.environ["TRACKLIB_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-env-cache-")
    first = _seconds(capture_environment)
    snapshot = capture_environment()

    def cold() -> None:
        os.remove(cache.cache_file())
        capture_environment()

    cold_s = statistics.median(_seconds(cold) for _ in range(SNAPSHOT_RUNS))
    capture_environment()
    warm = statistics.median(_seconds(capture_environment) for _ in range(SNAPSHOT_RUNS))
    freeze = statistics.median(_seconds(_pip_freeze) for _ in range(FREEZE_RUNS))
    git = "in a git checkout" if snapshot["git"] else "no git checkout"
    print(f"python {sys.version.split()[0]}, {len(snapshot['packages'])} packages, {git}")
    print(f"{'capture_environment() first call':<44}{first * 1000:>9.1f} ms")
    for label, value in (("cold", cold_s), ("warm", warm)):
        name = f"capture_environment() cache {label}, median of {SNAPSHOT_RUNS}"
        print(f"{name:<44}{value * 1000:>9.1f} ms")
    print(f"{f'pip freeze subprocess median of {FREEZE_RUNS}':<44}{freeze * 1000:>9.1f} ms")
    print(f"speed-up vs pip freeze: {freeze / warm:.0f}x warm, {freeze / cold_s:.0f}x cold "
          f"(first call: {freeze / first:.0f}x)")  # fmt: skip


def _run_costs(mode: str) -> tuple[float, float]:
    env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    samples = [
        subprocess.run(
            [sys.executable, "-c", FIRST_RUN, mode],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout.split()
        for _ in range(PROCESSES)
    ]
    first = statistics.median(float(s[0]) for s in samples)
    return first, statistics.median(float(s[1]) for s in samples)


def start_run_costs() -> None:
    """Print start_run + end_run: the first run of a process and later ones."""
    print(f"start_run + end_run, median of {PROCESSES} fresh processes (file store):")
    for label, mode in (
        ("tracklib, capture_env=False", "off"),
        ("tracklib, capture_env=True", "on"),
        ("mlflow 3.17.2", "mlflow"),
    ):
        first, later = _run_costs(mode)
        print(f"  {label:<28} first run {first * 1000:7.2f} ms   later runs {later * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
    start_run_costs()
