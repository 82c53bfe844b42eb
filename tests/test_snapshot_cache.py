"""The cross-process cache of the snapshot's interpreter/platform/packages part, and start-up.

Each test gets its own cache folder (conftest sets TRACKLIB_CACHE_DIR per test).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tracklib.environment import cache, files
from tracklib.environment import capture as env
from tracklib.stores.file import disk

REPO_ROOT = Path(__file__).resolve().parents[1]


def _write_dist(site: Path, name: str, version: str) -> Path:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")
    return info


def _names(snapshot: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["version"] for p in snapshot["packages"]}


def _without_times(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in snapshot.items() if key != "start_time"}


def _files(snapshot: dict[str, Any]) -> dict[str, str]:
    return env.snapshot_files({**snapshot, "start_time": "2030-01-01T00:00:00.000Z"}, None)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An extra sys.path directory, first on the path, with one fake distribution."""
    folder = tmp_path / "site"
    _write_dist(folder, "cachedpkg", "1.0")
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_cache_file_is_written_and_the_snapshot_is_the_same_with_it(site: Path) -> None:
    first = env.capture_environment()
    assert os.path.isfile(cache.cache_file())
    second = env.capture_environment()  # from the cache
    assert _without_times(second) == _without_times(first)
    assert _files(second) == _files(first)
    os.remove(cache.cache_file())
    files.yaml_texts.clear()
    scanned = env.capture_environment()  # no cache at all: scanned and rendered again
    assert _without_times(scanned) == _without_times(first)
    assert _files(scanned) == _files(first)


def test_installing_and_removing_a_package_invalidates_the_cache(site: Path) -> None:
    assert _names(env.capture_environment())["cachedpkg"] == "1.0"
    added = _write_dist(site, "newpkg", "3.1")
    assert _names(env.capture_environment())["newpkg"] == "3.1"
    shutil.rmtree(added)
    assert "newpkg" not in _names(env.capture_environment())
    # An upgrade: the old dist-info goes, a new one comes (pip's way).
    shutil.rmtree(site / "cachedpkg-1.0.dist-info")
    _write_dist(site, "cachedpkg", "2.0")
    assert _names(env.capture_environment())["cachedpkg"] == "2.0"


def test_a_new_path_entry_invalidates_the_cache(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.capture_environment()
    other = tmp_path / "other"
    _write_dist(other, "cachedpkg", "9.0")  # shadows the one in `site`
    monkeypatch.syspath_prepend(str(other))
    assert _names(env.capture_environment())["cachedpkg"] == "9.0"


def test_other_files_in_a_path_entry_do_not_cost_a_rescan(site: Path) -> None:
    env.capture_environment()
    (site / "notes.txt").write_text("a saved script moves the folder's time")
    os.utime(site, ns=(1, 1))  # and make sure it moved
    assert _names(env.capture_environment())["cachedpkg"] == "1.0"
    with open(cache.cache_file(), encoding="utf-8") as stream:
        stored = json.load(stream)
    entry = next(item for item in stored["path"] if item[0] == str(site))
    assert entry[1] == 1  # the listing was the same: the stamp was refreshed, not rescanned


def test_script_folders_without_metadata_share_the_cache(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rest = list(sys.path)
    first_project, second_project, with_dist = (tmp_path / n for n in ("one", "two", "three"))
    for folder in (first_project, second_project):
        folder.mkdir()
        (folder / "train.py").write_text("pass\n")
    _write_dist(with_dist, "projectpkg", "0.5")
    monkeypatch.setattr(sys, "path", [str(first_project), *rest])
    first = env.capture_environment()
    monkeypatch.setattr(sys, "path", [str(second_project), *rest])
    assert _without_times(env.capture_environment()) == _without_times(first)
    with open(cache.cache_file(), encoding="utf-8") as stream:
        assert json.load(stream)["path"][0][0] == str(second_project)  # a hit, restamped
    monkeypatch.setattr(sys, "path", [str(with_dist), *rest])
    assert _names(env.capture_environment())["projectpkg"] == "0.5"  # a miss: it lists one


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"format": 1}',
        b"\xff\xfe garbage",
        "CORRUPT_VALUE",  # a valid stamp with a value of the wrong shape
    ],
)
def test_a_corrupt_cache_file_is_ignored_and_replaced(site: Path, content: bytes | str) -> None:
    fresh = env.capture_environment()
    path = cache.cache_file()
    if content == "CORRUPT_VALUE":
        with open(path, encoding="utf-8") as stream:
            stored = json.load(stream)
        stored["value"]["packages"] = [{"name": 1}]
        data = json.dumps(stored).encode()
    else:
        assert isinstance(content, bytes)
        data = content
    with open(path, "wb") as stream:
        stream.write(data)
    again = env.capture_environment()
    assert _without_times(again) == _without_times(fresh)
    with open(path, encoding="utf-8") as stream:
        assert json.load(stream)["value"]["packages"] == fresh["packages"]  # rewritten


def test_an_unwritable_cache_folder_only_costs_the_scan(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TRACKLIB_CACHE_DIR", str(blocker))
    assert _names(env.capture_environment())["cachedpkg"] == "1.0"


def _python(code: str, cwd: Path) -> str:
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLIB_", "MLFLOW_"))}
    variables.update(PYTHONPATH=path, TRACKLIB_CACHE_DIR=str(cwd / "cache"))
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=variables, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def test_a_first_run_with_a_warm_cache_imports_neither_yaml_nor_filelock(tmp_path: Path) -> None:
    code = (
        "import sys, tracklib\n"
        "with tracklib.start_run():\n"
        "    tracklib.log_param('a', 1)\n"
        "print(sorted(m for m in ('yaml', 'filelock') if m in sys.modules))\n"
    )
    _python(code, tmp_path)  # creates the store (filelock) and fills the snapshot cache (yaml)
    assert _python(code, tmp_path) == "[]"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789abefnoxyABEFNOTXY_.:+-/~=<! é", max_size=10))
def test_the_plain_string_rule_agrees_with_pyyaml(text: str) -> None:
    resolver = yaml.resolver.Resolver()
    resolved = resolver.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    assert disk._resolves_to_str(text) == (resolved == "tag:yaml.org,2002:str")
