"""Shared fixtures: every test gets its own working folder, store and clean tracklib state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracklib
from tracklib import testing

_ENV_VARS = (
    "TRACKLIB_TRACKING_URI",
    "MLFLOW_TRACKING_URI",
    "TRACKLIB_EXPERIMENT_NAME",
    "MLFLOW_EXPERIMENT_NAME",
    "TRACKLIB_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_ID",
    "TRACKLIB_RUN_ID",
    "MLFLOW_RUN_ID",
    "TRACKLIB_TRACKING_USERNAME",
    "MLFLOW_TRACKING_USERNAME",
)


@pytest.fixture(autouse=True)
def clean_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run each test in its own folder with no tracking env vars and no active run."""
    for name in _ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKLIB_CAPTURE_ENV", "0")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("TRACKLIB_CACHE_DIR", os.fspath(tmp_path / "tracklib-cache"))
    monkeypatch.chdir(tmp_path)
    testing.reset()
    yield
    testing.reset()


@pytest.fixture
def store_root(tmp_path: Path) -> str:
    """A tracking folder inside the test's folder (not yet created)."""
    return os.fspath(tmp_path / "mlruns")


@pytest.fixture
def client(store_root: str) -> tracklib.Client:
    """A Client on a fresh file store, also set as the process's tracking URI."""
    tracklib.set_tracking_uri(store_root)
    return tracklib.Client(store_root)
