"""The environment snapshot: what ran, where, with which packages and which code.

Pure functions returning plain data; nothing here writes. :func:`capture_environment` takes the
snapshot, :func:`snapshot_files` renders the files of a run's ``environment/`` artifact folder and
:func:`git_tags` gives MLflow's ``mlflow.source.git.*`` tags. ``python -m tracklib.environment``
prints the snapshot as JSON.

Environment variables: only those named in :data:`ENV_ALLOWLIST` are recorded, and only when set.
It is an allow-list on purpose: a deny-list of secret-looking names (``*_TOKEN``, ``AWS_*``, ...)
always misses one, while the variables that explain a training run are few and well known:
accelerator selection and CUDA/NCCL switches (``CUDA_VISIBLE_DEVICES``, ``CUBLAS_WORKSPACE_CONFIG``,
...), thread pools (``OMP_NUM_THREADS``, ...), framework switches (``XLA_FLAGS``,
``PYTORCH_CUDA_ALLOC_CONF``, ...), ``PYTHONHASHSEED``, scheduler and launcher ids and sizes
(``SLURM_JOB_ID``, ``PBS_JOBID``, ``WORLD_SIZE``, ``RANK``, ...), and the interpreter environment
and locale (``VIRTUAL_ENV``, ``CONDA_PREFIX``, ``PYTHONPATH``, ``LANG``, ``TZ``). No listed name
contains TOKEN, KEY, SECRET, PASSW, CREDENTIAL or AUTH, even where the variable would be harmless
(the tests check this). No other variable's value is ever recorded. URLs (git remotes, PEP 610
install URLs) lose their user-info and credential-like query parameters before they are recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from tracklib.environment import cache
from tracklib.environment.packages import (
    installed_packages,
    local_path_of,
    normalize,
    strip_credentials,
)

ENV_ALLOWLIST: tuple[str, ...] = (
    "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER", "CUDA_HOME", "CUDA_LAUNCH_BLOCKING", "CUBLAS_WORKSPACE_CONFIG",
    "TORCH_CUDNN_V8_API_ENABLED", "PYTORCH_CUDA_ALLOC_CONF", "NCCL_DEBUG", "NCCL_P2P_DISABLE",
    "NCCL_IB_DISABLE", "NCCL_SOCKET_IFNAME",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "TF_FORCE_GPU_ALLOW_GROWTH", "XLA_FLAGS",
    "XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION", "JAX_PLATFORMS",
    "KERAS_BACKEND", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "PYTHONHASHSEED",
    "SLURM_JOB_ID", "SLURM_JOB_NAME", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_NNODES",
    "SLURM_NTASKS", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_CPUS_PER_TASK", "SLURM_GPUS",
    "SLURM_JOB_PARTITION", "PBS_JOBID", "LSB_JOBID", "WORLD_SIZE", "RANK", "LOCAL_RANK",
    "LOCAL_WORLD_SIZE", "NODE_RANK", "MASTER_PORT",
    "VIRTUAL_ENV", "CONDA_DEFAULT_ENV", "CONDA_PREFIX", "PYTHONPATH", "LANG", "LC_ALL", "TZ",
)  # fmt: skip

GIT_TIMEOUT_S = 2.0
"""Deadline for the git probes of :func:`capture_environment`: a slow repo must not stall a run."""

_DIFF_TIMEOUT_S = 10.0
_GIT_PROBES = (
    ("rev-parse", "--show-toplevel", "HEAD", "--abbrev-ref", "HEAD"),
    ("status", "--porcelain", "--untracked-files=no"),
    ("config", "--get-regexp", r"^remote\..*\.url$"),
)
# yaml.safe_dump's output by its input: each file is rendered once per process, and (through the
# snapshot cache) once per installed set of packages, so most processes never import PyYAML.
_yaml_texts: dict[str, str] = {}


def utc_now() -> str:
    """Return the current time as ISO-8601 UTC with milliseconds (``...T18:46:27.120Z``)."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def capture_environment(script_path: str | None = None) -> dict[str, Any]:
    """Take a snapshot of the interpreter, host, git checkout, allowed env vars and packages.

    The interpreter, platform and packages part comes from a cache shared by the processes of
    this interpreter while the installed packages stay the same (see
    :mod:`tracklib.environment.cache`); the snapshot is the same with or without it.

    Args:
        script_path: The training script; git is looked up from its directory. Defaults to
            ``sys.argv[0]`` (the current directory when that is not a path, e.g. ``-c``).

    Returns:
        A JSON-serialisable dict: ``python``, ``platform``, ``hostname``, ``user``, ``argv``,
        ``cwd``, ``start_time``, ``git`` (None outside a checkout or before its first commit,
        without git, or when git is too slow), ``env`` and ``packages`` (as
        :func:`installed_packages`).
    """
    start_time = utc_now()
    git_dir = _script_dir(sys.argv[0] if script_path is None and sys.argv else script_path)
    # git runs in the background while the packages are scanned: the two are independent.
    probes = _spawn_git_probes(git_dir) if git_dir and _maybe_in_git(git_dir) else []
    try:
        host = _host()
    finally:
        git = _read_git_probes(probes)  # also reaps the children if the scan failed
    return {
        "python": host["python"],
        "platform": host["platform"],
        "hostname": _hostname(),
        "user": _user(),
        "argv": list(sys.argv),
        "cwd": _cwd(),
        "start_time": start_time,
        "git": git,
        "env": {name: os.environ[name] for name in ENV_ALLOWLIST if name in os.environ},
        "packages": host["packages"],
    }


