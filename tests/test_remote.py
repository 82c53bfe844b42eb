"""The remote tracking path end to end: a real ``mlflow server`` behind a fault-injecting proxy.

Every test logs through tracklib's fluent API with an http tracking URI (or to a local store,
then ``tracklib sync``), and then compares what the server holds, read with MLflow's own
``MlflowClient`` on the server's URL (never through the proxy), with what was logged: params,
tags, status, artifacts, and every metric point with its step, value and timestamp, exactly
once. The proxy's request log shows that faults really happened and what was (not) resent.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import (
    DROP_AFTER,
    DROP_BEFORE,
    PASS,
    Action,
    FaultProxy,
    always,
    slow,
    status_after,
    status_before,
)
from mlflow_server import MlflowServer, free_port

import tracklib
from tracklib import cli, settings
from tracklib.errors import TracklibError
from tracklib.remote import spool
from tracklib.remote.replicator import SOURCE_TAG
from tracklib.stores.rest.store import RestStore

pytest_plugins = ["conftest_server"]
pytestmark = pytest.mark.timeout(120)

_AUTH_VARS = (
    *settings.USERNAME_VARS,
    *settings.PASSWORD_VARS,
    *settings.TOKEN_VARS,
    *settings.INSECURE_TLS_VARS,
    *settings.SERVER_CERT_VARS,
    *settings.CLIENT_CERT_VARS,
    settings.HTTP_TIMEOUT_VAR,
)
PARENT_TAG = "mlflow.parentRunId"


# ---------------------------------------------------------------- fixtures and helpers
@pytest.fixture(autouse=True)
def _remote_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _AUTH_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(spool.SPOOL_DIR_VAR, os.fspath(tmp_path / "spool"))
    # Generous where no deadline is under test: a slow CI machine must not fail a flush.
    monkeypatch.setenv(spool.FLUSH_TIMEOUT_VAR, "60")


@pytest.fixture
def proxy(mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """A proxy in front of the session's server, set as the tracking URI."""
    with FaultProxy(mlflow_server.url) as p:
        monkeypatch.setenv("TRACKLIB_TRACKING_URI", p.url)
        yield p
        _forget_sender(p.url)


def _forget_sender(uri: str) -> None:
    """Stop this test's sender and drop its work, as the end of a process would."""
    spool.reset()


