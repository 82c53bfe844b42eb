"""The start-up row of bench_core: a small script's tracking, as whole processes, side by side.

Run alone with ``python benchmarks/bench_startup.py [--rounds N]``; ``bench_core.py`` prints the
same row. The script (:data:`SCRIPT`) imports the library, starts a run (tracklib with its default
environment snapshot), logs 20 params and 1,000 metric points, and ends the run. Each figure is
the median wall time of that script as a fresh process minus the median of a bare interpreter
running an empty script, measured in interleaved rounds (bare, MLflow, tracklib, tracklib with
a cold cache, the order of the libraries alternating), so drift in machine load hits all alike.
CPU time (user + system of the process and its children, e.g. git) is printed too: it barely
moves when other processes compete for the cores.

Fair conditions: each library works in its own folder, a git checkout holding the script (both
libraries record its commit), with a store made by one untimed warm-up process (as when a
script is run again in a project); bytecode caching is on for both
(``PYTHONDONTWRITEBYTECODE`` is removed: an installed package ships or writes its ``.pyc``);
MLflow gets ``MLFLOW_ALLOW_FILE_STORE``, ``MLFLOW_DISABLE_TELEMETRY`` and a file store (its
default is a SQLite database, several times slower still). tracklib's snapshot
cache (see docs/environment.md) lives in a folder of the benchmark, filled by the warm-up; the
"cold cache" row gives every process an empty cache folder, so it pays the full package scan.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

SCRIPT = """
import sys
lib = __import__(sys.argv[1])
with lib.start_run():
    lib.log_params({f"p{i}": i for i in range(20)})
    for i in range(1000):
        lib.log_metric("loss", 1.0 / (i + 1), step=i)
"""
KINDS = ("bare", "mlflow", "tracklib", "tracklib_cold")


def _env(kind: str, cache: str, folder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLIB_", "MLFLOW_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if kind == "mlflow":
        env.update(MLFLOW_ALLOW_FILE_STORE="true", MLFLOW_DISABLE_TELEMETRY="true")
        # MLflow 3's default store is a SQLite database; compare file store with file store.
        env["MLFLOW_TRACKING_URI"] = os.path.join(folder, "mlruns")
    if kind.startswith("tracklib"):
        env["TRACKLIB_CACHE_DIR"] = tempfile.mkdtemp(dir=cache) if kind.endswith("cold") else cache
    return env


def _time(kind: str, folder: str, cache: str) -> tuple[float, float]:
    """Wall and CPU seconds (children included) of one process of ``kind``."""
    script = ["empty.py"] if kind == "bare" else ["track.py", kind.split("_")[0]]
    args = [sys.executable, *script]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        args, cwd=folder, env=_env(kind, cache, folder), check=True, stdout=subprocess.DEVNULL
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _commit(folder: str) -> None:
    """Make the folder a git checkout with one commit: where training scripts usually live."""
    if shutil.which("git") is None:
        return
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "script"]):
        subprocess.run(
            ["git", "-c", "user.email=b@example.com", "-c", "user.name=bench", *args],
            cwd=folder, check=True, capture_output=True,
        )  # fmt: skip


def measure(rounds: int, where: str | None = None) -> dict[str, Any]:
    """Median wall and CPU seconds per kind over ``rounds`` interleaved rounds."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-", dir=where) as base:
        folders, cache = {}, os.path.join(base, "cache")
        os.makedirs(cache)
        for kind in KINDS:
            folders[kind] = os.path.join(base, kind)
            os.makedirs(folders[kind])
            for name, text in (("track.py", SCRIPT), ("empty.py", ""), (".gitignore", "mlruns\n")):
                with open(os.path.join(folders[kind], name), "w", encoding="utf-8") as f:
                    f.write(text)
            _commit(folders[kind])
            _time(kind, folders[kind], cache)  # warm-up: store, .pyc files, snapshot cache
        samples: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
        for number in range(rounds):
            order = KINDS if number % 2 == 0 else (KINDS[0], *reversed(KINDS[1:]))
            for kind in order:
                samples[kind].append(_time(kind, folders[kind], cache))
    return {
        kind: {
            "wall": statistics.median(s[0] for s in values),
            "cpu": statistics.median(s[1] for s in values),
        }
        for kind, values in samples.items()
    }


def report(figures: dict[str, Any], rounds: int) -> None:
    """Print the row: each library's added time, and MLflow's over tracklib's."""
    bare = figures["bare"]
    print(f"-- small script as a whole process (import, start_run, 20 params, 1,000 points, "
          f"end), median of {rounds} rounds minus a bare interpreter "
          f"({bare['wall'] * 1e3:.1f} ms wall, {bare['cpu'] * 1e3:.1f} ms CPU) --")  # fmt: skip
    print(f"{'':<34}{'tracklib':>12}{'MLflow':>12}{'MLflow/tracklib':>17}")
    rows = (("snapshot cache warm", "tracklib"), ("snapshot cache cold", "tracklib_cold"))
    for label, ours in rows:
        for measure_ in ("wall", "cpu"):
            mine = figures[ours][measure_] - bare[measure_]
            theirs = figures["mlflow"][measure_] - bare[measure_]
            ratio = f"{theirs / mine:.1f}x" if mine > 0 else "-"
            print(f"{label + ', ' + measure_:<34}{mine * 1e3:>9.1f} ms{theirs * 1e3:>9.1f} ms"
                  f"{ratio:>17}")  # fmt: skip


def main() -> None:
    """Measure and print the start-up row."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--dir", help="put the temporary folders here")
    args = parser.parse_args()
    report(measure(args.rounds, args.dir), args.rounds)


if __name__ == "__main__":
    main()