def _host() -> dict[str, Any]:
    """The interpreter, platform and packages, from the snapshot cache when it still holds."""
    stamp = cache.current_stamp()
    cached = cache.load(stamp) if stamp is not None else None
    if cached is not None and _valid_host(cached):
        _yaml_texts.update(cached["yaml"])
        return cached
    stamped = cache.listings(stamp) if stamp is not None else None  # before the scan
    host = _scan_host()
    python_env_yaml(host)  # rendered now, so that the cache keeps the texts
    conda_yaml(host)
    if stamped is not None:
        cache.store(stamped, {**host, "yaml": _yaml_texts})
    return host


def _scan_host() -> dict[str, Any]:
    import platform

    return {
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "platform": platform.platform(),  # runs `uname -p` once: one reason for the cache
        },
        "packages": installed_packages(),
    }


def _valid_host(value: dict[str, Any]) -> bool:
    """Whether a cached value has the shape :func:`_scan_host` gives (a corrupt file does not)."""
    try:
        texts = [*value["python"].values(), *value["platform"].values(), *value["yaml"].values()]
        fields = [(p["name"], p["version"], p["requirement"]) for p in value["packages"]]
        comments = [p["comment"] for p in value["packages"]]
    except (KeyError, TypeError, AttributeError):
        return False
    return (
        set(value["python"]) == {"version", "implementation", "executable"}
        and set(value["platform"]) == {"system", "release", "machine", "platform"}
        and all(isinstance(text, str) for text in texts)
        and all(isinstance(field, str) for row in fields for field in row)
        and all(comment is None or isinstance(comment, str) for comment in comments)
        and all(isinstance(key, str) for key in value["yaml"])
    )


