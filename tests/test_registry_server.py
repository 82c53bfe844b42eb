"""The registry against the session's real ``mlflow server``: tracklib's calls over MLflow's
REST endpoints, read back by MLflow's client; errors; register_model on a run that is still
in the local spool (online, and started offline)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from fault_proxy import PASS, FaultProxy, always, status_before
from mlflow import MlflowClient
from mlflow_server import MlflowServer

import tracklib
from tracklib.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from tracklib.remote import spool

pytest_plugins = ["conftest_server"]
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(autouse=True)
def _restore_mlflow_uris(monkeypatch: pytest.MonkeyPatch) -> None:
    """mlflow.set_tracking_uri / set_registry_uri are process-wide: undo them after each test."""
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils

    monkeypatch.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
    monkeypatch.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):  # they set these too
        monkeypatch.setenv(name, "")  # records the old state, restored at teardown
        monkeypatch.delenv(name)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def _spool_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(spool.SPOOL_DIR_VAR, os.fspath(tmp_path / "spool"))
    monkeypatch.setenv(spool.FLUSH_TIMEOUT_VAR, "60")


@pytest.fixture
def reference(mlflow_server: MlflowServer) -> MlflowClient:
    return MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)


def test_registry_calls_over_rest(mlflow_server: MlflowServer, reference: MlflowClient) -> None:
    client = tracklib.Client(mlflow_server.url)
    name = _name("lstm")
    client.create_registered_model(name, tags={"team": "ml"}, description="desc")
    for source in ("s3://bucket/one", "s3://bucket/two", "s3://bucket/three"):
        client.create_model_version(name, source, tags={"src": source[-3:]})
    client.set_registered_model_alias(name, "champion", 2)
    client.set_model_version_tag(name, 1, "k", "v")
    client.delete_model_version(name, 3)
    client.update_model_version(name, 1, "first")
    theirs = reference.get_registered_model(name)
    assert (theirs.aliases, theirs.tags, theirs.description) == (
        {"champion": "2"}, {"team": "ml"}, "desc",
    )  # fmt: skip
    assert reference.get_model_version(name, "1").tags == {"src": "one", "k": "v"}
    assert reference.get_model_version(name, "1").description == "first"
    ours = client.get_registered_model(name)
    assert (ours.aliases, ours.tags) == ({"champion": 2}, {"team": "ml"})
    champion = client.get_model_version_by_alias(name, "champion")
    assert (champion.version, champion.source, champion.aliases) == (
        2,
        "s3://bucket/two",
        ["champion"],
    )
    found = client.search_model_versions(f"name = '{name}'")
    assert sorted(v.version for v in found) == [1, 2]
    page = client.search_registered_models(f"name LIKE '{name[:12]}%'", max_results=1)
    assert [m.name for m in page] == [name]
    renamed = client.rename_registered_model(name, name + "-v2")
    assert reference.get_model_version_by_alias(renamed.name, "champion").version == "2"
    client.delete_registered_model(renamed.name)
    with pytest.raises(NotFoundError):
        client.get_registered_model(renamed.name)


def test_server_errors_map_to_tracklib_errors(mlflow_server: MlflowServer) -> None:
    client = tracklib.Client(mlflow_server.url)
    name = _name("err")
    with pytest.raises(NotFoundError):
        client.get_registered_model(name)
    client.create_registered_model(name)
    with pytest.raises(AlreadyExistsError):
        client.create_registered_model(name)
    with pytest.raises(NotFoundError):
        client.get_model_version(name, 1)
    with pytest.raises(InvalidInputError, match="source"):  # the server refuses local sources
        client.create_model_version(name, "file:///x")
    client.create_model_version(name, "s3://bucket/x")
    with pytest.raises(NotFoundError):
        client.get_model_version_by_alias(name, "missing")
    with pytest.raises(InvalidInputError, match="reserved"):
        client.set_registered_model_alias(name, "latest", 1)
    with pytest.raises(InvalidInputError):  # the server's own check of a filter
        client.search_model_versions("nonsense ==")


def _log_model() -> None:
    os.makedirs("weights", exist_ok=True)
    Path("weights/MLmodel").write_text("flavors: {}\n")
    Path("weights/w.json").write_text('{"w": 1}')
    tracklib.log_artifacts("weights", "model")
    tracklib.log_metric("mse", 0.5)


def _tree(root: str) -> dict[str, bytes]:
    base = Path(root)
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def test_register_a_running_remote_run(
    mlflow_server: MlflowServer, reference: MlflowClient, tmp_path: Path
) -> None:
    tracklib.set_tracking_uri(mlflow_server.url)
    name = _name("remote")
    with tracklib.start_run(experiment=_name("reg")) as run:
        _log_model()
        version = tracklib.register_model(f"runs:/{run.info.run_id}/model", name)
    assert version.run_id == run.info.run_id
    reference_run = reference.get_run(run.info.run_id)
    assert version.source == reference_run.info.artifact_uri + "/model"
    tracklib.Client().set_registered_model_alias(name, "champion", version.version)
    ours = tracklib.Client().download_artifacts(f"models:/{name}@champion", dst_path=tmp_path / "o")
    mlflow.set_tracking_uri(mlflow_server.url)
    mlflow.set_registry_uri(mlflow_server.url)
    theirs = mlflow.artifacts.download_artifacts(f"models:/{name}@champion",
                                                 dst_path=str(tmp_path / "t"))  # fmt: skip
    assert _tree(ours) == _tree(theirs)
    assert "w.json" in _tree(ours)


@pytest.fixture
def proxy(mlflow_server: MlflowServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    with FaultProxy(mlflow_server.url) as p:
        monkeypatch.setenv("TRACKLIB_TRACKING_URI", p.url)
        yield p
        spool.reset()  # stop this test's sender (what it had not sent stays in the spool)


def test_register_a_run_started_offline_names_the_servers_run(
    proxy: FaultProxy, reference: MlflowClient, caplog: pytest.LogCaptureFixture
) -> None:
    proxy.plan = always(status_before(503, retry_after=0.1))
    name = _name("offline")
    with tracklib.start_run(experiment=_name("reg")) as run:
        assert "offline" in caplog.text  # the warning goes through the tracklib logger
        local_id = run.info.run_id
        _log_model()
        proxy.plan = always(PASS)  # the server is back
        version = tracklib.register_model(f"runs:/{local_id}/model", name)
    assert version.run_id != local_id  # the server's id, not the spool's
    server_run = reference.get_run(version.run_id)
    assert server_run.info.artifact_uri + "/model" == version.source
    files = {f.path for f in reference.list_artifacts(version.run_id, "model")}
    assert files == {"model/MLmodel", "model/w.json"}


def test_register_while_the_server_is_down_raises_and_writes_nothing(
    proxy: FaultProxy, reference: MlflowClient, capfd: pytest.CaptureFixture[str]
) -> None:
    proxy.plan = always(status_before(503, retry_after=0.1))
    name = _name("down")
    with tracklib.start_run(experiment=_name("reg")) as run:
        _log_model()
        with pytest.raises(tracklib.errors.StoreError):
            tracklib.register_model(f"runs:/{run.info.run_id}/model", name)
        proxy.plan = always(PASS)
    with pytest.raises(Exception, match=r"not found|RESOURCE_DOES_NOT_EXIST"):
        reference.get_registered_model(name)
    _ = capfd.readouterr()


def test_sync_carries_a_local_registry_to_the_server(
    mlflow_server: MlflowServer, reference: MlflowClient, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from tracklib.cli import entry

    tracklib.set_tracking_uri("offline")
    name = _name("carried")
    with tracklib.start_run(experiment=_name("offline")) as run:
        _log_model()
    tracklib.register_model(f"runs:/{run.info.run_id}/model", name)
    tracklib.Client().set_registered_model_alias(name, "champion", 1)
    assert entry.main(["sync", "offline", "--to", mlflow_server.url]) == 0
    assert "1 registered models, 1 new versions" in capsys.readouterr().out
    champion = reference.get_model_version_by_alias(name, "champion")
    server_run = reference.get_run(champion.run_id)
    assert champion.run_id != run.info.run_id
    assert champion.source == server_run.info.artifact_uri + "/model"
    mlflow.set_tracking_uri(mlflow_server.url)
    mlflow.set_registry_uri(mlflow_server.url)
    theirs = mlflow.artifacts.download_artifacts(f"models:/{name}@champion",
                                                 dst_path=str(tmp_path / "t"))  # fmt: skip
    assert set(_tree(theirs)) == {"MLmodel", "w.json", "registered_model_meta"}


def test_models_cli_against_the_server(
    mlflow_server: MlflowServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from tracklib.cli import entry

    name = _name("cli")
    client = tracklib.Client(mlflow_server.url)
    client.create_registered_model(name)
    client.create_model_version(name, "s3://bucket/m")
    assert (
        entry.main(["models", "alias", name, "prod", "1", "--tracking-uri", mlflow_server.url]) == 0
    )
    capsys.readouterr()
    assert entry.main(["models", "show", name, "--json", "--tracking-uri", mlflow_server.url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["aliases"], [v["version"] for v in shown["versions"]]) == ({"prod": 1}, [1])
