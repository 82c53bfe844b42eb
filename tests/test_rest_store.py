"""RestStore against a real ``mlflow server`` (and a tiny scripted HTTP server for auth/faults).

MLflow's own ``MlflowClient`` on the same server is the reference wherever the server's view
of the data is compared.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import math
import os
import threading
import tracemalloc
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from mlflow_server import MlflowServer, free_port

import tracklib
from tracklib import settings
from tracklib.entities import Metric, Param, RunStatus, RunTag, ViewType
from tracklib.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    RunStateError,
    StoreError,
    StoreUnavailableError,
)
from tracklib.stores import open_store
from tracklib.stores.batches import split_batch
from tracklib.stores.rest import artifacts as rest_artifacts
from tracklib.stores.rest import store as rest
from tracklib.stores.rest.http import NO_RETRY, RetryPolicy
from tracklib.stores.rest.store import RestStore
from tracklib.stores.rest.wire import HttpError

pytest_plugins = ["conftest_server"]
pytestmark = pytest.mark.timeout(180)

_AUTH_VARS = (
    *settings.USERNAME_VARS,
    *settings.PASSWORD_VARS,
    *settings.TOKEN_VARS,
    *settings.INSECURE_TLS_VARS,
    *settings.SERVER_CERT_VARS,
    *settings.CLIENT_CERT_VARS,
    settings.HTTP_TIMEOUT_VAR,
)


@pytest.fixture(autouse=True)
def _no_auth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _AUTH_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def store(mlflow_server: MlflowServer) -> Iterator[RestStore]:
    s = RestStore(mlflow_server.url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def reference(mlflow_server: MlflowServer) -> Any:
    """MLflow's own client on the same server."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_server.url)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _new_run(store: RestStore, **kw: Any) -> str:
    experiment_id = store.create_experiment(_name("exp"))
    return store.create_run(experiment_id, "tester", 1_700_000_000_000, _name("run"), **kw).run_id


