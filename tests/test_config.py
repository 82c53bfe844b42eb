"""tracklib.settings: tracking-URI resolution and file: URIs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tracklib
from tracklib import settings
from tracklib.errors import InvalidInputError


# ---------------------------------------------------------------- resolution order
def test_default_is_local_mlruns() -> None:
    assert tracklib.get_tracking_uri() == "./mlruns"


def test_default_store_is_created_in_cwd(tmp_path: Path) -> None:
    with tracklib.start_run() as run:
        pass
    assert (tmp_path / "mlruns" / "0" / run.info.run_id / "meta.yaml").is_file()


def test_mlflow_env_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(tmp_path / "mf"))
    assert tracklib.get_tracking_uri() == str(tmp_path / "mf")


def test_tracklib_env_beats_mlflow_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(tmp_path / "mf"))
    monkeypatch.setenv("TRACKLIB_TRACKING_URI", str(tmp_path / "tl"))
    assert tracklib.get_tracking_uri() == str(tmp_path / "tl")


def test_empty_env_value_is_skipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACKLIB_TRACKING_URI", "")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(tmp_path / "mf"))
    assert tracklib.get_tracking_uri() == str(tmp_path / "mf")


def test_explicit_call_beats_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(tmp_path / "mf"))
    monkeypatch.setenv("TRACKLIB_TRACKING_URI", str(tmp_path / "tl"))
    tracklib.set_tracking_uri(tmp_path / "explicit")  # a PathLike is accepted
    assert tracklib.get_tracking_uri() == str(tmp_path / "explicit")
    tracklib.set_tracking_uri(None)
    assert tracklib.get_tracking_uri() == str(tmp_path / "tl")


@pytest.mark.parametrize("source", ["explicit", "TRACKLIB_TRACKING_URI", "MLFLOW_TRACKING_URI"])
def test_runs_land_where_the_uri_points(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str
) -> None:
    target = tmp_path / "store"
    if source == "explicit":
        tracklib.set_tracking_uri(str(target))
    else:
        monkeypatch.setenv(source, str(target))
    with tracklib.start_run() as run:
        tracklib.log_metric("m", 1.0)
    assert (target / "0" / run.info.run_id / "metrics" / "m").is_file()
    assert not (tmp_path / "mlruns").exists()


# ---------------------------------------------------------------- file: URIs
def test_file_uri_with_percent_encoding(tmp_path: Path) -> None:
    target = tmp_path / "a b#c%d" / "mlruns"
    uri = target.as_uri()
    assert "%20" in uri
    assert settings.local_path(uri) == str(target)
    tracklib.set_tracking_uri(uri)
    with tracklib.start_run() as run:
        pass
    run_folder = target / "0" / run.info.run_id
    assert run_folder.is_dir()
    # artifact URIs are percent-encoded the way pathlib (and MLflow) writes them
    assert run.info.artifact_uri == (run_folder / "artifacts").as_uri()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("file:///tmp/a%20b", "/tmp/a b"),
        ("file://localhost/tmp/x", "/tmp/x"),
        ("file:/tmp/y", "/tmp/y"),
        ("FILE:///tmp/z", "/tmp/z"),
        ("/tmp/plain path", "/tmp/plain path"),
    ],
)
def test_local_path_of_uris(uri: str, expected: str) -> None:
    assert settings.local_path(uri) == expected


def test_relative_and_home_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings.local_path("./mlruns") == os.path.join(os.getcwd(), "mlruns")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert settings.local_path("~/runs") == str(tmp_path / "home" / "runs")


def test_file_uri_with_remote_host_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="remote host"):
        settings.local_path("file://otherhost/tmp/x")


# ---------------------------------------------------------------- unsupported schemes
@pytest.mark.parametrize(
    ("uri", "hint"),
    [
        ("sqlite:///mlflow.db", "sqlite"),
        ("postgresql://u@h/db", "postgresql"),
        ("databricks", "databricks"),  # MLflow's word for Databricks: never a folder by accident
    ],
)
def test_unsupported_uris_give_clear_errors(uri: str, hint: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        tracklib.set_tracking_uri(uri)
    message = str(info.value)
    assert uri in message
    assert hint in message.lower()
    assert tracklib.get_tracking_uri() == "./mlruns"  # the bad URI was not kept


def test_http_uris_select_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklib.stores.rest.store import RestStore

    tracklib.set_tracking_uri("https://user:pw@mlflow.example.com/prefix")
    assert settings.is_remote(tracklib.get_tracking_uri())
    store = tracklib.Client().store
    assert isinstance(store, RestStore)
    assert "pw" not in repr(store)


@pytest.mark.parametrize("uri", ["sqlite:///mlflow.db", "mysql://u@h/db"])
def test_unsupported_env_uri_fails_at_first_use(monkeypatch: pytest.MonkeyPatch, uri: str) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with pytest.raises(InvalidInputError, match="Tracking URI"):
        tracklib.Client()
    with pytest.raises(InvalidInputError):
        tracklib.start_run()
    assert tracklib.active_run() is None


# ---------------------------------------------------------------- path_to_uri
@pytest.mark.parametrize(
    "name", ["plain", "with space", "ünï", "日本", "pct%20", "hash#x", "q?x", "semi;colon", "a+b"]
)
def test_path_to_uri_matches_pathlib(tmp_path: Path, name: str) -> None:
    path = tmp_path / name / "mlruns"
    uri = settings.path_to_uri(str(path))
    assert uri == path.as_uri()
    assert settings.local_path(uri) == str(path)


def test_path_to_uri_makes_relative_paths_absolute() -> None:
    assert settings.path_to_uri("mlruns") == Path(os.path.abspath("mlruns")).as_uri()


# ---------------------------------------------------------------- other settings
def test_current_user_prefers_tracking_username(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "mf-user")
    assert settings.current_user() == "mf-user"
    monkeypatch.setenv("TRACKLIB_TRACKING_USERNAME", "tl-user")
    assert settings.current_user() == "tl-user"


@pytest.mark.parametrize(
    ("value", "enabled"),
    [("0", False), ("false", False), ("No", False), (" off ", False), ("1", True), ("yes", True)],
)
def test_capture_env_switch(monkeypatch: pytest.MonkeyPatch, value: str, enabled: bool) -> None:
    monkeypatch.setenv("TRACKLIB_CAPTURE_ENV", value)
    assert settings.capture_env_enabled() is enabled
