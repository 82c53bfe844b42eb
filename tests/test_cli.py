"""The ``tracklib`` command line: ``--version`` in-process, as a console script and with -m."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tracklib import cli

# The distribution is tracklib-ml (the name "tracklib" on PyPI is another project).
VERSION = importlib.metadata.version(importlib.metadata.packages_distributions()["tracklib"][0])


def test_main_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"tracklib {VERSION}"


def test_main_rejects_unknown_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--no-such-option"])
    assert info.value.code == 2
    assert "usage: tracklib" in capsys.readouterr().err


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLIB_"))}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def _console_script() -> str:
    # The script pip installed next to this interpreter; PATH may point elsewhere.
    candidate = Path(sys.executable).parent / "tracklib"
    found = str(candidate) if candidate.is_file() else shutil.which("tracklib")
    if found is None:
        pytest.fail("the `tracklib` console script is not installed (pip install -e .)")
    return found


def test_console_script_version(tmp_path: Path) -> None:
    result = _run([_console_script(), "--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tracklib {VERSION}"
    assert list(tmp_path.iterdir()) == []


def test_python_m_version(tmp_path: Path) -> None:
    result = _run([sys.executable, "-m", "tracklib", "--version"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"tracklib {VERSION}"
    assert list(tmp_path.iterdir()) == []