@pytest.fixture(scope="module")
def reference(mlflow_server: MlflowServer) -> Any:
    """MLflow's own client, straight on the server."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url)


def _said(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """What tracklib told the user since the last call: its stderr and its log records.

    Messages go through logging.getLogger("tracklib"); under pytest its records are
    captured (caplog) rather than printed, whatever handler prints them for a user.
    """
    said = capfd.readouterr().err + caplog.text
    caplog.clear()
    return said


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll a condition (bounded); a condition that never holds fails the test."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def _history(client: Any, run_id: str, key: str) -> list[tuple[int, float, int]]:
    return sorted((m.step, m.value, m.timestamp) for m in client.get_metric_history(run_id, key))


def assert_same_run(
    reference: Any,
    server_id: str,
    local: tracklib.Client,
    local_id: str,
    logged: dict[str, list[tuple[int, float]]] | None = None,
) -> None:
    """The server's run holds exactly the local run's data (and ``logged`` is what it holds)."""
    theirs = reference.get_run(server_id)
    ours = local.get_run(local_id)
    assert theirs.data.params == ours.data.params
    # The server adds nothing but it may drop nothing either: every local tag is there.
    missing = {k: v for k, v in ours.data.tags.items() if theirs.data.tags.get(k) != v}
    missing.pop(PARENT_TAG, None)  # remapped for offline runs; checked by the callers
    assert missing == {}
    assert set(theirs.data.metrics) == set(ours.data.metrics)
    for key in ours.data.metrics:
        assert _history(reference, server_id, key) == _history(local, local_id, key), key
    if logged is not None:
        assert set(ours.data.metrics) == set(logged)
        for key, points in logged.items():
            assert sorted((s, v) for s, v, _ in _history(reference, server_id, key)) == sorted(
                points
            )
    assert theirs.info.status == ours.info.status.value
    assert theirs.info.start_time == ours.info.start_time
    assert theirs.info.end_time == ours.info.end_time
    assert _artifact_files(reference, server_id) == _artifact_files(local, local_id)


def assert_each_point_sent_once(proxy: FaultProxy) -> int:
    """No metric point reached the server twice; returns how many did.

    MLflow's SQL store silently drops an identical resent point, so the server's histories
    alone cannot show a duplicate: the requests the proxy forwarded can.
    """
    sent: Counter[tuple[Any, ...]] = Counter()
    for r in proxy.records:
        if r.path.endswith("/runs/log-batch") and r.action not in ("drop_before", "status_before"):
            body = json.loads(r.body)
            for m in body.get("metrics", ()):
                sent[body["run_id"], m["key"], m["step"], m["timestamp"], m["value"]] += 1
    assert [point for point, times in sent.items() if times > 1] == []
    return len(sent)


def _artifact_files(client: Any, run_id: str, path: str | None = None) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            found.update(_artifact_files(client, run_id, info.path))
        else:
            found[info.path] = info.file_size
    return found


def _log_points(
    keys: tuple[str, ...], steps: int, start: int = 0
) -> dict[str, list[tuple[int, float]]]:
    """Log ``steps`` points of each key (values exact in binary) and return them."""
    logged: dict[str, list[tuple[int, float]]] = {k: [] for k in keys}
    for step in range(start, start + steps):
        values = {k: step / 4 + i for i, k in enumerate(keys)}
        tracklib.log_metrics(values, step=step)
        for k, v in values.items():
            logged[k].append((step, v))
    return logged


def _spool(uri: str) -> tracklib.Client:
    return tracklib.Client(spool.spool_path(uri))


def _log_some(params: int = 5) -> dict[str, list[tuple[int, float]]]:
    tracklib.log_params({f"p{i}": i for i in range(params)})
    tracklib.set_tags({"phase": "train", "team": "vision"})
    return _log_points(("loss", "acc"), 1600)


class _NthFaults:
    """A plan: the 1st, 3rd, 5th... request that ``match`` selects gets ``action``."""

    def __init__(self, action: Action, match: Callable[[str, str, bytes], bool], limit: int):
        self.action, self.match, self.limit = action, match, limit
        self.seen = self.applied = 0

    def __call__(self, method: str, path: str, body: bytes) -> Action:
        if not self.match(method, path, body):
            return PASS
        self.seen += 1
        if self.seen % 2 == 1 and self.applied < self.limit:
            self.applied += 1
            return self.action
        return PASS


def _writes(method: str, path: str, body: bytes) -> bool:
    return method in ("POST", "PUT")


def _metric_batches(method: str, path: str, body: bytes) -> bool:
    return path.endswith("/runs/log-batch") and b'"metrics"' in body


# ---------------------------------------------------------------- 1. happy path
def test_online_run_lands_on_the_server(proxy: FaultProxy, reference: Any, tmp_path: Path) -> None:
    experiment = _name("happy")
    weights = tmp_path / "weights.bin"
    weights.write_bytes(os.urandom(3000))
    with tracklib.start_run(experiment=experiment, capture_env=True, tags={"k": "v"}) as run:
        run_id = run.info.run_id
        # The id is the server's: MLflow knows the run at once, RUNNING.
        assert reference.get_run(run_id).info.status == "RUNNING"
        tracklib.log_params({"lr": 0.1, "layers": 3})
        logged = _log_points(("loss", "acc", "lr_now"), 1100)
        tracklib.set_tag("phase", "train")
        tracklib.log_artifact(os.fspath(weights), "models")
        tracklib.log_dict({"batch": 32}, "settings.json")
        with tracklib.start_run(nested=True, run_name="child") as child:
            child_id = child.info.run_id
            child_logged = _log_points(("c",), 10)
    spool = _spool(proxy.url)
    assert_same_run(reference, run_id, spool, run_id, logged)
    assert_same_run(reference, child_id, spool, child_id, child_logged)
    assert assert_each_point_sent_once(proxy) == 3 * 1100 + 10
    server = reference.get_run(run_id)
    assert server.info.status == "FINISHED" and server.info.end_time is not None
    assert server.info.experiment_id == reference.get_experiment_by_name(experiment).experiment_id
    assert server.data.params == {"lr": "0.1", "layers": "3"}
    assert server.data.tags["k"] == "v" and server.data.tags["phase"] == "train"
    assert reference.get_run(child_id).data.tags[PARENT_TAG] == run_id
    files = _artifact_files(reference, run_id)
    assert files["models/weights.bin"] == 3000 and "settings.json" in files
    assert any(path.startswith("environment/") for path in files)
    got = reference.download_artifacts(run_id, "models/weights.bin", os.fspath(tmp_path / "dl"))
    assert Path(got).read_bytes() == weights.read_bytes()
    assert json.loads(Path(reference.download_artifacts(run_id, "settings.json")).read_text()) == {
        "batch": 32
    }


# ---------------------------------------------------------------- 2. no log call blocks
def test_log_calls_never_wait_for_the_network(proxy: FaultProxy, reference: Any) -> None:
    with tracklib.start_run(experiment=_name("held")) as run:
        proxy.hold()
        tracklib.log_metric("x", 0.0, step=0)
        _wait_for(lambda: proxy.held >= 1)  # the sender is now stuck on the network
        forwarded = proxy.forwarded()
        logged = _log_points(("a", "b"), 3000, start=1)
        tracklib.log_params({f"p{i}": i for i in range(150)})
        tracklib.set_tags({f"t{i}": i for i in range(120)})
        # Everything above completed while every request was held: nothing got through.
        assert proxy.held >= 1 and proxy.forwarded() == forwarded
        proxy.release()
    logged["x"] = [(0, 0.0)]
    assert_same_run(reference, run.info.run_id, _spool(proxy.url), run.info.run_id, logged)
    assert assert_each_point_sent_once(proxy) == 6001
    assert len(reference.get_run(run.info.run_id).data.params) == 150


# ---------------------------------------------------------------- 3. faults
FAULTS = {
    "answer-lost-after-apply": (_NthFaults, DROP_AFTER, _writes, 6),
    "502-after-apply": (_NthFaults, status_after(502), _writes, 6),
    "504-after-apply-on-metrics": (_NthFaults, status_after(504), _metric_batches, 3),
    "connection-dropped": (_NthFaults, DROP_BEFORE, _writes, 6),
    "503-storm": (_NthFaults, status_before(503, retry_after=0.2), lambda *a: True, 12),
    "slow": (_NthFaults, slow(0.5), lambda *a: True, 6),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_exactly_once_through_faults(fault: str, proxy: FaultProxy, reference: Any) -> None:
    make, action, match, limit = FAULTS[fault]
    plan = make(action, match, limit)
    with tracklib.start_run(experiment=_name(fault)) as run:
        proxy.plan = plan  # from here on (the run is on the server already)
        logged = _log_some()
        tracklib.log_dict({"fault": fault}, "fault.json")
    run_id = run.info.run_id
    assert plan.applied >= 1  # the fault really happened
    assert proxy.count("", action.kind) == plan.applied
    assert_same_run(reference, run_id, _spool(proxy.url), run_id, logged)
    assert assert_each_point_sent_once(proxy) == sum(len(p) for p in logged.values())
    assert reference.get_run(run_id).info.status == "FINISHED"


# ---------------------------------------------------------------- 4. server down, then sync
def _sync_json(capfd: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capfd.readouterr()
    assert cli.main(["sync", *args, "--json"]) == 0
    return dict(json.loads(capfd.readouterr().out.strip().splitlines()[-1]))


def _writes_in(records: list[Any]) -> list[str]:
    """The requests that change something on the server (searches are POSTs too)."""
    return [r.path for r in records if r.method in ("POST", "PUT") and "/search" not in r.path]


def _runs_from(reference: Any, experiment: str, local_id: str) -> list[Any]:
    exp = reference.get_experiment_by_name(experiment)
    if exp is None:
        return []
    return list(
        reference.search_runs(
            [exp.experiment_id], f"tags.`{SOURCE_TAG}` = '{local_id}'", run_view_type=3
        )
    )


_OFFLINE_JOB = """
import sys, tracklib
with tracklib.start_run(experiment=sys.argv[1]) as run:
    print(run.run_id, flush=True)
    tracklib.log_params({f"p{i}": i for i in range(5)})
    tracklib.set_tags({"phase": "train", "team": "vision"})
    for step in range(1600):
        tracklib.log_metrics({"loss": step / 4, "acc": step / 4 + 1}, step=step)
