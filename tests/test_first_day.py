"""What a new user hits on the first day: mistyped URIs, looking where nothing was logged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow_helpers import subprocess_env

import tracklib
from tracklib import settings
from tracklib.errors import InvalidInputError


@pytest.mark.parametrize(
    ("uri", "fix"),
    [
        ("http//host:5000", "'http://host:5000'"),
        ("https//host", "'https://host'"),
        ("host:5000", "'http://host:5000'"),
        ("localhost:5000/mlflow", "'http://localhost:5000/mlflow'"),
        ("mlruns ", "'mlruns'"),
        (" ./mlruns", "'./mlruns'"),
        ("databricks", "./databricks"),
    ],
)
def test_a_mistyped_uri_names_the_fix_and_creates_nothing(
    uri: str, fix: str, tmp_path: Path
) -> None:
    for attempt in (
        lambda: tracklib.set_tracking_uri(uri),
        lambda: tracklib.Client(uri),
        lambda: settings.local_path(uri),
    ):
        with pytest.raises(InvalidInputError, match="Tracking URI") as info:
            attempt()
        assert fix in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_mistyped_uri_from_the_environment_fails_at_start_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRACKLIB_TRACKING_URI", "host:5000")
    with pytest.raises(InvalidInputError, match="http://host:5000"):
        tracklib.start_run()
    assert tracklib.active_run() is None
    assert list(tmp_path.iterdir()) == []


def test_plain_paths_still_work(tmp_path: Path) -> None:
    for uri in ("runs-here", "./a:b", str(tmp_path / "x y")):
        assert settings.local_path(uri) == os.path.abspath(uri)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracklib", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
    )


@pytest.mark.parametrize(
    "verb", [["experiments"], ["runs"], ["show", "abc"], ["history", "abc", "loss"]]
)
def test_reading_where_nothing_was_logged_creates_no_store(verb: list[str], tmp_path: Path) -> None:
    done = _cli(*verb, cwd=tmp_path)
    assert done.returncode == 1
    assert "No tracking store at" in done.stderr and "--tracking-uri" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_sync_of_a_wrong_path_says_what_is_wrong(tmp_path: Path) -> None:
    tracklib.set_tracking_uri(tmp_path / "node" / "mlruns")
    with tracklib.start_run():
        tracklib.log_metric("m", 1.0)
    (tmp_path / "a-file").write_text("x")
    url = "http://127.0.0.1:9"  # never reached: the path is checked first
    cases = {
        "./mlrunz": "no such folder",
        "a-file": "that is a file",
        ".": "holds no experiments",
        "node": "did you mean node/mlruns?",
    }
    for path, reason in cases.items():
        done = _cli("sync", path, "--to", url, cwd=tmp_path)
        assert done.returncode == 1, path
        assert reason in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_sync_help_is_plain_text(tmp_path: Path) -> None:
    done = _cli("sync", "--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "tracklib sync PATH --to URL" in done.stdout
    for markup in ("``", ":mod:", ":func:", ":class:"):
        assert markup not in done.stdout
