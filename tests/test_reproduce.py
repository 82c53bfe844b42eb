"""`tracklib reproduce`: the printed steps, followed as printed, run the run again.

The main test pastes the steps into ``bash -e`` in an empty folder, with one change: the venv is
made with ``--system-site-packages``. So the ~180 pinned distributions of this interpreter are
found already installed (pip still checks every pin against them) instead of downloaded, which
keeps the test fast and independent of the index for those. Everything the bug was about is
done for real: the checkout is cloned from its remote, the recorded commit checked out and the
uncommitted diff applied; pip builds and installs the two editable installs the run had (the
project itself, recorded as ``-e .`` and so installed from the clone, and tracklib, recorded as
its folder, not as the unrelated ``tracklib`` on PyPI; a copy of this checkout, so that pip's
build writes nothing into the checkout under test) into the venv; the script runs from where
the steps leave it, after no wrong ``cd``. The test then checks that the script imported both
from where the steps installed them, saw the uncommitted change, and logged its run.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import tracklib
from tracklib.cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
PYTHON = f"python{sys.version_info.major}.{sys.version_info.minor}"
needs_tools = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("bash") is None or shutil.which(PYTHON) is None,
    reason=f"needs git, bash and {PYTHON} on PATH",
)
PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "demo-proj"
version = "0.1"

[tool.setuptools.packages.find]
where = ["src"]
"""
TRAIN = """import json
import sys

import demo
import tracklib

with tracklib.start_run() as run:
    tracklib.log_param("lr", demo.LR)
    tracklib.log_param("argv", " ".join(sys.argv[1:]))
print(json.dumps({"demo": demo.__file__, "tracklib": tracklib.__file__, "run_id": run.info.run_id}))
"""


def _git(cwd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args]
    return subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, text=True).stdout


def _editable_record(site: Path, name: str, version: str, folder: Path) -> None:
    """The dist-info ``pip install -e folder`` writes, as far as the snapshot reads it."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n")
    direct = {"url": folder.as_uri(), "dir_info": {"editable": True}}
    (info / "direct_url.json").write_text(json.dumps(direct))


_PYCACHE = shutil.ignore_patterns("__pycache__", "*.egg-info")


def _clean_env() -> dict[str, str]:
    drop = ("TRACKLIB_", "MLFLOW_", "PYTHONPATH", "VIRTUAL_ENV", "PIP_")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, str]:
    """A run of project/src/train.py, started from the folder above the checkout (so its
    relative path would be wrong after a `cd`), with an uncommitted change the script needs."""
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "-q", "--bare", str(origin))
    project = tmp_path / "project"
    (project / "src" / "demo").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "src" / "demo" / "__init__.py").write_text('LR = "committed"\n')
    (project / "src" / "train.py").write_text(TRAIN)
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "-A")
    _git(project, "commit", "-q", "-m", "first")
    _git(project, "remote", "add", "origin", str(origin))
    _git(project, "push", "-q", "origin", "main")
    (project / "src" / "demo" / "__init__.py").write_text('LR = "uncommitted"\n')
    # tracklib from a copy of this checkout (pip builds it, which writes an egg-info into the
    # folder: not into the checkout under test), and the project, both as editable installs:
    # their records go first on the path, shadowing any other record of tracklib's names.
    source = tmp_path / "tracklib-source"
    shutil.copytree(REPO_ROOT / "tracklib", source / "tracklib", ignore=_PYCACHE)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, source / name)
    site = tmp_path / "site"
    for name in set(importlib.metadata.packages_distributions()["tracklib"]):
        _editable_record(site, name, tracklib.__version__, source)
    _editable_record(site, "demo-proj", "0.1", project)
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(source), str(project / "src")])
    env["TRACKLIB_TRACKING_URI"] = str(tmp_path / "mlruns")
    cmd = [sys.executable, "project/src/train.py", "--epochs", "1"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    return tmp_path / "mlruns", json.loads(done.stdout.strip().splitlines()[-1])["run_id"]


@needs_tools
@pytest.mark.timeout(600)
def test_the_printed_steps_run_the_run_again_in_a_fresh_venv(
    recorded: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store, run_id = recorded
    assert main(["reproduce", run_id, "--tracking-uri", str(store)]) == 0
    steps = capsys.readouterr().out
    venv_step = f"{PYTHON} -m venv .venv"
    assert steps.count(venv_step) == 1
    requirements = tracklib.Client(str(store)).download_artifacts(
        run_id, "environment/requirements.txt"
    )
    lines = Path(requirements).read_text().splitlines()
    source = tmp_path / "tracklib-source"
    # tracklib only as the folder it was imported from: no pin, no other install of it.
    requirement_parts = [line.partition("  #")[0] for line in lines]
    assert [part for part in requirement_parts if "tracklib" in part] == [f"-e {source.as_uri()}"]
    assert f"-e .  # editable install of demo-proj==0.1 from {tmp_path / 'project'}" in lines
    script = steps.replace(venv_step, f"{PYTHON} -m venv --system-site-packages .venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**_clean_env(), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run(
        ["bash", "-e", "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True,
        timeout=540, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    clone = elsewhere / "reproduce"
    assert Path(result["demo"]).resolve() == (clone / "src" / "demo" / "__init__.py").resolve()
    assert Path(result["tracklib"]).resolve() == (source / "tracklib" / "__init__.py").resolve()
    rerun = tracklib.Client(str(clone / "mlruns")).get_run(result["run_id"])
    assert rerun.data.params == {"lr": "uncommitted", "argv": "--epochs 1"}
