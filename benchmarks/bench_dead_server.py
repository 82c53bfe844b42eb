"""A parent run with three child runs against a tracking server that is down: how long?

Run by hand from the repository root: ``python benchmarks/bench_dead_server.py`` (about
5 minutes, nearly all of it MLflow's retries; ``--no-mlflow`` skips MLflow).

Nothing listens on the chosen 127.0.0.1 port (connections are refused at once). Each tool
runs the same script in a fresh interpreter with default settings: a parent run, one metric,
three nested child runs with one metric each. tracklib logs offline to its spool
(``TRACKLIB_SPOOL_DIR`` in a temp folder) and each ``end_run`` waits for the server, bounded;
MLflow retries its first request with its default policy and then raises. The wall time of the
whole process is printed side by side, with the exit status and how the script ended.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TRACKLIB_JOB = """
import tracklib
with tracklib.start_run(experiment="dead") as parent:
    tracklib.log_metric("loss", 1.0, step=0)
    for i in range(3):
        with tracklib.start_run(nested=True):
            tracklib.log_metric("loss", float(i), step=0)
print("finished")
"""

MLFLOW_JOB = """
import mlflow
mlflow.set_experiment("dead")
with mlflow.start_run() as parent:
    mlflow.log_metric("loss", 1.0, step=0)
    for i in range(3):
        with mlflow.start_run(nested=True):
            mlflow.log_metric("loss", float(i), step=0)
print("finished")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLIB_", "MLFLOW_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _time(job: str, env: dict[str, str], cwd: str) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", job], env=env, cwd=cwd, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    ended = "finished" if "finished" in done.stdout else done.stderr.strip().splitlines()[-1]
    return elapsed, done.returncode, ended[:90]


def main() -> None:
    """Run the scenario for each tool and print one line per tool."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-mlflow", action="store_true", help="time tracklib only")
    args = parser.parse_args()
    uri = f"http://127.0.0.1:{_free_port()}"
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            (
                "tracklib",
                _time(
                    TRACKLIB_JOB,
                    _clean_env(
                        TRACKLIB_TRACKING_URI=uri,
                        TRACKLIB_SPOOL_DIR=os.path.join(tmp, "spool"),
                        TRACKLIB_CAPTURE_ENV="0",
                    ),
                    tmp,
                ),
            )
        ]
        if not args.no_mlflow:
            env = _clean_env(MLFLOW_TRACKING_URI=uri, MLFLOW_DISABLE_TELEMETRY="true")
            rows.append(("mlflow 3.17.2", _time(MLFLOW_JOB, env, tmp)))
    print(f"parent + 3 child runs, server down ({uri}), default settings")
    for name, (seconds, code, ended) in rows:
        print(f"  {name:14} {seconds:7.1f} s  exit {code}  {ended}")


if __name__ == "__main__":
    main()
