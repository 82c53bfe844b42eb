"""A real ``mlflow server`` for tests: a free 127.0.0.1 port, a sqlite backend, artifacts in a
temp folder, a bounded wait for ``GET /health``, and a stop that always ends the whole
process group (mlflow starts uvicorn as a child process).

Use :func:`launch` (returns at once) then :meth:`MlflowServer.wait_healthy`, so several
servers can start side by side; :mod:`conftest_server` wraps this in session fixtures.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests

START_TIMEOUT = 120.0  # seconds; a cold start takes 10-25 s on a busy 2-core machine
_STRIPPED_PREFIXES = ("MLFLOW_TRACKING_", "TRACKLIB_", "MLFLOW_EXPERIMENT_", "MLFLOW_RUN_")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env() -> dict[str, str]:
    """This process's env minus tracking/auth settings; no background job runner."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_STRIPPED_PREFIXES)}
    # The job runner starts several huey consumer processes the tests never use.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    return env


@dataclass
class MlflowServer:
    """One running ``mlflow server``."""

    url: str
    workdir: Path
    serve_artifacts: bool
    proc: subprocess.Popen[bytes]
    log: IO[bytes]
    healthy: bool = False

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def log_tail(self, chars: int = 4000) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        """Poll ``GET /health`` until it answers 200.

        Raises:
            RuntimeError: The server exited or stayed unhealthy for ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while not self.healthy:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"mlflow server gave no healthy answer in {timeout:.0f} s:\n{self.log_tail()}"
                )
            with contextlib.suppress(requests.RequestException):  # not listening yet
                self.healthy = requests.get(f"{self.url}/health", timeout=2).status_code == 200
            if not self.healthy:
                time.sleep(0.2)

    def stop(self) -> None:
        """End the server and its children (SIGTERM, then SIGKILL after 10 s)."""
        if self.proc.poll() is None:
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if os.name != "nt":  # children may outlive the parent: end the rest of the group
            _signal_group(self.proc, signal.SIGKILL)
        self.log.close()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        if os.name == "nt":
            proc.send_signal(sig)
        else:
            os.killpg(proc.pid, sig)  # the group this helper created for the server
    except (ProcessLookupError, PermissionError):
        pass


def launch(
    workdir: Path,
    serve_artifacts: bool = True,
    backend_uri: str | None = None,
    workers: int = 1,
    port: int | None = None,
) -> MlflowServer:
    """Start ``mlflow server`` in ``workdir`` (returns before it is ready).

    ``backend_uri`` replaces the sqlite file in ``workdir`` (e.g. a PostgreSQL URL); ``port``
    reuses a port, to restart a stopped server where its clients expect it.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    backend_uri = backend_uri or f"sqlite:///{(workdir / 'mlflow.db').as_posix()}"
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--backend-store-uri", backend_uri,
    ]  # fmt: skip
    if serve_artifacts:
        command += ["--artifacts-destination", str(workdir / "artifacts")]
    else:
        command += ["--no-serve-artifacts", "--default-artifact-root", str(workdir / "local")]
    log = (workdir / "server.log").open("ab")  # a restarted server appends
    proc = subprocess.Popen(
        command,
        cwd=workdir,
        env=server_env(),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=os.name != "nt",  # its own process group, so stop() ends all of it
    )
    return MlflowServer(f"http://127.0.0.1:{port}", workdir, serve_artifacts, proc, log)
