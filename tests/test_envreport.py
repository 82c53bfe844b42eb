"""The environment snapshot stored with runs, and `tracklib env` / `env diff` / `reproduce`.

Each run is logged by a separate Python process (as a real training script would be), in a
throwaway git repository with a planted secret and a credential in the remote URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tracklib
from tracklib.cli import main

SECRET = "planted-secret-7f3a9"
TOKEN = "tok-4b1e8c"
SCRIPT = """
import sys, tracklib
with tracklib.start_run() as run:
    tracklib.log_param("lr", sys.argv[-1])
print(run.info.run_id)
"""


def _git(repo: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args]
    return subprocess.run(cmd, cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    _git(path, "remote", "add", "origin", f"https://alice:{TOKEN}@example.com/org/project.git")
    (path / "train.py").write_text(SCRIPT)
    _git(path, "add", "train.py")
    _git(path, "commit", "-q", "-m", "first")
    return path


def _fake_dist(folder: Path, name: str, version: str) -> None:
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")


def _run(repo: Path, store: Path, extra_path: Path | None = None, capture: str = "1") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLIB_", "MLFLOW_"))}
    env.update(TRACKLIB_TRACKING_URI=str(store), TRACKLIB_CAPTURE_ENV=capture)
    env["MY_SERVICE_TOKEN"] = SECRET
    env["CUDA_VISIBLE_DEVICES"] = "3"
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    cmd = [sys.executable, "train.py", "--lr", "0.1"]
    done = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_every_run_records_its_environment_without_secrets(repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "mlruns"
    (repo / "train.py").write_text(SCRIPT + "# uncommitted change\n")
    run_id = _run(repo, store)
    client = tracklib.Client(str(store))
    names = {f.path for f in client.list_artifacts(run_id, "environment")}
    assert names == {
        f"environment/{n}"
        for n in ("requirements.txt", "python_env.yaml", "conda.yaml", "metadata.json", "git.diff")
    }
    folder = Path(client.download_artifacts(run_id, "environment"))
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["git"]["commit"] == _git(repo, "rev-parse", "HEAD").strip()
    assert metadata["git"]["dirty"] is True
    assert metadata["env"]["CUDA_VISIBLE_DEVICES"] == "3"
    assert "# uncommitted change" in (folder / "git.diff").read_text()
    tags = client.get_run(run_id).data.tags
    assert tags["mlflow.source.git.commit"] == metadata["git"]["commit"]
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "https://example.com/org/project.git"
    for path in store.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data, path
            assert TOKEN.encode() not in data, path


def test_opting_out_records_nothing(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "mlruns"
    run_id = _run(repo, store, capture="0")
    client = tracklib.Client(str(store))
    assert client.list_artifacts(run_id) == []
    assert "mlflow.source.git.commit" not in client.get_run(run_id).data.tags
    assert main(["env", run_id, "--tracking-uri", str(store)]) == 1
    assert "capture_env=False" in capsys.readouterr().err


def test_env_summary(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "mlruns"
    run_id = _run(repo, store)
    assert main(["env", run_id, "--tracking-uri", str(store)]) == 0
    out = capsys.readouterr().out
    commit = _git(repo, "rev-parse", "HEAD").strip()
    assert f"{commit} on main, clean" in out
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in out
    requirements = Path(tracklib.Client(str(store)).download_artifacts(run_id, "environment"))
    count = sum(
        1
        for line in (requirements / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert f"packages:  {count}" in out


def test_env_diff_shows_only_what_differs(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "mlruns"
    old, new = tmp_path / "old", tmp_path / "new"
    _fake_dist(old, "fakepkg", "1.0")
    _fake_dist(old, "gonepkg", "0.3")
    _fake_dist(new, "fakepkg", "2.0")
    _fake_dist(new, "newpkg", "5.1")
    run_a = _run(repo, store, old)
    (repo / "README").write_text("x")
    _git(repo, "add", "README")
    _git(repo, "commit", "-q", "-m", "second")
    run_b = _run(repo, store, new)
    assert main(["env", "diff", run_a, run_b, "--tracking-uri", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    commits = _git(repo, "log", "--format=%H").split()
    assert sorted(lines) == sorted(
        [
            "+ newpkg==5.1",
            "- gonepkg==0.3",
            "~ fakepkg: 1.0 -> 2.0",
            f"git commit: {commits[1]} -> {commits[0]}",
        ]
    )
    assert main(["env", "diff", run_a, run_a, "--tracking-uri", str(store)]) == 0
    assert capsys.readouterr().out == ""


def test_reproduce_prints_the_steps(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "mlruns"
    (repo / "train.py").write_text(SCRIPT + "# local edit\n")
    run_id = _run(repo, store)
    assert main(["reproduce", run_id, "--tracking-uri", str(store)]) == 0
    out = capsys.readouterr().out
    commit = _git(repo, "rev-parse", "HEAD").strip()
    env_dir = tracklib.Client(str(store)).download_artifacts(run_id, "environment")
    py = f"python{sys.version_info.major}.{sys.version_info.minor}"
    expected_in_order = [
        "git clone https://example.com/org/project.git reproduce && cd reproduce",
        f"git checkout {commit}",
        f"git apply {os.path.join(env_dir, 'git.diff')}",
        f"{py} -m venv .venv",
        f"pip install -r {os.path.join(env_dir, 'requirements.txt')}",
        "python train.py --lr 0.1",
    ]
    positions = [out.index(step) for step in expected_in_order]
    assert positions == sorted(positions)
    assert TOKEN not in out


def test_unknown_run_and_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "mlruns")
    assert main(["env", "0" * 32, "--tracking-uri", store]) == 1
    assert main(["env", "diff", "only-one", "--tracking-uri", store]) == 2
    assert "usage" in capsys.readouterr().err


def test_env_verbs_take_json(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "mlruns"
    extra, empty = tmp_path / "extra", tmp_path / "empty"
    _fake_dist(extra, "jsonpkg", "1.5")
    empty.mkdir()
    run_a = _run(repo, store, empty)
    run_b = _run(repo, store, extra)
    uri = ["--tracking-uri", str(store)]
    assert main(["env", run_a, "--json", *uri]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["run_id"] == run_a
    assert summary["git"]["commit"] == _git(repo, "rev-parse", "HEAD").strip()
    assert summary["python"]["version"].startswith(f"{sys.version_info.major}.")
    assert summary["git_diff_recorded"] is False
    assert "jsonpkg==1.5" not in summary["packages"]
    assert main(["env", "diff", run_a, run_b, "--json", *uri]) == 0
    difference = json.loads(capsys.readouterr().out)
    assert difference["run_a"] == run_a and difference["run_b"] == run_b
    assert difference["packages"] == {"added": ["jsonpkg==1.5"], "removed": [], "changed": []}
    assert difference["changed"] == {}
    assert main(["reproduce", run_a, *uri]) == 0
    text = capsys.readouterr().out
    assert main(["reproduce", run_a, "--json", *uri]) == 0
    steps = json.loads(capsys.readouterr().out)
    assert steps["run_id"] == run_a
    assert steps["steps"] == text.splitlines()


def test_env_diff_of_a_run_made_outside_git_says_so(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "mlruns"
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "train.py").write_text(SCRIPT)
    in_git, outside = _run(repo, store), _run(plain, store)
    assert main(["env", "diff", in_git, outside, "--tracking-uri", str(store)]) == 0
    out = capsys.readouterr().out
    assert "None" not in out
    commit = _git(repo, "rev-parse", "HEAD").strip()
    assert f"git commit: {commit} -> (not a git checkout)" in out.splitlines()
    assert main(["env", "diff", in_git, outside, "--json", "--tracking-uri", str(store)]) == 0
    changed = json.loads(capsys.readouterr().out)["changed"]
    assert changed["git commit"] == {"from": commit, "to": None}


def test_reproduce_runs_the_script_from_the_recorded_folder_of_the_clone(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "mlruns"
    (repo / "configs").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKLIB_", "MLFLOW_"))}
    env["TRACKLIB_TRACKING_URI"] = str(store)
    cmd = [sys.executable, "../train.py", "--lr", "0.3"]  # started from a subfolder
    done = subprocess.run(
        cmd, cwd=repo / "configs", env=env, capture_output=True, text=True, check=True
    )
    run_id = done.stdout.strip().splitlines()[-1]
    assert main(["reproduce", run_id, "--tracking-uri", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == ["cd configs", "python ../train.py --lr 0.3"]
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "train.py").write_text(SCRIPT)
    run_id = _run(plain, store)
    assert main(["reproduce", run_id, "--tracking-uri", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "git clone" not in "\n".join(lines)
    assert lines[-2:] == [f"cd {plain}", f"python {plain / 'train.py'} --lr 0.1"]
