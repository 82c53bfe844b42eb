"""The file registry against MLflow 3.17.2, both ways: same bytes for the same calls, MLflow
reads what tracklib wrote, tracklib reads what MLflow wrote, models:/ URIs resolve the same."""

from __future__ import annotations

import filecmp
import os
import re
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

import tracklib
from tracklib.errors import NotFoundError

LONG = "a description long enough that PyYAML folds it onto a second line of the meta.yaml file"
RUN_A = "0123456789abcdef0123456789abcdef"


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


def _script(client: Any) -> None:
    """The same registry calls, for an MlflowClient or a tracklib Client."""
    client.create_registered_model("lstm", tags={"team": "ml", "a/b": 3}, description="desc")
    client.create_model_version("lstm", "file:///src/one", run_id=RUN_A, tags={"t": "1"},
                                description=LONG)  # fmt: skip
    client.create_model_version("lstm", "file:///src/two")
    client.set_registered_model_alias("lstm", "champion", 1)
    client.set_registered_model_alias("lstm", "doomed", 2)
    client.set_model_version_tag("lstm", 2, "x", "y")
    client.delete_model_version("lstm", 2)
    client.create_model_version("lstm", "file:///src/three", run_id=RUN_A)
    client.update_registered_model("lstm", "new desc")
    client.update_model_version("lstm", 3, "v3 ' quoted: yes")
    client.delete_registered_model_tag("lstm", "team")
    client.set_registered_model_tag("lstm", "empty", None)
    client.create_registered_model("gone")
    client.delete_registered_model("gone")
    client.create_registered_model("Other Name.v2")


_STAMP = re.compile(rb"(creation_timestamp|last_updated_timestamp): \d+")


