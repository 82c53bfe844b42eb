"""What a user of the remote path sees: bounded waits, Ctrl-C, the id a script printed.

A real ``mlflow server`` (the session's) behind the fault-injecting proxy, or a port where
nothing listens; training scripts run as real subprocesses where signals and exit matter.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import PASS, FaultProxy, always, status_before
from mlflow_server import MlflowServer, free_port

import tracklib
from tracklib import cli, settings
from tracklib.entities import ViewType
from tracklib.errors import AlreadyExistsError, NotFoundError
from tracklib.remote import spool
from tracklib.remote.replicator import SOURCE_TAG, Replicator
from tracklib.stores.experiment_names import get_or_create_experiment
from tracklib.stores.file.store import FileStore

pytest_plugins = ["conftest_server"]
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(autouse=True)
def _remote_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (*settings.USERNAME_VARS, *settings.PASSWORD_VARS, *settings.TOKEN_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(spool.SPOOL_DIR_VAR, os.fspath(tmp_path / "spool"))
    monkeypatch.setenv(spool.FLUSH_TIMEOUT_VAR, "60")
    yield
    spool.reset()


@pytest.fixture
def proxy(mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    with FaultProxy(mlflow_server.url) as p:
        monkeypatch.setenv("TRACKLIB_TRACKING_URI", p.url)
        yield p
        spool.reset()


@pytest.fixture(scope="module")
def reference(mlflow_server: MlflowServer) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


# ---------------------------------------------------------------- a dead server
_FAMILY = """
import sys, tracklib
with tracklib.start_run(experiment=sys.argv[1]) as parent:
    print(parent.run_id, flush=True)
    tracklib.log_metric("loss", 1.0, step=0)
    for i in range(3):
        with tracklib.start_run(nested=True) as child:
            print(child.run_id, flush=True)
            tracklib.log_metric("loss", float(i), step=0)
