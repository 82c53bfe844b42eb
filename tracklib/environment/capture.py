"""The environment snapshot: what ran, where, with which packages and which code.

Nothing here writes to a run or a checkout. :func:`capture_environment` takes the snapshot (the
interpreter/platform/packages part through the cache of :mod:`tracklib.environment.cache`, the
only file written); :func:`snapshot_files` (from :mod:`tracklib.environment.files`, re-exported
here) renders the files of a run's ``environment/`` artifact folder and :func:`git_tags` gives
MLflow's ``mlflow.source.git.*`` tags. ``python -m tracklib.environment``
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

import os
import subprocess
import sys
import time
from typing import Any

from tracklib import settings
from tracklib.environment import cache, files
from tracklib.environment.files import conda_yaml as conda_yaml
from tracklib.environment.files import git_tags as git_tags
from tracklib.environment.files import metadata_json as metadata_json
from tracklib.environment.files import python_env_yaml as python_env_yaml
from tracklib.environment.files import requirements_txt as requirements_txt
from tracklib.environment.files import restamp_metadata as restamp_metadata
from tracklib.environment.files import snapshot_files as snapshot_files
from tracklib.environment.packages import installed_packages, strip_credentials

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
        "user": settings.login_name(),
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
        files.yaml_texts.update(cached["yaml"])
        return cached
    stamped = cache.listings(stamp) if stamp is not None else None  # before the scan
    host = _scan_host()
    python_env_yaml(host)  # rendered now, so that the cache keeps the texts
    conda_yaml(host)
    if stamped is not None:
        cache.store(stamped, {**host, "yaml": files.yaml_texts})
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
