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
    """Map normalised distribution names to their requirement lines, comments dropped.

    An editable install (``-e <url or path>``) takes its name from the comment tracklib writes
    after it (``# editable install of name==version``).
    """
    found = {}
    for raw in text.splitlines():
        line, _, comment = raw.partition(" #")  # pip: whitespace, then # starts a comment
        line = line.strip()
        if line.startswith("-e "):
            name = _pin(comment).partition("==")[0]
        elif line and not line.startswith(("#", "-")):
            name = line.split("@", 1)[0].split("==", 1)[0].split("[", 1)[0].strip()
        else:
            continue
        if name:
            found[normalize(name)] = line
    return found


def _pin(comment: str) -> str:
    # "editable install of name==1.0 from /path" -> "name==1.0"
    words = comment.split()
    return words[words.index("of") + 1] if "of" in words[:-1] else ""


def _version(line: str) -> str:
    return line.split("==", 1)[1] if "==" in line and " " not in line else line


def summary_json(env: RunEnvironment) -> dict[str, Any]:
    """The run's recorded environment as data: its metadata plus the requirement lines."""
    data = {key: value for key, value in env.metadata.items() if key != "package_count"}
    return {
        "run_id": env.run.info.run_id,
        "run_name": env.run.info.run_name,
        **data,
        "git_diff_recorded": env.has_diff,
        "packages": [env.requirements[name] for name in sorted(env.requirements)],
    }


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
        branch = f"on {git['branch']}" if git.get("branch") else "(detached HEAD)"
        lines.append(f"git:       {git.get('commit')} {branch}, {dirty}")
        if git.get("remote_url"):
            lines.append(f"remote:    {git['remote_url']}")
    else:
        lines.append("git:       not a git checkout")
    return "\n".join(lines)


_COMPARED = (("python", ("python", "version")), ("git commit", ("git", "commit")),
             ("git dirty", ("git", "dirty")))  # fmt: skip


def diff_json(a: RunEnvironment, b: RunEnvironment) -> dict[str, Any]:
    """What differs between two runs' environments, as data (empty lists/dict when equal).

    ``packages`` holds ``added``/``removed`` requirement lines and ``changed`` entries (name,
    ``from`` and ``to`` lines); ``changed`` maps ``python``, ``git commit`` and ``git dirty``
    to their ``from``/``to`` values (null where a run has none: no git checkout).
    """
    ra, rb = a.requirements, b.requirements
    changed = sorted(n for n in set(ra) & set(rb) if ra[n] != rb[n])
    fields = {}
    for label, path in _COMPARED:
        old, new = _dig(a.metadata, path), _dig(b.metadata, path)
        if old != new:
            fields[label] = {"from": old, "to": new}
    return {
        "run_a": a.run.info.run_id,
        "run_b": b.run.info.run_id,
        "packages": {
            "added": [rb[n] for n in sorted(set(rb) - set(ra))],
            "removed": [ra[n] for n in sorted(set(ra) - set(rb))],
            "changed": [{"name": n, "from": ra[n], "to": rb[n]} for n in changed],
        },
        "changed": fields,
    }


def diff(a: RunEnvironment, b: RunEnvironment) -> list[str]:
    """What differs between two runs' environments, one line each; nothing when equal."""
    data = diff_json(a, b)
    packages = data["packages"]
    lines = [f"+ {line}" for line in packages["added"]]
    lines += [f"- {line}" for line in packages["removed"]]
    for item in packages["changed"]:
        old, new = _version(item["from"]), _version(item["to"])
        lines.append(f"~ {item['name']}: {old} -> {new}")
    for label, change in data["changed"].items():
        lines.append(f"{label}: {_shown(label, change['from'])} -> {_shown(label, change['to'])}")
    return lines


def _shown(label: str, value: Any) -> str:
    if value is None:  # the run recorded no such value: say why instead of printing None
        return "(not a git checkout)" if label.startswith("git") else "(not recorded)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _dig(data: dict[str, Any], path: tuple[str, str]) -> Any:
    inner = data.get(path[0])
    return inner.get(path[1]) if isinstance(inner, dict) else None
