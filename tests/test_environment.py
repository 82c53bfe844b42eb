"""Tests for tracklib.environment: the environment snapshot and its rendered files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

import tracklib
from tracklib.environment import capture as env
from tracklib.environment import packages as pkgs
from tracklib.settings import local_path

REPO_ROOT = Path(__file__).resolve().parents[1]
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SECRET_TOKEN = "planted-secret-123"
SECRET_AWS = "planted-aws-secret-456"
URL_SECRET = "s3cr3t-token"
REMOTE = f"https://user:{URL_SECRET}@example.com/org/repo.git"


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=a@b", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user/system git config, and no discovery of a repository above tmp_path."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def repo(isolated_git: Path) -> Path:
    """A checkout on branch main with one commit and a remote URL carrying credentials."""
    root = isolated_git / "project"
    root.mkdir()
    _git(root, "-c", "init.defaultBranch=main", "init", "-q")
    (root / "train.py").write_text("print('hello')\n")
    _git(root, "add", "train.py")
    _git(root, "commit", "-q", "-m", "first")
    _git(root, "remote", "add", "origin", REMOTE)
    _git(root, "remote", "add", "zzz-second", "https://example.org/other.git")
    return root


def _write_dist(
    site: Path, dist_name: str, version: str, direct_url: dict[str, Any] | None = None
) -> None:
    info = site / f"{dist_name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\nSummary: x\n\nName: body\n"
    )
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))


def _package(snapshot: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [p for p in snapshot["packages"] if _normalize(p["name"]) == _normalize(name)]
    assert len(matches) == 1, matches
    package: dict[str, Any] = matches[0]
    return package


# --- git and secrets -----------------------------------------------------------------------------


@needs_git
def test_snapshot_of_dirty_checkout_records_git_and_no_secrets(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_API_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_AWS)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    (repo / "train.py").write_text("print('hello')\nprint('uncommitted change')\n")

    snapshot = env.capture_environment(script_path=str(repo / "train.py"))
    git = snapshot["git"]
    assert git["commit"] == _git(repo, "rev-parse", "HEAD")
    assert git["branch"] == "main"
    assert git["dirty"] is True
    assert git["remote_url"] == "https://example.com/org/repo.git"
    assert os.path.samefile(git["root"], repo)

    diff = env.git_diff(git["root"])
    assert diff is not None and "+print('uncommitted change')" in diff
    files = env.snapshot_files(snapshot, diff)
    assert set(files) == {
        "requirements.txt",
        "python_env.yaml",
        "conda.yaml",
        "metadata.json",
        "git.diff",
    }
    rendered = [*files.values(), json.dumps(snapshot)]
    for secret in (SECRET_TOKEN, SECRET_AWS, URL_SECRET, "MY_API_TOKEN", "AWS_SECRET"):
        assert not [text for text in rendered if secret in text], secret
    assert snapshot["env"]["CUDA_VISIBLE_DEVICES"] == "3,5"
    assert json.loads(files["metadata.json"])["env"]["CUDA_VISIBLE_DEVICES"] == "3,5"
    assert env.git_tags(snapshot) == {
        "mlflow.source.git.commit": git["commit"],
        "mlflow.source.git.branch": "main",
        "mlflow.source.git.repoURL": "https://example.com/org/repo.git",
    }


@needs_git
def test_clean_checkout_is_not_dirty_and_has_no_diff(repo: Path) -> None:
    (repo / "untracked.txt").write_text("untracked files do not make a checkout dirty\n")
    snapshot = env.capture_environment(script_path=str(repo / "train.py"))
    assert snapshot["git"]["dirty"] is False
    assert env.git_diff(str(repo)) is None
    assert "git.diff" not in env.snapshot_files(snapshot, env.git_diff(str(repo)))


@needs_git
def test_git_is_looked_up_from_the_script_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (repo / "src").mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(sys, "argv", [str(repo / "src" / "train.py"), "--lr", "0.1"])
    snapshot = env.capture_environment()
    assert snapshot["git"]["commit"] == _git(repo, "rev-parse", "HEAD")
    assert snapshot["argv"] == [str(repo / "src" / "train.py"), "--lr", "0.1"]
    assert snapshot["cwd"] == str(elsewhere)


@needs_git
def test_detached_head_has_no_branch(repo: Path) -> None:
    _git(repo, "checkout", "-q", "--detach")
    snapshot = env.capture_environment(script_path=str(repo))
    assert snapshot["git"]["branch"] is None
    assert snapshot["git"]["commit"] == _git(repo, "rev-parse", "HEAD")
    assert "mlflow.source.git.branch" not in env.git_tags(snapshot)


@needs_git
def test_repository_without_commit_and_plain_directory_have_no_git(isolated_git: Path) -> None:
    plain = isolated_git / "plain"
    plain.mkdir()
    unborn = isolated_git / "unborn"
    unborn.mkdir()
    _git(unborn, "init", "-q")
    for directory in (plain, unborn):
        snapshot = env.capture_environment(script_path=str(directory / "train.py"))
        assert snapshot["git"] is None
        assert env.git_tags(snapshot) == {}
        assert env.git_diff(str(directory)) is None


@needs_git
def test_a_work_tree_named_by_git_variables_is_found_from_a_plain_folder(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No .git above the script: only the variables lead git to the checkout.
    plain = repo.parent / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(repo))
    snapshot = env.capture_environment(script_path=str(plain / "train.py"))
    assert snapshot["git"] is not None
    assert snapshot["git"]["commit"] == _git(repo, "rev-parse", "HEAD")


@needs_git
def test_missing_git_binary_gives_no_git_and_no_exception(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    snapshot = env.capture_environment(script_path=str(repo / "train.py"))
    assert snapshot["git"] is None
    assert snapshot["packages"]
    assert env.git_diff(str(repo)) is None


@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as a fake git")
def test_hanging_git_is_abandoned_after_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    # The sleep is a grandchild holding stdout open, as a stuck hook or fsmonitor would be.
    (fake_bin / "git").write_text("#!/bin/sh\nsleep 30\n")
    (fake_bin / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(env, "GIT_TIMEOUT_S", 0.3)
    started = time.monotonic()
    snapshot = env.capture_environment(script_path=str(tmp_path))
    assert snapshot["git"] is None
    assert time.monotonic() - started < 5


@needs_git
def test_diff_over_the_limit_is_cut_with_a_note(repo: Path) -> None:
    (repo / "train.py").write_text("".join(f"print({i})\n" for i in range(5000)))
    full = env.git_diff(str(repo))
    assert full is not None
    original = len(full.encode())
    cut = env.git_diff(str(repo), max_bytes=1000)
    assert cut is not None
    body, note = cut.rstrip("\n").rsplit("\n", 1)
    assert full.startswith(body)
    assert len(body.encode()) < 1000
    assert "truncated" in note and str(original) in note


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:tok@example.com/org/repo.git", "https://example.com/org/repo.git"),
        ("https://ghp_abc123@github.com/org/repo", "https://github.com/org/repo"),
        ("ssh://git@example.com:2222/org/repo.git", "ssh://example.com:2222/org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("https://example.com/org/repo.git", "https://example.com/org/repo.git"),
        ("https://h/x.whl?X-Amz-Signature=abc&access_token=t&v=1", "https://h/x.whl?v=1"),
        ("https://h/x.whl?v=1&w", "https://h/x.whl?v=1&w"),
        ("/local/path", "/local/path"),
    ],
)
def test_strip_credentials(url: str, expected: str) -> None:
    assert pkgs.strip_credentials(url) == expected


# --- environment variables -----------------------------------------------------------------------


def test_allowlist_holds_no_secret_looking_names() -> None:
    suspicious = re.compile(r"TOKEN|KEY|SECRET|PASSW|CREDENTIAL|AUTH|^AWS_")
    assert [name for name in env.ENV_ALLOWLIST if suspicious.search(name)] == []
    assert len(set(env.ENV_ALLOWLIST)) == len(env.ENV_ALLOWLIST)


def test_only_allowlisted_variables_that_are_set_are_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.setenv("HF_TOKEN", SECRET_TOKEN)
    snapshot = env.capture_environment()
    assert snapshot["env"]["OMP_NUM_THREADS"] == "4"
    assert "SLURM_JOB_ID" not in snapshot["env"]
    assert set(snapshot["env"]) <= set(env.ENV_ALLOWLIST)
    assert SECRET_TOKEN not in json.dumps(snapshot)


# --- packages ------------------------------------------------------------------------------------


def test_packages_agree_with_importlib_metadata() -> None:
    expected: dict[str, str] = {}
    for dist in metadata.distributions():  # sys.path order; the first of a name wins
        name = dist.metadata["Name"]
        if name and dist.version:
            expected.setdefault(_normalize(name), dist.version)
    packages = env.capture_environment()["packages"]
    assert {_normalize(p["name"]): p["version"] for p in packages} == expected
    assert len(packages) == len(expected)
    keys = [_normalize(p["name"]) for p in packages]
    assert keys == sorted(keys)
    pip = _package({"packages": packages}, "pip")
    assert pip["requirement"] == f"pip=={metadata.version('pip')}"
    assert pip["comment"] is None


def test_first_distribution_on_the_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_dist(tmp_path / "later", "Shadowed.Pkg", "1.0")
    _write_dist(tmp_path / "earlier", "shadowed_pkg", "2.0")
    monkeypatch.syspath_prepend(str(tmp_path / "later"))
    monkeypatch.syspath_prepend(str(tmp_path / "earlier"))
    package = _package(env.capture_environment(), "shadowed-pkg")
    assert package["version"] == "2.0" == metadata.version("Shadowed.Pkg")
    assert package["requirement"] == "shadowed_pkg==2.0"


def test_shadowing_leftover_keeps_the_provenance_of_the_same_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The project folder ('' on sys.path) holds a build's egg-info; site-packages holds the
    # editable install's dist-info of the same version (as after `pip install -e .`).
    project = tmp_path / "project"
    (project / "proj.egg-info").mkdir(parents=True)
    (project / "proj.egg-info" / "PKG-INFO").write_text("Name: proj\nVersion: 1.0\n")
    (project / "other.egg-info").mkdir()
    (project / "other.egg-info" / "PKG-INFO").write_text("Name: other\nVersion: 1.0\n")
    editable = {"url": f"file://{project}", "dir_info": {"editable": True}}
    _write_dist(tmp_path / "site", "proj", "1.0", editable)
    _write_dist(tmp_path / "site", "other", "2.0", editable)
    found = pkgs.installed_packages([str(project), str(tmp_path / "site")])
    assert found == [
        {"name": "other", "version": "1.0", "requirement": "other==1.0", "comment": None},
        {
            "name": "proj",
            "version": "1.0",
            "requirement": f"-e file://{project}",
            "comment": "editable install of proj==1.0",
        },
    ]


def test_vcs_install_becomes_a_direct_reference_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    _write_dist(
        tmp_path,
        "fake-vcs-pkg",
        "0.3.1",
        {
            "url": f"https://user:{URL_SECRET}@git.example.com/org/fake.git",
            "vcs_info": {"vcs": "git", "commit_id": commit, "requested_revision": "main"},
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    snapshot = env.capture_environment()
    package = _package(snapshot, "fake-vcs-pkg")
    expected = f"fake-vcs-pkg @ git+https://git.example.com/org/fake.git@{commit}"
    assert package["requirement"] == expected
    assert package["comment"] is None
    assert expected + "\n" in env.requirements_txt(snapshot)
    assert URL_SECRET not in json.dumps(snapshot)
    assert URL_SECRET not in "".join(env.snapshot_files(snapshot, None).values())


def test_editable_install_is_recorded_as_its_path_never_as_a_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pin (my-editable==0.1.dev0) would install whatever the index has under that name.
    _write_dist(
        tmp_path,
        "my-editable",
        "0.1.dev0",
        {"url": "file:///home/me/src/my%20editable", "dir_info": {"editable": True}},
    )
    _write_dist(tmp_path, "my-folder", "2.0", {"url": "file:///home/me/src/folder", "dir_info": {}})
    monkeypatch.syspath_prepend(str(tmp_path))
    snapshot = env.capture_environment()
    package = _package(snapshot, "my-editable")
    assert package["requirement"] == "-e file:///home/me/src/my%20editable"
    assert package["comment"] == "editable install of my-editable==0.1.dev0"
    text = env.requirements_txt(snapshot)
    assert (
        "-e file:///home/me/src/my%20editable  # editable install of my-editable==0.1.dev0\n"
        in text
    )
    assert "my-folder @ file:///home/me/src/folder  # local install of my-folder==2.0\n" in text
    assert "\nmy-editable==" not in text and "\nmy-folder==" not in text


def test_two_records_of_one_folder_give_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A renamed project installed twice from one folder: pip refuses the same -e line twice.
    editable = {"url": "file:///src/project", "dir_info": {"editable": True}}
    _write_dist(tmp_path, "old-name", "1.0", editable)
    _write_dist(tmp_path, "new-name", "1.0", editable)
    monkeypatch.syspath_prepend(str(tmp_path))
    lines = env.requirements_txt(env.capture_environment()).splitlines()
    assert [line for line in lines if line.startswith("-e file:///src/project")] == [
        "-e file:///src/project  # editable install of new-name==1.0"
    ]


@needs_git
def test_editable_install_of_the_checkout_is_written_relative_to_its_root(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "sub").mkdir()
    site = tmp_path / "site"
    _write_dist(site, "whole", "1.0", {"url": repo.as_uri(), "dir_info": {"editable": True}})
    part = {"url": (repo / "sub").as_uri(), "dir_info": {"editable": True}}
    _write_dist(site, "part", "2.0", part)
    monkeypatch.syspath_prepend(str(site))
    snapshot = env.capture_environment(script_path=str(repo / "train.py"))
    lines = env.requirements_txt(snapshot).splitlines()
    assert f"-e .  # editable install of whole==1.0 from {repo}" in lines
    assert f"-e ./sub  # editable install of part==2.0 from {repo / 'sub'}" in lines


def test_archive_install_keeps_url_and_hash_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_dist(
        tmp_path,
        "fake-archive",
        "2.0",
        {
            "url": f"https://me:{URL_SECRET}@files.example.com/fake_archive-2.0.tar.gz",
            "archive_info": {"hash": "sha256=abc123"},
        },
    )
    _write_dist(
        tmp_path,
        "fake-local-wheel",
        "1.0",
        {"url": "file:///tmp/wheels/fake_local_wheel-1.0-py3-none-any.whl", "archive_info": {}},
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    snapshot = env.capture_environment()
    archive = _package(snapshot, "fake-archive")
    assert archive["requirement"] == (
        "fake-archive @ https://files.example.com/fake_archive-2.0.tar.gz#sha256=abc123"
    )
    local = _package(snapshot, "fake-local-wheel")
    assert local["requirement"] == (
        "fake-local-wheel @ file:///tmp/wheels/fake_local_wheel-1.0-py3-none-any.whl"
    )
    assert local["comment"] == "local install of fake-local-wheel==1.0"


# --- rendered files ------------------------------------------------------------------------------


def _fake_snapshot(python_version: str, pip: str | None) -> dict[str, Any]:
    pins = [("numpy", "1.26.4"), *([("pip", pip)] if pip else []), ("setuptools", "65.5.0")]
    packages = [
        {"name": name, "version": version, "requirement": f"{name}=={version}", "comment": None}
        for name, version in pins
    ]
    return {"python": {"version": python_version}, "packages": packages, "git": None}


def test_python_env_and_conda_yaml_match_mlflow_layout() -> None:
    snapshot = _fake_snapshot("3.11.7", "23.2.1")
    python_env = {
        "python": "3.11.7",
        "build_dependencies": ["pip==23.2.1", "setuptools==65.5.0", "wheel"],
        "dependencies": ["-r requirements.txt"],
    }
    # MLflow writes python_env.yaml with unsorted keys and conda.yaml with sorted keys.
    assert env.python_env_yaml(snapshot) == yaml.safe_dump(python_env, sort_keys=False)
    conda = {
        "channels": ["conda-forge"],
        "dependencies": ["python=3.11.7", "pip<=23.2.1", {"pip": ["-r requirements.txt"]}],
        "name": "mlflow-env",
    }
    assert env.conda_yaml(snapshot) == yaml.safe_dump(conda, sort_keys=True)


@pytest.mark.parametrize("version", ["3.10", "3.13.0rc1", "3.12.1+", "yes"])
def test_yaml_keeps_unusual_versions_as_strings(version: str) -> None:
    snapshot = _fake_snapshot(version, None)
    assert yaml.safe_load(env.python_env_yaml(snapshot))["python"] == version
    conda = yaml.safe_load(env.conda_yaml(snapshot))
    assert conda["dependencies"][:2] == [f"python={version}", "pip"]


def test_requirements_and_metadata_files() -> None:
    snapshot = _fake_snapshot("3.11.7", "23.2.1")
    snapshot.update(hostname="h", env={"OMP_NUM_THREADS": "2"})
    assert env.requirements_txt(snapshot) == "numpy==1.26.4\npip==23.2.1\nsetuptools==65.5.0\n"
    meta = json.loads(env.metadata_json(snapshot))
    assert "packages" not in meta
    assert meta["package_count"] == 3
    assert meta["env"] == {"OMP_NUM_THREADS": "2"}


def test_restamped_metadata_equals_a_fresh_rendering() -> None:
    snapshot = env.capture_environment()
    later = {**snapshot, "start_time": "2031-01-02T03:04:05.678Z"}
    text = env.restamp_metadata(env.metadata_json(snapshot), snapshot, later["start_time"])
    assert text == env.metadata_json(later)
    assert json.loads(text)["start_time"] == "2031-01-02T03:04:05.678Z"


def test_later_runs_of_a_process_get_their_own_start_time(client: Any) -> None:
    times = []
    for _ in range(2):
        with tracklib.start_run(capture_env=True) as run:
            pass
        folder = Path(local_path(run.info.artifact_uri))
        times.append(json.loads((folder / "environment" / "metadata.json").read_text()))
        time.sleep(0.002)  # the start time has millisecond resolution
    assert times[0]["start_time"] < times[1]["start_time"]
    assert {k: v for k, v in times[0].items() if k != "start_time"} == {
        k: v for k, v in times[1].items() if k != "start_time"
    }


def test_snapshot_is_json_serialisable_and_complete() -> None:
    snapshot = env.capture_environment()
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["python"]["version"].startswith(f"{sys.version_info[0]}.")
    assert snapshot["python"]["executable"] == sys.executable
    assert set(snapshot["platform"]) == {"system", "release", "machine", "platform"}
    assert snapshot["user"] and snapshot["hostname"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", snapshot["start_time"])


# --- module ---------------------------------------------------------------------------------------


def _run_python(code_or_module: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, *code_or_module],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_module_prints_the_snapshot_as_json(tmp_path: Path) -> None:
    done = _run_python(["-m", "tracklib.environment"], cwd=tmp_path)
    snapshot = json.loads(done.stdout)
    assert snapshot["cwd"] == str(tmp_path.resolve())
    assert {"python", "platform", "git", "env", "packages"} <= set(snapshot)


def test_module_output_cut_short_by_the_reader_is_not_an_error(tmp_path: Path) -> None:
    # `python -m tracklib.environment | head`: the reader is gone before the write.
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracklib.environment"], cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert err == ""


def test_importing_the_module_does_not_import_yaml(tmp_path: Path) -> None:
    code = "import sys, tracklib.environment; print('yaml' in sys.modules)"
    assert _run_python(["-c", code], cwd=tmp_path).stdout.strip() == "False"


@needs_git
def test_capture_does_not_write_to_the_repository(repo: Path) -> None:
    index = repo / ".git" / "index"
    before = index.read_bytes()
    # Same content, new mtime: a plain `git status` would refresh and rewrite the index.
    (repo / "train.py").write_text("print('hello')\n")
    os.utime(repo / "train.py", ns=(time.time_ns() + 10**10,) * 2)
    env.capture_environment(script_path=str(repo / "train.py"))
    assert env.git_diff(str(repo)) is None
    assert index.read_bytes() == before