class _Spy:
    """Counts the requests a RestStore sends, by method and URL path."""

    def __init__(self, store: RestStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []
        real = store.http.session.request

        def spy(method: str, url: str, **kw: Any) -> Any:
            self.calls.append((method, url.split("?")[0]))
            return real(method, url, **kw)

        monkeypatch.setattr(store.http.session, "request", spy)

    def count(self, suffix: str) -> int:
        return sum(1 for _, url in self.calls if url.endswith(suffix))


# ---------------------------------------------------------------- experiments and runs
def test_experiments_crud(
    store: RestStore, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _name("crud")
    exp_id = store.create_experiment(name, tags={"team": "vision"})
    got = store.get_experiment(exp_id)
    ref = reference.get_experiment(exp_id)
    assert (got.name, got.artifact_location, got.tags) == (
        ref.name,
        ref.artifact_location,
        ref.tags,
    )
    assert store.get_experiment_by_name(name) == got
    assert store.get_experiment_by_name(_name("missing")) is None
    with pytest.raises(AlreadyExistsError) as info:
        store.create_experiment(name)
    assert "\n" not in str(info.value)  # the server's SQL dump is cut off
    with pytest.raises(NotFoundError):
        store.get_experiment("987654321")

    monkeypatch.setattr(rest, "SEARCH_PAGE_SIZE", 1)  # force several pages
    spy = _Spy(store, monkeypatch)
    active = {e.experiment_id for e in store.search_experiments()}
    ref_active = {e.experiment_id for e in reference.search_experiments()}
    assert active == ref_active and exp_id in active
    assert spy.count("/experiments/search") == len(active) + (len(active) == 0)

    store.delete_experiment(exp_id)
    assert exp_id not in {e.experiment_id for e in store.search_experiments()}
    assert exp_id in {e.experiment_id for e in store.search_experiments(ViewType.DELETED_ONLY)}
    assert (
        store.get_experiment(exp_id).lifecycle_stage
        == reference.get_experiment(exp_id).lifecycle_stage
        == "deleted"
    )
    store.restore_experiment(exp_id)
    assert store.get_experiment(exp_id).lifecycle_stage == "active"


def test_runs_crud(store: RestStore, reference: Any) -> None:
    exp_id = store.create_experiment(_name("runs"))
    info = store.create_run(exp_id, "alice", 1_700_000_000_123, "first", [RunTag("k", "v")])
    run = store.get_run(info.run_id)
    ref = reference.get_run(info.run_id)
    assert run.info.start_time == ref.info.start_time == 1_700_000_000_123
    assert run.info.user_id == ref.info.user_id == "alice"
    assert run.info.run_name == ref.info.run_name == "first"
    assert run.info.status == ref.info.status == "RUNNING"
    assert run.info.artifact_uri == ref.info.artifact_uri
    assert run.data.tags == ref.data.tags and run.data.tags["k"] == "v"

    ended = store.update_run(info.run_id, RunStatus.FINISHED, 1_700_000_009_000, "renamed")
    ref = reference.get_run(info.run_id)
    assert (ended.status, ended.end_time, ended.run_name) == (
        ref.info.status,
        ref.info.end_time,
        ref.data.tags["mlflow.runName"],
    )
    store.delete_run(info.run_id)
    assert store.get_run(info.run_id).info.lifecycle_stage == "deleted"
    assert store.search_runs([exp_id])[0] == []
    with pytest.raises(RunStateError):  # the server refuses writes to a deleted run
        store.set_tag(info.run_id, "x", "y")
    store.restore_run(info.run_id)
    assert [r.info.run_id for r in store.search_runs([exp_id])[0]] == [info.run_id]


def test_rename_experiment_and_delete_tag(store: RestStore, reference: Any) -> None:
    exp_id = store.create_experiment(_name("before"))
    new_name = _name("after")
    store.rename_experiment(exp_id, new_name)
    assert store.get_experiment(exp_id).name == reference.get_experiment(exp_id).name == new_name
    with pytest.raises(AlreadyExistsError):
        store.rename_experiment(store.create_experiment(_name("other")), new_name)
    with pytest.raises(NotFoundError):
        store.rename_experiment("987654321", _name("x"))

    info = store.create_run(exp_id, "u", 0, "r", [RunTag("keep", "1"), RunTag("drop", "2")])
    store.delete_tag(info.run_id, "drop")
    tags = reference.get_run(info.run_id).data.tags
    assert "drop" not in tags and tags["keep"] == "1"
    assert store.get_run(info.run_id).data.tags == tags
    with pytest.raises(NotFoundError):
        store.delete_tag(info.run_id, "drop")
    store.delete_run(info.run_id)
    with pytest.raises(RunStateError):  # the server refuses to change a deleted run
        store.update_run(info.run_id, RunStatus.FINISHED, 1)


def test_unknown_run_and_experiment(store: RestStore) -> None:
    with pytest.raises(NotFoundError):
        store.get_run(uuid.uuid4().hex)
    with pytest.raises(NotFoundError):
        store.log_batch(uuid.uuid4().hex, params=[Param("a", "1")])
    with pytest.raises(NotFoundError):
        store.create_run("987654321", "u", 0, "r")


# ---------------------------------------------------------------- logging
def test_split_batch_respects_limits_and_keeps_everything() -> None:
    metrics = [Metric("m", float(i), i, i) for i in range(2500)]
    params = [Param(f"p{i}", "v") for i in range(150)]
    tags = [RunTag(f"t{i}", "v") for i in range(250)]
    chunks = list(split_batch(metrics, params, tags))
    for m, p, t in chunks:
        assert len(m) <= 1000 and len(p) <= 100 and len(t) <= 100
        assert len(m) + len(p) + len(t) <= 1000
    assert [x for c in chunks for x in c[0]] == metrics
    assert [x for c in chunks for x in c[1]] == params
    assert [x for c in chunks for x in c[2]] == tags


def test_log_batch_chunks_arrive_exactly_once(
    store: RestStore, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _new_run(store)
    metrics = [Metric("loss", i / 7, 1_700_000_000_000 + i, i) for i in range(2500)]
    params = [Param(f"p{i:03d}", str(i)) for i in range(150)]
    tags = [RunTag(f"t{i:03d}", str(i)) for i in range(150)]
    spy = _Spy(store, monkeypatch)
    store.log_batch(run_id, metrics, params, tags)
    assert spy.count("/runs/log-batch") == len(list(split_batch(metrics, params, tags)))
    history = reference.get_metric_history(run_id, "loss")
    assert sorted((m.step, m.timestamp, m.value) for m in history) == [
        (m.step, m.timestamp, m.value) for m in metrics
    ]
    ref = reference.get_run(run_id)
    assert ref.data.params == {p.key: p.value for p in params}
    assert {k: v for k, v in ref.data.tags.items() if k.startswith("t")} == {
        t.key: t.value for t in tags
    }
    assert store.get_run(run_id).data.params == ref.data.params


def test_nan_and_infinities_round_trip(store: RestStore, reference: Any) -> None:
    run_id = _new_run(store)
    values = [math.nan, math.inf, -math.inf, 0.5]
    store.log_batch(run_id, [Metric("v", x, 1000 + i, i) for i, x in enumerate(values)])
    store.log_metric(run_id, "single", math.nan, 1000, 0)
    got = store.get_metric_history(run_id, "v")
    ref = reference.get_metric_history(run_id, "v")
    assert len(got) == len(ref) == 4
    for mine, theirs in zip(got, sorted(ref, key=lambda m: m.step), strict=True):
        # The SQL server stores +-inf as +-1.797e308; both clients must read the same thing.
        assert (math.isnan(mine.value) and math.isnan(theirs.value)) or mine.value == theirs.value
    assert math.isnan(got[0].value) and got[1].value > 1e308 and got[2].value < -1e308
    assert math.isnan(store.get_run(run_id).data.metrics["single"])


def test_param_conflict_is_invalid_input(store: RestStore) -> None:
    run_id = _new_run(store)
    store.log_param(run_id, "lr", "0.1")
    store.log_param(run_id, "lr", "0.1")  # the same value again is fine
    store.log_batch(run_id, params=[Param("lr", "0.1"), Param("lr", "0.1")])  # deduplicated
    with pytest.raises(InvalidInputError, match="lr"):
        store.log_param(run_id, "lr", "0.2")
    with pytest.raises(InvalidInputError):
        store.log_batch(run_id, params=[Param("lr", "0.3")])
    assert store.get_run(run_id).data.params == {"lr": "0.1"}


def test_search_runs_filter_order_and_pages(store: RestStore, reference: Any) -> None:
    exp_id = store.create_experiment(_name("search"))
    for i in range(7):
        run_id = store.create_run(exp_id, "u", 1_700_000_000_000 + i, f"r{i}").run_id
        store.log_batch(run_id, [Metric("acc", i / 10, 1, 0)], [Param("parity", str(i % 2))])
    where, order = "params.parity = '0' and metrics.acc > 0.1", ["metrics.acc DESC"]
    ids: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        runs, token = store.search_runs(
            [exp_id], where, max_results=1, order_by=order, page_token=token
        )
        ids += [r.info.run_id for r in runs]
        pages += 1
        if token is None:
            break
    expected = reference.search_runs([exp_id], where, max_results=100, order_by=order)
    assert ids == [r.info.run_id for r in expected]
    assert len(ids) == 3 and pages >= 3
    assert [store.get_run(i).data.metrics["acc"] for i in ids] == [0.6, 0.4, 0.2]


def test_metric_history_follows_page_tokens(
    mlflow_server: MlflowServer, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = RestStore(mlflow_server.url, history_page_size=100)
    run_id = _new_run(small)
    points = [Metric("x", float(i), 5_000 + i, i) for i in range(250)]
    small.log_batch(run_id, points)
    spy = _Spy(small, monkeypatch)
    got = small.get_metric_history(run_id, "x")
    assert spy.count("/metrics/get-history") == 3
    ref = reference.get_metric_history(run_id, "x")
    assert sorted((m.step, m.value, m.timestamp) for m in got) == sorted(
        (m.step, m.value, m.timestamp) for m in ref
    )
    assert len(got) == 250
    assert small.get_metric_history(run_id, "unknown") == []


# ---------------------------------------------------------------- artifacts
def test_artifacts_upload_list_download(store: RestStore, reference: Any, tmp_path: Path) -> None:
    run_id = _new_run(store)
    src = tmp_path / "src"
    (src / "deep" / "er").mkdir(parents=True)
    (src / "top.txt").write_text("top")
    (src / "deep" / "mid.json").write_text('{"a": 1}')
    (src / "deep" / "er" / "leaf name.txt").write_text("leaf")
    single = tmp_path / "model.bin"
    single.write_bytes(b"\x00\x01binary")
    store.log_artifact(run_id, single, None)
    store.log_artifacts(run_id, src, "tree")
    store.log_bytes(run_id, b"hello", "notes/readme.txt")

    def listing(path: str | None) -> list[tuple[str, bool, int | None]]:
        return [(f.path, f.is_dir, f.file_size) for f in store.list_artifacts(run_id, path)]

    for path in (None, "tree", "tree/deep", "tree/deep/er"):
        ref = sorted(
            (f.path, f.is_dir, f.file_size) for f in reference.list_artifacts(run_id, path)
        )
        assert listing(path) == ref
    assert ("tree/deep/er/leaf name.txt", False, 4) in listing("tree/deep/er")

    out = tmp_path / "out"
    tree = store.download_artifacts(run_id, "tree", out)
    for file in src.rglob("*"):
        if file.is_file():
            assert (Path(tree) / file.relative_to(src)).read_bytes() == file.read_bytes()
    one = store.download_artifacts(run_id, "notes/readme.txt", out)
    assert Path(one).read_bytes() == b"hello"
    everything = Path(store.download_artifacts(run_id, None, None))
    assert (everything / "model.bin").read_bytes() == single.read_bytes()
    assert (everything / "tree" / "deep" / "er" / "leaf name.txt").read_text() == "leaf"
    with pytest.raises(NotFoundError):
        store.download_artifacts(run_id, "nope.txt", out)
    with pytest.raises(InvalidInputError):
        store.log_artifact(run_id, tmp_path / "missing.bin", None)
    with pytest.raises(InvalidInputError):
        store.log_artifact(run_id, single, "../escape")


def test_large_artifact_is_streamed(
    store: RestStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _new_run(store)
    big = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with big.open("wb") as f:
        for _ in range(20):
            block = os.urandom(1 << 20)
            digest.update(block)
            f.write(block)
    read_sizes: list[int] = []
    real_open = open

    class _Reader:
        def __init__(self, f: Any) -> None:
            self._f = f

        def read(self, size: int = -1) -> bytes:
            data: bytes = self._f.read(size)
            read_sizes.append(len(data))
            return data

        def __getattr__(self, name: str) -> Any:
            return getattr(self._f, name)

        def __enter__(self) -> _Reader:
            return self

        def __exit__(self, *exc: object) -> None:
            self._f.close()

    def spying_open(path: Any, mode: str = "r", *a: Any, **kw: Any) -> Any:
        f = real_open(path, mode, *a, **kw)
        return _Reader(f) if os.fspath(path) == os.fspath(big) and "r" in mode else f

    monkeypatch.setattr(rest_artifacts, "open", spying_open, raising=False)
    tracemalloc.start()
    try:
        store.log_artifact(run_id, big, "blobs")
        _, upload_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        path = store.download_artifacts(run_id, "blobs/big.bin", tmp_path / "back")
        _, download_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read_sizes and max(read_sizes) <= 4 << 20 and sum(read_sizes) == 20 << 20
    assert upload_peak < 8 << 20 and download_peak < 8 << 20
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == digest.hexdigest()
    assert [f.file_size for f in store.list_artifacts(run_id, "blobs")] == [20 << 20]


def test_server_without_artifact_serving_gives_a_clear_error(
    mlflow_server_no_artifacts: MlflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RestStore(mlflow_server_no_artifacts.url)
    file = tmp_path / "a.txt"
    file.write_text("a")
    # 1. The run's artifact root is a server-local folder: refused before any upload.
    run_id = _new_run(store)
    with pytest.raises(StoreError, match="--serve-artifacts"):
        store.log_artifact(run_id, file, None)
    # 2. An mlflow-artifacts: root on such a server: the proxy answers 503, not retried.
    exp_id = store.create_experiment(_name("proxy"), artifact_location="mlflow-artifacts:/x")
    run_id = store.create_run(exp_id, "u", 0, "r").run_id
    spy = _Spy(store, monkeypatch)
    with pytest.raises(StoreError, match="--serve-artifacts") as info:
        store.log_artifact(run_id, file, None)
    assert not isinstance(info.value, HttpError) and info.value.status == 503
    assert sum(1 for method, _ in spy.calls if method == "PUT") == 1


# ---------------------------------------------------------------- scripted HTTP server
class _Scripted(ThreadingHTTPServer):
    """Answers each request with the next scripted (status, headers, body); records requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[tuple[int, dict[str, str], str]] = []
        self.seen: list[tuple[str, str, dict[str, str]]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Scripted

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        status, headers, body = (
            self.server.script.pop(0) if self.server.script else (200, {}, '{"experiments": []}')
        )
        data = body.encode()
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _answer

    def log_message(self, *args: Any) -> None:  # keep the test output quiet
        pass


@pytest.fixture
def scripted() -> Iterator[_Scripted]:
    server = _Scripted()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _auth_header(server: _Scripted, uri: str | None = None) -> str | None:
    store = RestStore(uri or server.url, retry=NO_RETRY)
    store.search_experiments()
    return server.seen[-1][2].get("Authorization")


def test_auth_headers(scripted: _Scripted, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.mlflow/credentials of the machine's
    assert _auth_header(scripted) is None
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "mlflow-token")
    assert _auth_header(scripted) == "Bearer mlflow-token"
    monkeypatch.setenv("TRACKLIB_TRACKING_TOKEN", "tracklib-token")  # TRACKLIB_ first
    assert _auth_header(scripted) == "Bearer tracklib-token"
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ann")
    assert _auth_header(scripted) == "Bearer tracklib-token"  # a username alone is not Basic
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "s3cret")  # Basic wins, as in MLflow
    assert _auth_header(scripted) == "Basic " + base64.b64encode(b"ann:s3cret").decode()
    for name in _AUTH_VARS:
        monkeypatch.delenv(name, raising=False)
    with_userinfo = scripted.url.replace("http://", "http://bob:pw@")
    assert _auth_header(scripted, with_userinfo) == "Basic " + base64.b64encode(b"bob:pw").decode()
    agent = scripted.seen[-1][2]["User-Agent"]
    dist = importlib.metadata.packages_distributions()["tracklib"][0]  # tracklib-ml
    assert agent == f"tracklib/{importlib.metadata.version(dist)}"


def test_mlflow_credentials_file(
    scripted: _Scripted, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in _AUTH_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".mlflow").mkdir()
    (tmp_path / ".mlflow" / "credentials").write_text(
        "[mlflow]\nmlflow_tracking_username = carol\nmlflow_tracking_password = from-file\n"
    )
    assert _auth_header(scripted) == "Basic " + base64.b64encode(b"carol:from-file").decode()
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "from-env")  # the environment wins
    assert _auth_header(scripted) == "Basic " + base64.b64encode(b"carol:from-env").decode()


def test_credentials_never_shown(
    scripted: _Scripted,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level("DEBUG")
    secrets = ("tok-SECRET-1", "pw-SECRET-2", "url-SECRET-3")
    monkeypatch.setenv("TRACKLIB_TRACKING_TOKEN", secrets[0])
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "user")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", secrets[1])
    uri = scripted.url.replace("http://", f"http://me:{secrets[2]}@")
    store = RestStore(uri, retry=NO_RETRY)
    client = tracklib.Client(uri)
    shown = [repr(store), repr(client), repr(client.store), repr(store.http.session.auth)]
    scripted.script = [
        (
            401,
            {"Content-Type": "application/json"},
            '{"error_code": "UNAUTHENTICATED", "message": "no"}',
        ),
        (500, {}, "<html>boom</html>"),
    ]
    for call in (lambda: store.get_run("abc"), lambda: store.get_experiment("1")):
        with pytest.raises(StoreError) as info:
            call()
        shown.append(str(info.value))
    down = RestStore(f"http://me:{secrets[2]}@127.0.0.1:{free_port()}", retry=NO_RETRY)
    with pytest.raises(StoreUnavailableError) as info:
        down.get_run("abc")
    shown += [str(info.value), repr(down), caplog.text]
    shown += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    for secret in secrets:
        assert not any(secret in text for text in shown), secret


def test_retry_policy(scripted: _Scripted) -> None:
    store = RestStore(scripted.url, retry=RetryPolicy(attempts=4, backoff=0.01, jitter=0.01))
    busy = (503, {"Retry-After": "0"}, "busy")
    scripted.script = [busy, busy]
    assert store.search_experiments() == []
    assert len(scripted.seen) == 3  # two 503s, then the answer
    # A lost answer to a non-idempotent write (502 from a proxy) is not resent blindly.
    scripted.script = [(502, {}, "bad gateway")]
    with pytest.raises(HttpError) as info:
        store.create_experiment("x")
    assert info.value.maybe_applied and info.value.retryable and len(scripted.seen) == 4
    # A Retry-After beyond the deadline ends the loop at once, and says how long to wait.
    scripted.script = [(429, {"Retry-After": "120"}, "slow down")]
    with pytest.raises(HttpError) as info:
        store.search_experiments()
    assert info.value.retry_after == 120 and info.value.status == 429 and len(scripted.seen) == 5
    # A 4xx that retrying cannot fix is raised at once.
    scripted.script = [(400, {}, '{"error_code": "BAD_REQUEST", "message": "no"}')]
    with pytest.raises(StoreError) as failed:
        store.search_experiments()
    assert failed.value.error_code == "BAD_REQUEST" and len(scripted.seen) == 6


def test_unreachable_server_is_unavailable() -> None:
    store = RestStore(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreUnavailableError) as info:
        store.get_run("abc")
    assert isinstance(info.value, HttpError)
    assert info.value.retryable and not info.value.maybe_applied  # never connected


def test_tls_and_timeout_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = "https://127.0.0.1:9"
    assert RestStore(url).http.session.verify is True
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("TRACKLIB_TRACKING_CLIENT_CERT_PATH", str(tmp_path / "me.pem"))
    monkeypatch.setenv(settings.HTTP_TIMEOUT_VAR, "7")
    s = RestStore(url).http
    assert (s.session.verify, s.session.cert, s.timeout) == (
        str(tmp_path / "ca.pem"),
        str(tmp_path / "me.pem"),
        (5.0, 7.0),
    )
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
    with pytest.raises(InvalidInputError):  # both a CA bundle and "do not verify"
        RestStore(url)
    monkeypatch.delenv("MLFLOW_TRACKING_SERVER_CERT_PATH")
    assert RestStore(url).http.session.verify is False
    monkeypatch.setenv(settings.HTTP_TIMEOUT_VAR, "soon")
    with pytest.raises(InvalidInputError):
        RestStore(url)


# ---------------------------------------------------------------- public entry points
def test_client_and_tracking_uri_accept_http(mlflow_server: MlflowServer) -> None:
    tracklib.set_tracking_uri(mlflow_server.url)  # no longer refused
    assert isinstance(open_store(mlflow_server.url), RestStore)
    assert open_store(mlflow_server.url) is open_store(mlflow_server.url)  # one session
    client = tracklib.Client()
    exp_id = client.create_experiment(_name("client"))
    run = client.create_run(exp_id, run_name="via-client")
    client.log_metric(run.info.run_id, "m", 1.5, step=3)
    client.log_param(run.info.run_id, "p", 1)
    assert tracklib.get_run(run.info.run_id).data.metrics == {"m": 1.5}
    assert [m.step for m in tracklib.get_metric_history(run.info.run_id, "m")] == [3]


def test_request_reports_what_a_sender_needs(store: RestStore) -> None:
    assert "experiments" in store.request("POST", "experiments/search", {"max_results": 5})
    with pytest.raises(InvalidInputError):  # the server's 400 for a missing max_results
        store.request("POST", "experiments/search", {})
    assert json.dumps(store.request("GET", "experiments/get", {"experiment_id": "0"}))
