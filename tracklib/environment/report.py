"""Reading a run's recorded environment back: summary, diff of two runs, steps to reproduce.

Works from the files :mod:`tracklib.environment` stored under the run's ``environment/``
artifacts, through a :class:`~tracklib.tracking.client.Client`, so it serves any store.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracklib.entities import Run
from tracklib.environment.packages import normalize
from tracklib.errors import NotFoundError

if TYPE_CHECKING:  # the caller hands in a Client; this layer sits below tracking
    from tracklib.tracking.client import Client

ENV_FOLDER = "environment"


@dataclass(frozen=True)
class RunEnvironment:
    """The environment files of one run, parsed."""

    run: Run
    folder: str  # local folder holding the run's environment/ files
    metadata: dict[str, Any]
    requirements: dict[str, str]  # normalised name -> requirement line

    @property
    def has_diff(self) -> bool:
        """Whether a ``git.diff`` was recorded (the checkout was dirty)."""
        return os.path.isfile(os.path.join(self.folder, "git.diff"))


def load(client: Client, run_id: str) -> RunEnvironment:
    """Fetch and parse a run's environment files.

    Raises:
        NotFoundError: The run does not exist or recorded no environment (it was started with
            capture_env=False or TRACKLIB_CAPTURE_ENV=0).
    """
    run = client.get_run(run_id)
    try:
        folder = client.download_artifacts(run.info.run_id, ENV_FOLDER)
        if not os.path.isdir(folder):  # a remote store hands out copies
            folder = client.download_artifacts(run.info.run_id, ENV_FOLDER, tempfile.mkdtemp())
        with open(os.path.join(folder, "metadata.json"), encoding="utf-8") as f:
            metadata = json.load(f)
        with open(os.path.join(folder, "requirements.txt"), encoding="utf-8") as f:
            requirements = parse_requirements(f.read())
    except (NotFoundError, FileNotFoundError):
        raise NotFoundError(
            f"Run {run.info.run_id} has no recorded environment (no environment/ artifacts): "
            "it was started with capture_env=False or TRACKLIB_CAPTURE_ENV=0."
        ) from None
    return RunEnvironment(run, folder, metadata, requirements)


def parse_requirements(text: str) -> dict[str, str]:
    """Map normalised distribution names to their requirement lines (comments skipped)."""
    found = {}
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        name = line.split("@", 1)[0].split("==", 1)[0].split("[", 1)[0].strip()
        found[normalize(name)] = line
    return found


def _version(line: str) -> str:
    return line.split("==", 1)[1] if "==" in line else line.split("@", 1)[-1].strip()


def summary(env: RunEnvironment) -> str:
    """A few readable lines: Python, platform, git state, package count."""
    meta = env.metadata
    py = meta.get("python") or {}
    host = meta.get("platform") or {}
    git = meta.get("git")
    lines = [
        f"run:       {env.run.info.run_id} ({env.run.info.run_name})",
        f"python:    {py.get('version')} ({py.get('implementation')}) {py.get('executable')}",
        f"platform:  {host.get('platform')} on {meta.get('hostname')}",
        f"command:   {shlex.join(meta.get('argv') or [])}   (in {meta.get('cwd')})",
        f"packages:  {len(env.requirements)}",
    ]
    if git:
        dirty = "dirty (git.diff recorded)" if git.get("dirty") else "clean"
        lines.append(f"git:       {git.get('commit')} on {git.get('branch')}, {dirty}")
        if git.get("remote_url"):
            lines.append(f"remote:    {git['remote_url']}")
    else:
        lines.append("git:       not a git checkout")
    return "\n".join(lines)


def diff(a: RunEnvironment, b: RunEnvironment) -> list[str]:
    """What differs between two runs' environments; nothing for what is equal."""
    lines = []
    added = sorted(set(b.requirements) - set(a.requirements))
    removed = sorted(set(a.requirements) - set(b.requirements))
    changed = sorted(
        n
        for n in set(a.requirements) & set(b.requirements)
        if a.requirements[n] != b.requirements[n]
    )
    lines += [f"+ {b.requirements[n]}" for n in added]
    lines += [f"- {a.requirements[n]}" for n in removed]
    lines += [
        f"~ {n}: {_version(a.requirements[n])} -> {_version(b.requirements[n])}" for n in changed
    ]
    for label, path in (
        ("python", ("python", "version")),
        ("git commit", ("git", "commit")),
        ("git dirty", ("git", "dirty")),
    ):
        old, new = _dig(a.metadata, path), _dig(b.metadata, path)
        if old != new:
            lines.append(f"{label}: {old} -> {new}")
    return lines


def _dig(data: dict[str, Any], path: tuple[str, str]) -> Any:
    inner = data.get(path[0])
    return inner.get(path[1]) if isinstance(inner, dict) else None


def reproduce_steps(env: RunEnvironment) -> str:
    """Shell steps that would run the run again (printed, never executed)."""
    meta = env.metadata
    git = meta.get("git") or {}
    version = str((meta.get("python") or {}).get("version", "3"))
    python = "python" + ".".join(version.split(".")[:2])
    req = shlex.quote(os.path.join(env.folder, "requirements.txt"))
    steps = [f"# Reproduce run {env.run.info.run_id} ({env.run.info.run_name})"]
    if git.get("commit"):
        if git.get("remote_url"):
            steps.append(f"git clone {shlex.quote(git['remote_url'])} reproduce && cd reproduce")
        else:
            steps.append(f"cd {shlex.quote(git.get('root') or '.')}")
        steps.append(f"git checkout {git['commit']}")
        if env.has_diff:
            steps.append(f"git apply {shlex.quote(os.path.join(env.folder, 'git.diff'))}")
    steps.append(f"{python} -m venv .venv && . .venv/bin/activate")
    steps.append(f"pip install -r {req}")
    cwd = meta.get("cwd") or "."
    if git.get("root") and os.path.commonpath([cwd, git["root"]]) == git["root"]:
        relative = os.path.relpath(cwd, git["root"])
        if relative != ".":
            steps.append(f"cd {shlex.quote(relative)}")
    elif not git.get("commit"):
        steps.append(f"cd {shlex.quote(cwd)}")
    steps.append("python " + shlex.join(meta.get("argv") or []))
    return "\n".join(steps)
