"""The project's own rules, checked by the suite: import layers, lint, format and types.

Each runs the real tool over the tree, so CI fails on a back-reference between packages, a
lint or format slip, or a type error (configured in pyproject.toml).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["tracklib", "tests", "benchmarks", "examples"]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]'")
    return found


def test_import_layers_hold() -> None:
    result = _run(_tool("lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check_is_clean() -> None:
    result = _run(_tool("ruff"), "check", *SOURCES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(_tool("ruff"), "format", "--check", *SOURCES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = _run(sys.executable, "-m", "mypy", "--strict")  # files: tracklib and tests
    assert result.returncode == 0, result.stdout + result.stderr
    for conftest in sorted(ROOT.glob("tests/*/conftest.py")):  # one "conftest" module a run
        result = _run(sys.executable, "-m", "mypy", "--strict", str(conftest.relative_to(ROOT)))
        assert result.returncode == 0, result.stdout + result.stderr
