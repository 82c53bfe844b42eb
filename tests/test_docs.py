"""The docs' Python snippets run as written (each in a fresh process and folder).

A snippet that cannot run on its own (it calls the reader's ``train()``, or needs a server)
is preceded in the Markdown by ``<!-- doctest: skip (why) -->``; one that reads what an
example logs by ``<!-- doctest: after examples/NAME.py -->`` (the example runs first, in the
same folder). Everything else runs.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow_helpers import subprocess_env

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"(?:<!-- doctest: (skip|after \S+)[^>]*-->\s*\n\s*)?```python\n(.*?)```", re.S)


def _snippets() -> list[tuple[str, str, str | None]]:
    """(where, code, example to run first) of every snippet not marked skip."""
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for number, match in enumerate(_BLOCK.finditer(text), start=1):
            marker, code = match.group(1), match.group(2)
            if marker != "skip":
                setup = marker.split()[1] if marker else None
                found.append((f"{path.relative_to(ROOT)}#{number}", code, setup))
    return found


def test_the_docs_have_snippets_to_run() -> None:
    assert len(_snippets()) >= 5  # a broken pattern would silently test nothing


@pytest.mark.parametrize(("where", "code", "setup"), _snippets(), ids=[s[0] for s in _snippets()])
def test_snippet_runs(where: str, code: str, setup: str | None, tmp_path: Path) -> None:
    env = subprocess_env(TRACKLIB_CAPTURE_ENV="0")
    commands = [[sys.executable, str(ROOT / setup)]] if setup else []
    for command in [*commands, [sys.executable, "-c", code]]:
        done = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300
        )
        assert done.returncode == 0, f"{where} failed at {command[1]}:\n{done.stderr}"
