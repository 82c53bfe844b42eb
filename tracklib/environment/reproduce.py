"""``tracklib reproduce``: shell steps that run a recorded run again, printed, never executed.

The steps are meant to be pasted into a POSIX shell as they are: each one works from where the
previous one left off. With a git checkout recorded, they clone it into ``./reproduce`` (from its
remote, else from the local repository: the original working tree is never touched), check out
the commit, apply the uncommitted diff, build a venv inside the clone and install
``requirements.txt`` from the clone's root, where an editable install of the checkout itself
(``-e .``) resolves to the checked-out code; then they go to the recorded working directory
inside the clone and run the recorded command with the script's path made relative to it.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

from tracklib.environment.report import RunEnvironment

CLONE_DIR = "reproduce"


def steps(env: RunEnvironment) -> list[str]:
    """Returns the shell lines (``#`` lines are comments) that run ``env``'s run again.

    Args:
        env: From :func:`tracklib.environment.report.load`.
    """
    meta = env.metadata
    git = meta.get("git") or {}
    version = str((meta.get("python") or {}).get("version", "3"))
    python = "python" + ".".join(version.split(".")[:2])
    requirements = shlex.quote(os.path.join(env.folder, "requirements.txt"))
    lines = [f"# Reproduce run {env.run.info.run_id} ({env.run.info.run_name})"]
    root = git.get("root") if git.get("commit") else None
    if root:
        source = git.get("remote_url") or root
        lines.append(f"git clone {shlex.quote(source)} {CLONE_DIR} && cd {CLONE_DIR}")
        lines.append(f"git checkout {shlex.quote(git['commit'])}")
        if env.has_diff:
            lines.append(f"git apply {shlex.quote(os.path.join(env.folder, 'git.diff'))}")
        venv = ".venv"
    else:
        lines.append("# No git checkout was recorded: this runs the script as it is now.")
        venv = f"{CLONE_DIR}-venv"
    lines.append(f"{python} -m venv {venv} && . {venv}/bin/activate")
    lines.append(f"pip install -r {requirements}")
    lines += _command(meta, root)
    return lines


def _command(meta: dict[str, Any], root: str | None) -> list[str]:
    """The ``cd`` into the recorded working directory and the recorded command line."""
    cwd = meta.get("cwd") or ""
    argv = list(meta.get("argv") or [])
    if not argv or argv[0] in ("", "-c"):
        return ["# The run was started with `python -c` or interactively: no script to run."]
    script = os.path.normpath(os.path.join(cwd, argv[0]))
    inside = root is not None and _within(cwd, root)
    if root is None or not _within(script, root):
        # Outside the clone: the original files, where they are now.
        return [f"cd {shlex.quote(cwd)}", "python " + shlex.join([script, *argv[1:]])]
    lines = []
    where = cwd if inside else root
    relative = os.path.relpath(where, root)
    if not inside:
        lines.append(f"# The run was started from {cwd}, outside the checkout; run from its root.")
    if relative != ".":
        lines.append(f"cd {shlex.quote(relative)}")
    lines.append("python " + shlex.join([os.path.relpath(script, where), *argv[1:]]))
    return lines


def _within(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives, or a relative path
        return False