"""


def test_a_dead_server_does_not_hold_every_end_run(
    mlflow_server: MlflowServer, reference: Any, tmp_path: Path
) -> None:
    """A parent and three children against a server that never answers: each end_run waits
    a moment, not the flush timeout (600 s here: waiting it once would fail the test)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    experiment = _name("dead")
    env = _env(TRACKLIB_TRACKING_URI=url, TRACKLIB_FLUSH_TIMEOUT="600")
    job = subprocess.run(
        [sys.executable, "-c", _FAMILY, experiment],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert job.returncode == 0, job.stderr
    ids = job.stdout.split()
    assert len(ids) == 4
    for run_id in ids:
        said = [line for line in job.stderr.splitlines() if run_id in line]
        assert [line for line in said if "offline" in line]
        assert [line for line in said if "tracklib sync" in line and "not fully" in line]
    assert "Ctrl-C" in job.stderr  # the waits said what they wait for and how to skip them
    assert "Traceback" not in job.stderr
    # Nothing was lost: the data waits in the spool for the server.
    with FaultProxy(mlflow_server.url, port=port):
        assert cli.main(["sync", "--json"]) == 0
    exp = reference.get_experiment_by_name(experiment)
    runs = reference.search_runs([exp.experiment_id], run_view_type=3)
    assert sorted(r.data.tags[SOURCE_TAG] for r in runs) == sorted(ids)


def test_offline_warning_is_one_short_line_with_details_at_debug(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens
    monkeypatch.setenv("TRACKLIB_TRACKING_URI", url)
    caplog.set_level(logging.DEBUG, logger="tracklib")
    with tracklib.start_run(experiment=_name("short")) as run:
        pass
    started = [r for r in caplog.records if "logs offline" in r.getMessage()]
    assert len(started) == 1 and started[0].levelno == logging.WARNING
    line = started[0].getMessage()
    assert "\n" not in line and run.run_id in line and url in line
    assert "Error" not in line and "/api/2.0" not in line  # no requests exception in it
    details = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("ConnectionError" in d and "/api/2.0/mlflow" in d for d in details)
    assert spool.sender_for(url).unreachable  # so its end_run waited only a moment


# ---------------------------------------------------------------- Ctrl-C skips the wait
_HELD = """
import sys, tracklib
with tracklib.start_run(experiment=sys.argv[1]) as run:
    print(run.run_id, flush=True)
    for step in range(50):
        tracklib.log_metric("loss", step / 2, step=step)
    sys.stdin.readline()  # the test holds the server's answers, then lets the run end
print("after the run", flush=True)
with tracklib.start_run(experiment=sys.argv[1]):  # a wait was skipped: this one is short
    tracklib.log_metric("loss", 1.0)
"""


def _lines(stream: Any, into: list[str]) -> threading.Thread:
    def read() -> None:
        for line in stream:
            into.append(line)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def test_ctrl_c_skips_the_flush_wait_without_a_traceback(
    proxy: FaultProxy, reference: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    experiment = _name("sigint")
    job = subprocess.Popen(
        [sys.executable, "-c", _HELD, experiment],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=tmp_path, env=_env(TRACKLIB_FLUSH_TIMEOUT="90"),
    )  # fmt: skip
    assert job.stdin is not None and job.stdout is not None and job.stderr is not None
    err: list[str] = []
    readers = [_lines(job.stderr, err)]
    try:
        run_id = job.stdout.readline().strip()
        proxy.hold()  # the server is there but answers nothing now
        job.stdin.write("end\n")
        job.stdin.flush()
        deadline = time.monotonic() + 30
        while not any("Ctrl-C" in line for line in err):
            assert time.monotonic() < deadline and job.poll() is None, "".join(err)
            time.sleep(0.05)
        job.send_signal(signal.SIGINT)  # once: the second run's wait must not need it
        out = job.stdout.read()
        code = job.wait(timeout=30)  # far below the 90 s flush timeout
    finally:
        if job.poll() is None:
            job.kill()
        proxy.release()
    for reader in readers:
        reader.join(timeout=5)
    text = "".join(err)
    assert code == 0, text
    assert "Traceback" not in text
    assert "after the run" in out  # the script went on after the skipped wait
    assert any(run_id in line and "skipped" in line and "tracklib sync" in line for line in err)
    # The data stayed in the spool; `tracklib sync` delivers it.
    assert cli.main(["sync", "--json"]) == 0
    capfd.readouterr()
    server = reference.get_run(run_id)
    assert server.info.status == "FINISHED"
    assert len(reference.get_metric_history(run_id, "loss")) == 50


# ---------------------------------------------------------------- the id a script printed
def test_the_id_of_a_run_started_offline_keeps_working(
    proxy: FaultProxy,
    reference: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy.plan = always(status_before(503))  # the server is restarting: start offline
    with tracklib.start_run(experiment=_name("printed")) as run:
        proxy.plan = always(PASS)
        tracklib.log_metric("loss", 0.5, step=1)
    local_id = run.run_id
    ended = [r.getMessage() for r in caplog.records if "as run" in r.getMessage()]
    assert len(ended) == 1 and local_id in ended[0]
    server_id = ended[0].rstrip(".").split()[-1]  # the end-of-run line names the server id
    assert server_id != local_id
    assert reference.get_run(server_id).data.tags[SOURCE_TAG] == local_id

    for got in (tracklib.Client().get_run(local_id), tracklib.get_run(local_id)):
        assert got.info.run_id == server_id and got.data.metrics == {"loss": 0.5}
    capfd.readouterr()
    assert cli.main(["show", local_id[:10], "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["run_id"] == server_id
    assert cli.main(["show", local_id, "--json"]) == 0
    assert json.loads(capfd.readouterr().out)["run_id"] == server_id
    with pytest.raises(NotFoundError):
        tracklib.Client().get_run(uuid.uuid4().hex)  # an id that names nothing still raises


def test_an_online_run_names_itself_as_its_source(proxy: FaultProxy, reference: Any) -> None:
    """The spool run of an online run has the server's id: the tag says that id, not the
    placeholder the run was created with (which names nothing a user can see)."""
    with tracklib.start_run(experiment=_name("online")) as run:
        tracklib.log_metric("loss", 1.0)
    assert reference.get_run(run.run_id).data.tags[SOURCE_TAG] == run.run_id
    assert tracklib.Client().get_run(run.run_id).info.run_id == run.run_id


# ---------------------------------------------------------------- the remote layer's state
def test_reset_stops_the_sender_threads(proxy: FaultProxy) -> None:
    def senders() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "tracklib-sender" and t.is_alive())

    before = senders()
    with tracklib.start_run(experiment=_name("reset")):
        tracklib.log_metric("loss", 1.0)
    assert senders() == before + 1
    spool.reset()
    assert senders() == before
    with tracklib.start_run(experiment=_name("after-reset")) as run:  # a new sender starts
        tracklib.log_metric("loss", 2.0)
    assert tracklib.Client().get_run(run.run_id).data.metrics == {"loss": 2.0}


# ---------------------------------------------------------------- one get-or-create
class CreatedMeanwhile(FileStore):
    """A store where another process creates the experiment between our look and our create."""

    def __init__(self, root: str) -> None:
        super().__init__(root)
        self.raced = False

    def get_experiment_by_name(self, name: str) -> Any:
        found = super().get_experiment_by_name(name)
        if found is None and not self.raced:
            self.raced = True
            FileStore(self.root).create_experiment(name)  # the other process wins
        return found


def test_experiment_get_or_create_survives_the_race(tmp_path: Path) -> None:
    store = CreatedMeanwhile(os.fspath(tmp_path / "target"))
    experiment = get_or_create_experiment(store, "raced")
    assert store.raced and experiment.name == "raced"
    assert [e.name for e in store.search_experiments(ViewType.ALL)].count("raced") == 1


def test_sync_into_an_experiment_created_meanwhile_strands_nothing(tmp_path: Path) -> None:
    src = os.fspath(tmp_path / "src")
    tracklib.set_tracking_uri(src)
    with tracklib.start_run(experiment="shared") as run:
        tracklib.log_metric("loss", 1.0)
    tracklib.set_tracking_uri(None)
    target = CreatedMeanwhile(os.fspath(tmp_path / "dst"))
    stats = Replicator(target, target.root).sync_store(src)
    assert target.raced and stats.runs == 1 and stats.points == 1
    (copied,) = tracklib.Client(target.root).search_runs(experiment_names=["shared"])
    assert copied.data.tags[SOURCE_TAG] == run.run_id


def test_get_or_create_raises_when_the_name_cannot_be_read_back(tmp_path: Path) -> None:
    class Hidden(FileStore):
        def get_experiment_by_name(self, name: str) -> Any:
            return None  # e.g. a server that hides the experiment from this user

    store = Hidden(os.fspath(tmp_path / "hidden"))
    store.create_experiment("taken")
    with pytest.raises(AlreadyExistsError):
        get_or_create_experiment(store, "taken")


def test_a_run_still_in_the_spool_is_named_as_such(
    proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server answers reads but refuses every write for now: the run waits in the spool,
    and reading it by its id says so (and how to deliver it) instead of a bare not-found."""
    monkeypatch.setenv(spool.FLUSH_TIMEOUT_VAR, "0.5")

    def writes_fail(method: str, path: str, body: bytes) -> Any:
        read = method == "GET" or path.endswith("/search")
        return PASS if read else status_before(503)

    proxy.plan = writes_fail
    with tracklib.start_run(experiment=_name("pending")) as run:
        tracklib.log_metric("loss", 1.0)
    with pytest.raises(NotFoundError) as info:
        tracklib.Client().get_run(run.run_id)
    message = str(info.value)
    assert "spool" in message and "tracklib sync" in message and run.run_id in message