def git_diff(repo_root: str, max_bytes: int = 1_000_000) -> str | None:
    """Returns the ``git diff HEAD`` patch of a checkout's uncommitted changes to tracked files.

    None when there are no changes, git is missing, the directory is not a checkout or git did
    not answer in time.

    Args:
        repo_root: A directory inside the checkout, normally ``snapshot["git"]["root"]``.
        max_bytes: Longer diffs are cut at a line boundary and end with a note line giving the
            kept and original sizes in bytes.
    """
    # Plumbing, because porcelain `git diff` rewrites the index even with optional locks off; no
    # external diff drivers or textconv filters, because a snapshot must not run user programs.
    args = ["git", "-C", repo_root, "diff-index", "-p", "--no-color", "--no-ext-diff", "HEAD"]
    try:
        done = subprocess.run(
            args, capture_output=True, stdin=subprocess.DEVNULL, env=_git_env(),
            timeout=_DIFF_TIMEOUT_S, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    data = done.stdout
    if done.returncode != 0 or not data:
        return None
    if len(data) <= max_bytes:
        return data.decode("utf-8", errors="replace")
    kept = data[:max_bytes]
    kept = kept[: kept.rindex(b"\n") + 1] if b"\n" in kept else kept
    text = kept.decode("utf-8", errors="replace")
    note = f"# tracklib: git diff truncated, kept the first {len(kept)} of {len(data)} bytes\n"
    return text + ("" if text.endswith("\n") else "\n") + note


def requirements_txt(snapshot: dict[str, Any]) -> str:
    """Returns the packages as a pip requirements file, one per line in snapshot order.

    A local or editable install is written as what it is (``-e <url>`` or ``name @ <url>``),
    never as a version pin, with ``# editable install of name==version`` after it. An editable
    install of a folder inside the script's git checkout is written relative to the checkout's
    root (``-e .``), so that ``pip install -r`` run there installs the checked-out code.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    root = (snapshot.get("git") or {}).get("root")
    lines: list[str] = []
    for package in snapshot["packages"]:
        requirement = package["requirement"]
        folder = local_path_of(requirement) if requirement.startswith("-e ") else None
        if root and folder and os.path.commonpath([folder, root]) == root:
            relative = os.path.relpath(folder, root)
            requirement = "-e ." if relative == "." else f"-e ./{relative}"
        comment = package["comment"]
        if comment:
            where = "" if requirement == package["requirement"] else f" from {folder}"
            requirement += "  # " + " ".join(f"{comment}{where}".splitlines())
        lines.append(requirement)
    return "\n".join(lines) + "\n"


def python_env_yaml(snapshot: dict[str, Any]) -> str:
    """Returns MLflow's ``python_env.yaml`` with the dependencies in ``requirements.txt``.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    versions = _versions(snapshot)
    tools = [f"{name}=={versions[name]}" if name in versions else name for name in _BUILD_TOOLS]
    data = {
        "python": snapshot["python"]["version"],
        "build_dependencies": tools,
        "dependencies": ["-r requirements.txt"],
    }
    return _yaml(data, sort_keys=False)  # MLflow writes this file in insertion order


def conda_yaml(snapshot: dict[str, Any]) -> str:
    """Returns MLflow's ``conda.yaml`` with the pip dependencies in ``requirements.txt``.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    pip = _versions(snapshot).get("pip")
    data = {
        "channels": ["conda-forge"],
        "dependencies": [
            "python=" + snapshot["python"]["version"],
            "pip<=" + pip if pip else "pip",
            {"pip": ["-r requirements.txt"]},
        ],
        "name": "mlflow-env",
    }
    return _yaml(data, sort_keys=True)  # and this one with sorted keys


def _yaml(data: dict[str, Any], sort_keys: bool) -> str:
    key = json.dumps([data, sort_keys])
    text = _yaml_texts.get(key)
    if text is None:
        import yaml

        text = _yaml_texts[key] = yaml.safe_dump(data, sort_keys=sort_keys)
    return text


def metadata_json(snapshot: dict[str, Any]) -> str:
    """Returns the snapshot as indented JSON, with ``package_count`` in place of ``packages``.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    data = {key: value for key, value in snapshot.items() if key != "packages"}
    data["package_count"] = len(snapshot["packages"])
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def restamp_metadata(text: str, snapshot: dict[str, Any], start_time: str) -> str:
    """Returns ``metadata.json`` of ``snapshot`` (rendered as ``text``) with a new start time.

    Later runs of a process reuse its snapshot; re-rendering the indented JSON (pure-Python
    encoder) for each would cost more than the rest of ``start_run``.

    Args:
        text: :func:`metadata_json` of ``snapshot``.
        snapshot: The snapshot ``text`` was rendered from.
        start_time: The new ``start_time`` (see :func:`utc_now`).
    """
    old = f'"start_time": {json.dumps(snapshot["start_time"])}'
    return text.replace(old, f'"start_time": {json.dumps(start_time)}', 1)


def snapshot_files(snapshot: dict[str, Any], diff: str | None) -> dict[str, str]:
    """Returns the files of a run's ``environment/`` artifact folder, as name -> text.

    Args:
        snapshot: A dict from :func:`capture_environment`.
        diff: Text from :func:`git_diff`; ``git.diff`` is included only when it is non-empty.
    """
    files = {
        "requirements.txt": requirements_txt(snapshot),
        "python_env.yaml": python_env_yaml(snapshot),
        "conda.yaml": conda_yaml(snapshot),
        "metadata.json": metadata_json(snapshot),
    }
    return {**files, "git.diff": diff} if diff else files


def git_tags(snapshot: dict[str, Any]) -> dict[str, str]:
    """Returns MLflow's ``mlflow.source.git.*`` run tags for the values the snapshot knows.

    Args:
        snapshot: A dict from :func:`capture_environment`.
    """
    git = snapshot.get("git") or {}
    names = {"commit": "commit", "branch": "branch", "remote_url": "repoURL"}
    return {f"mlflow.source.git.{tag}": git[key] for key, tag in names.items() if git.get(key)}


# --- git: three probes run side by side, sharing one deadline ------------------------------------


def _git_env() -> dict[str, str]:
    # No opportunistic index write by `status` (no side effects), never a credential prompt.
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}