left_open = tracklib.start_run(experiment=sys.argv[1])  # ended by the exit handler
print(left_open.run_id, flush=True)
tracklib.log_metric("z", 1.5, step=3)
"""


def test_server_down_for_a_whole_run_then_sync(
    mlflow_server: MlflowServer,
    reference: Any,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()  # nothing listens here until the proxy starts below
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("TRACKLIB_TRACKING_URI", url)
    monkeypatch.setenv(spool.FLUSH_TIMEOUT_VAR, "1")
    experiment = _name("down")
    # A whole training process against the dead server: it must end by itself (the timeout
    # here is only the test's safety net) and say how to deliver what it kept.
    job = subprocess.run(
        [sys.executable, "-c", _OFFLINE_JOB, experiment],
        capture_output=True, text=True, timeout=90, cwd=tmp_path,
    )  # fmt: skip
    assert job.returncode == 0, job.stderr
    run_id, open_id = job.stdout.split()
    for local_id in (run_id, open_id):
        said = [line for line in job.stderr.splitlines() if local_id in line]
        assert [line for line in said if "offline" in line]  # start_run warned...
        assert [line for line in said if "tracklib sync" in line]  # ...and so did the end
    assert _runs_from(reference, experiment, run_id) == []  # the server never heard of it
    logged = {
        "loss": [(step, step / 4) for step in range(1600)],
        "acc": [(step, step / 4 + 1) for step in range(1600)],
    }

    with FaultProxy(mlflow_server.url, port=port) as proxy:
        first = _sync_json(capfd)
        assert first["points"] == 3201 and first["runs"] == 2
        server_ids = []
        for local_id, points in ((run_id, logged), (open_id, {"z": [(3, 1.5)]})):
            found = _runs_from(reference, experiment, local_id)
            assert len(found) == 1
            server_ids.append(found[0].info.run_id)
            assert found[0].info.run_id != local_id
            assert_same_run(reference, server_ids[-1], _spool(url), local_id, points)
        assert reference.get_run(server_ids[0]).info.status == "FINISHED"

        before = len(proxy.records)
        again = _sync_json(capfd)
        zero = dict.fromkeys(("runs", "points", "params", "tags", "files"), 0)
        assert {k: again[k] for k in zero} == zero
        assert _writes_in(proxy.records[before:]) == []
        assert [len(_runs_from(reference, experiment, i)) for i in (run_id, open_id)] == [1, 1]
        assert_same_run(reference, server_ids[0], _spool(url), run_id, logged)
        assert assert_each_point_sent_once(proxy) == 3201


@pytest.mark.parametrize("answer", [status_before(503, retry_after=0.1), status_after(502)])
def test_server_failing_at_start_run_starts_offline(
    answer: Action,
    proxy: FaultProxy,
    reference: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    proxy.plan = always(answer)  # a load balancer in front of a restarting server
    experiment = _name("start")
    with tracklib.start_run(experiment=experiment) as run:
        assert "offline" in _said(capfd, caplog)
        proxy.plan = always(PASS)  # the server is back
        logged = _log_points(("m",), 20)
    found = _runs_from(reference, experiment, run.run_id)
    assert len(found) == 1  # created later, by the sender (named by the source tag)
    assert_same_run(reference, found[0].info.run_id, _spool(proxy.url), run.run_id, logged)


@pytest.mark.parametrize("lost", [DROP_AFTER, status_after(502)])
def test_lost_answer_to_create_run_makes_no_second_run(
    lost: Action,
    proxy: FaultProxy,
    reference: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    creates = _NthFaults(lost, lambda m, path, b: path.endswith("/runs/create"), limit=1)
    proxy.plan = creates  # the server creates the run, then its answer is lost
    experiment = _name("lost-create")
    with tracklib.start_run(experiment=experiment) as run:
        assert "offline" in _said(capfd, caplog)
        logged = _log_points(("m",), 50)
    assert creates.applied == 1
    (exp,) = [e for e in reference.search_experiments() if e.name == experiment]
    runs = reference.search_runs([exp.experiment_id])
    assert len(runs) == 1  # the sender found the run by its source tag instead of a 2nd one
    assert_same_run(reference, runs[0].info.run_id, _spool(proxy.url), run.run_id, logged)


# ---------------------------------------------------------------- 5. offline store, synced
def test_offline_store_synced_incrementally(
    proxy: FaultProxy,
    reference: Any,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    store = tmp_path / "offline"
    experiment = _name("offline")
    tracklib.set_tracking_uri(os.fspath(store))
    with tracklib.start_run(experiment=experiment) as parent:
        logged = _log_some()
        tracklib.log_text("notes", "notes.txt")
        with tracklib.start_run(nested=True) as child:
            child_logged = _log_points(("c",), 50)
    local = tracklib.Client(os.fspath(store))

    def server_ids() -> tuple[str, str]:
        runs = [_runs_from(reference, experiment, r.run_id) for r in (parent, child)]
        assert [len(r) for r in runs] == [1, 1]
        return runs[0][0].info.run_id, runs[1][0].info.run_id

    def check() -> None:
        parent_id, child_id = server_ids()
        assert_same_run(reference, parent_id, local, parent.run_id, logged)
        assert_same_run(reference, child_id, local, child.run_id, child_logged)
        assert reference.get_run(child_id).data.tags[PARENT_TAG] == parent_id
        assert assert_each_point_sent_once(proxy) == sum(map(len, logged.values())) + 50

    points = sum(len(p) for p in logged.values()) + 50
    assert _sync_json(capfd, os.fspath(store), "--to", proxy.url)["points"] == points
    check()
    second = _sync_json(capfd, os.fspath(store), "--to", proxy.url)
    assert (second["runs"], second["points"], second["params"], second["tags"]) == (0, 0, 0, 0)
    check()

    with tracklib.start_run(run_id=parent.run_id):  # resumed offline, extended
        more = _log_points(("loss", "acc"), 200, start=1600)
    for key, new_points in more.items():
        logged[key] += new_points
    third = _sync_json(capfd, os.fspath(store), "--to", proxy.url)
    assert third["points"] == 400 and third["runs"] == 1
    check()

    with tracklib.start_run(run_id=parent.run_id):
        extra = _log_points(("loss",), 7, start=1800)
    requests_before = len(proxy.records)
    dry = _sync_json(capfd, os.fspath(store), "--to", proxy.url, "--dry-run")
    assert dry["dry_run"] is True and dry["points"] == 7
    assert _writes_in(proxy.records[requests_before:]) == []
    parent_id = server_ids()[0]
    assert sorted((s, v) for s, v, _ in _history(reference, parent_id, "loss")) == logged["loss"]

    copy = tmp_path / "copied"
    shutil.copytree(store, copy)
    logged["loss"] += extra["loss"]
    from_copy = _sync_json(capfd, os.fspath(copy), "--to", proxy.url)
    assert from_copy["points"] == 7 and from_copy["runs"] == 1  # only the new points
    check()
    again = _sync_json(capfd, os.fspath(store), "--to", proxy.url)  # the original knows less
    assert again["points"] == 0
    check()


def test_two_syncs_at_once_create_and_send_once(
    proxy: FaultProxy, reference: Any, tmp_path: Path
) -> None:
    store = os.fspath(tmp_path / "offline")
    experiment = _name("twice")
    tracklib.set_tracking_uri(store)
    with tracklib.start_run(experiment=experiment) as run:
        logged = _log_some()
    proxy.hold()
    codes: list[int] = []
    syncs = [
        threading.Thread(target=lambda: codes.append(cli.main(["sync", store, "--to", proxy.url])))
        for _ in range(2)
    ]
    for thread in syncs:
        thread.start()
    _wait_for(lambda: proxy.held >= 1)
    time.sleep(0.5)  # give the other sync the time to race (it must wait for the first)
    proxy.release()
    for thread in syncs:
        thread.join(timeout=60)
    assert codes == [0, 0]
    found = _runs_from(reference, experiment, run.run_id)
    assert len(found) == 1
    assert_same_run(reference, found[0].info.run_id, tracklib.Client(store), run.run_id, logged)
    assert assert_each_point_sent_once(proxy) == 3200


# ---------------------------------------------------------------- 6. a 4xx retry cannot fix
def test_param_conflict_is_reported_once_and_not_retried(
    proxy: FaultProxy,
    reference: Any,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    recwarn: pytest.WarningsRecorder,
) -> None:
    with tracklib.start_run(experiment=_name("conflict")) as run:
        reference.log_param(run.run_id, "lr", "0.5")  # someone else got there first
        tracklib.log_param("lr", 0.1)
        logged = _log_some()
    server = reference.get_run(run.run_id)
    assert server.data.params == {"lr": "0.5", **{f"p{i}": str(i) for i in range(5)}}
    assert server.info.status == "FINISHED"
    for key, points in logged.items():
        assert sorted((s, v) for s, v, _ in _history(reference, run.run_id, key)) == points

    def carrying_lr() -> int:
        return sum(1 for r in proxy.records if b'"key": "lr"' in r.body or b'"lr"' in r.body)

    tried = carrying_lr()
    assert tried >= 1
    # The sender keeps working for a later run, and never tries the refused param again.
    with tracklib.start_run(experiment=_name("conflict-after")) as later:
        _log_points(("z",), 5)
    assert reference.get_run(later.run_id).info.status == "FINISHED"
    assert carrying_lr() == tried

    err = _said(capfd, caplog).splitlines()
    reports = [line for line in err if run.run_id in line and "lr" in line]
    reports += [str(w.message) for w in recwarn if run.run_id in str(w.message)]
    assert len(reports) == 1, reports
    assert "'lr'" in reports[0]


# ---------------------------------------------------------------- 7. credentials never leak
SECRET_USER = "planted-user"
SECRET_PASSWORD = "planted-Pa55w0rd-" + uuid.uuid4().hex
SECRET_TOKEN = "planted-t0ken-" + uuid.uuid4().hex


@pytest.mark.parametrize("how", ["basic-env", "token-env", "url-userinfo"])
def test_planted_credentials_never_leak(
    how: str,
    proxy: FaultProxy,
    reference: Any,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    recwarn: pytest.WarningsRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG, logger="tracklib")  # the details must not leak either
    basic = base64.b64encode(f"{SECRET_USER}:{SECRET_PASSWORD}".encode()).decode()
    uri = proxy.url
    if how == "basic-env":
        monkeypatch.setenv("TRACKLIB_TRACKING_USERNAME", SECRET_USER)
        monkeypatch.setenv("TRACKLIB_TRACKING_PASSWORD", SECRET_PASSWORD)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", SECRET_TOKEN)  # Basic wins, as in MLflow
        expected = f"Basic {basic}"
    elif how == "token-env":
        monkeypatch.setenv("TRACKLIB_TRACKING_TOKEN", SECRET_TOKEN)
        expected = f"Bearer {SECRET_TOKEN}"
    else:
        uri = proxy.url.replace("://", f"://{SECRET_USER}:{SECRET_PASSWORD}@")
        expected = f"Basic {basic}"
    monkeypatch.setenv("TRACKLIB_TRACKING_URI", uri)
    secrets = [SECRET_PASSWORD, SECRET_TOKEN, basic]
    texts: list[str] = []

    with tracklib.start_run(experiment=_name("creds")) as run:
        texts += [repr(run), repr(tracklib.Client()), repr(tracklib.Client().store)]
        reference.log_param(run.run_id, "clash", "server")  # provokes a refusal message
        tracklib.log_param("clash", "client")
        _log_some()
    attempts: tuple[Callable[[], object], ...] = (
        lambda: tracklib.Client().get_run("0" * 32),  # the server answers 404
        lambda: RestStore(uri.replace(str(proxy.port), str(free_port()))).get_run("x"),
    )
    for failing in attempts:
        with pytest.raises(TracklibError) as info:
            failing()
        texts += [str(info.value), repr(info.value), repr(info.value.args)]
    assert reference.get_run(run.run_id).info.status == "FINISHED"

    seen = {r.authorization for r in proxy.records}
    assert seen == {expected}  # every request carried the credentials
    out, err = capfd.readouterr()
    texts += [out, err, caplog.text, *(str(w.message) for w in recwarn)]
    assert any("clash" in t for t in texts)  # the refusal was reported...
    for secret in secrets:  # ...without any secret, as nothing else was
        assert not [t for t in texts if secret in t]
    for folder in (tmp_path / "spool",):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not [s for s in secrets if s.encode() in data], path