def _files(root: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted((root / "models").rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = _STAMP.sub(rb"\1: T", path.read_bytes())
    return out


def _mlflow_client(root: Path) -> MlflowClient:
    uri = root.resolve().as_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_same_bytes_as_mlflow(tmp_path: Path) -> None:
    _script(_mlflow_client(tmp_path / "theirs"))
    _script(tracklib.Client(tmp_path / "ours"))
    theirs, ours = _files(tmp_path / "theirs"), _files(tmp_path / "ours")
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        assert ours[name] == theirs[name], name
    assert b"Deleted_Internal" in ours["models/lstm/version-2/meta.yaml"]  # not vacuous


def test_mlflow_reads_what_tracklib_wrote(tmp_path: Path) -> None:
    _script(tracklib.Client("mlruns"))
    theirs = _mlflow_client(tmp_path / "mlruns")
    model = theirs.get_registered_model("lstm")
    assert model.aliases == {"champion": "1"}
    assert model.description == "new desc"
    assert model.tags == {"a/b": "3", "empty": "None"}
    assert [v.version for v in model.latest_versions] == [3]
    versions = theirs.search_model_versions("name = 'lstm'")
    assert sorted(int(v.version) for v in versions) == [1, 3]
    first = theirs.get_model_version_by_alias("lstm", "champion")
    assert (first.version, first.run_id, first.tags, first.description) == (
        1,
        RUN_A,
        {"t": "1"},
        LONG,
    )
    with pytest.raises(MlflowException, match="not found"):
        theirs.get_model_version("lstm", 2)  # deleted
    names = [m.name for m in theirs.search_registered_models(filter_string="name LIKE '%Name%'")]
    assert names == ["Other Name.v2"]


def test_tracklib_reads_what_mlflow_wrote(tmp_path: Path) -> None:
    _script(_mlflow_client(tmp_path / "mlruns"))
    ours = tracklib.Client("mlruns")
    model = ours.get_registered_model("lstm")
    assert model.aliases == {"champion": 1}
    assert model.tags == {"a/b": "3", "empty": "None"}
    assert [v.version for v in model.latest_versions] == [3]
    assert [v.version for v in ours.search_model_versions("name='lstm'")] == [3, 1]
    champion = ours.get_model_version_by_alias("lstm", "champion")
    assert (champion.version, champion.run_id, champion.aliases) == (1, RUN_A, ["champion"])
    assert champion.description == LONG
    with pytest.raises(NotFoundError):
        ours.get_model_version("lstm", 2)  # deleted by MLflow
    with pytest.raises(NotFoundError):
        ours.get_model_version_by_alias("lstm", "doomed")  # dropped with version 2
    assert ours.get_model_version("lstm", "3").description == "v3 ' quoted: yes"
    # the next version continues after the deleted one, as MLflow numbers it
    assert ours.create_model_version("lstm", "file:///src/four").version == 4
    assert (
        _mlflow_client(tmp_path / "mlruns").get_model_version("lstm", 4).source
        == "file:///src/four"
    )


def _log_model_run(folder: str = "model") -> str:
    os.makedirs("weights/sub", exist_ok=True)
    Path("weights/MLmodel").write_text("flavors: {}\n")
    Path("weights/sub/w.json").write_text('{"w": [1, 2]}')
    with tracklib.start_run() as run:
        tracklib.log_artifacts("weights", folder)
        tracklib.log_metric("mse", 0.25)
    return run.info.run_id


def _tree(root: str) -> dict[str, bytes]:
    base = Path(root)
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def test_models_uri_downloads_same_files_as_mlflow(tmp_path: Path) -> None:
    tracklib.set_tracking_uri("mlruns")
    run_id = _log_model_run()
    version = tracklib.register_model(f"runs:/{run_id}/model", "net", tags={"stage": "dev"})
    client = tracklib.Client()
    client.set_registered_model_alias("net", "champion", version.version)
    ours = client.download_artifacts("models:/net@champion", dst_path=tmp_path / "ours")
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    mlflow.set_registry_uri((tmp_path / "mlruns").as_uri())
    theirs = mlflow.artifacts.download_artifacts(
        "models:/net@champion", dst_path=str(tmp_path / "t")
    )
    assert _tree(ours) == _tree(theirs)
    assert set(_tree(ours)) == {"MLmodel", "sub/w.json", "registered_model_meta"}
    by_number = client.download_artifacts("models:/net/1", "sub", dst_path=tmp_path / "n")
    assert _tree(by_number) == {"w.json": b'{"w": [1, 2]}'}
    # MLflow's own register_model on the same folder yields the same source and run id
    mine = mlflow.register_model(f"runs:/{run_id}/model", "net")
    assert (mine.source, mine.run_id, int(mine.version)) == (version.source, run_id, 2)


def test_register_missing_artifact_or_run_writes_nothing(tmp_path: Path) -> None:
    tracklib.set_tracking_uri("mlruns")
    run_id = _log_model_run()
    with pytest.raises(NotFoundError, match="no artifact 'nope'"):
        tracklib.register_model(f"runs:/{run_id}/nope", "net")
    with pytest.raises(NotFoundError):
        tracklib.register_model("runs:/ffffffffffffffffffffffffffffffff/model", "net")
    assert tracklib.Client().search_registered_models() == []


def test_pyfunc_model_registered_by_tracklib_loads_through_models_uri(tmp_path: Path) -> None:
    """What ``mlflow models serve -m models:/adder@champion`` does first: resolve and load."""

    tracklib.set_tracking_uri("mlruns")
    mlflow.pyfunc.save_model("adder", python_model=AddOne(), pip_requirements=[])
    with tracklib.start_run() as run:
        tracklib.log_artifacts("adder", "model")
    version = tracklib.register_model(f"runs:/{run.info.run_id}/model", "adder")
    tracklib.Client().set_registered_model_alias("adder", "champion", version.version)
    uri = (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    loaded = mlflow.pyfunc.load_model("models:/adder@champion")
    assert loaded.predict([1, 2]) == [2, 3]


class AddOne(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
        return [x + 1 for x in model_input]


def test_files_identical_check_is_not_vacuous(tmp_path: Path) -> None:
    _script(tracklib.Client(tmp_path / "a"))
    _script(tracklib.Client(tmp_path / "b"))
    tracklib.Client(tmp_path / "b").set_registered_model_alias("lstm", "extra", 3)
    assert _files(tmp_path / "a") != _files(tmp_path / "b")
    assert filecmp.cmp(
        tmp_path / "a/models/lstm/version-1/tags/t", tmp_path / "b/models/lstm/version-1/tags/t"
    )