def _maybe_in_git(directory: str) -> bool:
    """False only when git surely finds no work tree: no ``.git`` here or above, no GIT_ vars.

    Spares the three git processes to a script outside any checkout.
    """
    if any(name in os.environ for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")):
        return True
    folder, parent = directory, None
    while folder != parent:
        if os.path.lexists(os.path.join(folder, ".git")):
            return True
        folder, parent = os.path.dirname(folder), folder
    return False


def _spawn_git_probes(directory: str) -> list[subprocess.Popen[bytes]]:
    procs: list[subprocess.Popen[bytes]] = []
    for args in _GIT_PROBES:
        try:
            proc = subprocess.Popen(
                ["git", "-C", directory, *args], env=_git_env(),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        except OSError:  # no git binary (the other probes would fail alike)
            break
        procs.append(proc)
    return procs


def _read_git_probes(procs: list[subprocess.Popen[bytes]]) -> dict[str, Any] | None:
    deadline = time.monotonic() + GIT_TIMEOUT_S
    outputs: list[bytes | None] = []
    for proc in procs:
        try:
            out = proc.communicate(timeout=max(0.0, deadline - time.monotonic()))[0]
            outputs.append(out if proc.returncode == 0 else None)
        except subprocess.TimeoutExpired:
            # Not communicate(): a grandchild may still hold the pipe open.
            proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
            outputs.append(None)
    if len(outputs) < len(_GIT_PROBES):
        return None
    head, status, remotes = outputs
    if head is None or len(head.splitlines()) != 3:
        return None  # no git, not a checkout, no commit yet, or too slow
    root, commit, branch = head.splitlines()
    remote = (remotes or b"").decode("utf-8", "replace").partition("\n")[0].partition(" ")[2]
    return {
        "commit": commit.decode("ascii", "replace"),
        "branch": None if branch == b"HEAD" else branch.decode("utf-8", "replace"),  # detached
        "remote_url": strip_credentials(remote) if remote else None,
        "dirty": None if status is None else bool(status.strip()),
        "root": os.fsdecode(root),  # exact bytes: the caller passes it back to git_diff()
    }


# --- packages ------------------------------------------------------------------------------------

_BUILD_TOOLS = ("pip", "setuptools", "wheel")


def _versions(snapshot: dict[str, Any]) -> dict[str, str]:
    return {normalize(p["name"]): p["version"] for p in snapshot["packages"]}


# --- host ----------------------------------------------------------------------------------------


def _script_dir(script_path: str | None) -> str | None:
    try:
        path = os.path.abspath(script_path or "")
    except OSError:  # the working directory was deleted
        return None
    directory = path if os.path.isdir(path) else os.path.dirname(path)
    return directory if os.path.isdir(directory) else _cwd() or None


def _hostname() -> str:
    # platform.node(), without importing platform where os.uname exists.
    if hasattr(os, "uname"):
        return os.uname().nodename
    import platform

    return platform.node()


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:
        return ""


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (containers with arbitrary uids)
        return "unknown"
