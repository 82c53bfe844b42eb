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
import re
import subprocess
import sys
import time
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

ENV_ALLOWLIST: tuple[str, ...] = (
    # accelerators
    "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER", "CUDA_HOME", "CUDA_LAUNCH_BLOCKING", "CUBLAS_WORKSPACE_CONFIG",
    "TORCH_CUDNN_V8_API_ENABLED", "PYTORCH_CUDA_ALLOC_CONF", "NCCL_DEBUG", "NCCL_P2P_DISABLE",
    "NCCL_IB_DISABLE", "NCCL_SOCKET_IFNAME",
    # thread pools
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    # framework switches
    "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "TF_FORCE_GPU_ALLOW_GROWTH", "XLA_FLAGS",
    "XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION", "JAX_PLATFORMS",
    "KERAS_BACKEND", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "PYTHONHASHSEED",
    # schedulers and distributed launchers
    "SLURM_JOB_ID", "SLURM_JOB_NAME", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_NNODES",
    "SLURM_NTASKS", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_CPUS_PER_TASK", "SLURM_GPUS",
    "SLURM_JOB_PARTITION", "PBS_JOBID", "LSB_JOBID", "WORLD_SIZE", "RANK", "LOCAL_RANK",
    "LOCAL_WORLD_SIZE", "NODE_RANK", "MASTER_PORT",
    # interpreter environment and locale
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
_METADATA_FILES = {".dist-info": ("METADATA", "PKG-INFO"), ".egg-info": ("PKG-INFO",)}
_NAME_RUNS = re.compile(r"[-_.]+")
_CREDENTIAL_PARAM = re.compile(r"token|secret|passw|signature|credential|auth|key|sig$", re.I)
_PLAIN_YAML = re.compile(r"[A-Za-z][\w.+=<>!~/-]*|\d+(?:\.\d+){2,}[\w.+]*|-r [\w./]+", re.ASCII)
_YAML_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})


def capture_environment(script_path: str | None = None) -> dict[str, Any]:
    """Take a snapshot of the interpreter, host, git checkout, allowed env vars and packages.

    Args:
        script_path: The training script; git is looked up from its directory. Defaults to
            ``sys.argv[0]`` (the current directory when that is not a path, e.g. ``-c``).

    Returns:
        A JSON-serialisable dict: ``python``, ``platform``, ``hostname``, ``user``, ``argv``,
        ``cwd``, ``start_time``, ``git`` (None outside a checkout or before its first commit,
        without git, or when git is too slow), ``env`` and ``packages`` (as
        :func:`installed_packages`).
    """
    import platform
    from datetime import datetime, timezone

    start_time = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    git_dir = _script_dir(sys.argv[0] if script_path is None and sys.argv else script_path)
    # git runs in the background while the packages are scanned: the two are independent.
    probes = _spawn_git_probes(git_dir) if git_dir else []
    try:
        packages = installed_packages()
    finally:
        git = _read_git_probes(probes)  # also reaps the children if the scan failed
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
            "platform": platform.platform(),
        },
        "hostname": platform.node(),
        "user": _user(),
        "argv": list(sys.argv),
        "cwd": _cwd(),
        "start_time": start_time.replace("+00:00", "Z"),
        "git": git,
        "env": {name: os.environ[name] for name in ENV_ALLOWLIST if name in os.environ},
        "packages": packages,
    }


def strip_credentials(url: str) -> str:
    """Remove user-info and credential-like query parameters from a URL.

    ``https://user:tok@host/x?sig=abc&ref=main`` becomes ``https://host/x?ref=main``. Strings
    without a scheme, such as scp-style ``git@host:org/repo.git``, are returned unchanged (as in
    MLflow): the user there is an ssh login, never a password.

    Args:
        url: Any URL-like string.

    Returns:
        The URL without credentials.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.scheme or not parts.netloc:
        return url
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_CREDENTIAL_PARAM.search(key) for key, _ in pairs):
        query = urlencode([(k, v) for k, v in pairs if not _CREDENTIAL_PARAM.search(k)])
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def installed_packages(path: list[str] | None = None) -> list[dict[str, Any]]:
    """List the installed distributions as ``importlib.metadata`` finds them, but faster.

    Each path directory is listed once for ``*.dist-info``/``*.egg-info`` entries and only the
    ``Name``/``Version`` headers of their metadata are read, where ``importlib.metadata`` parses
    each whole file with the email parser. Zip files and ``.egg`` entries go through importlib.

    Args:
        path: Directories to scan, in priority order; defaults to ``sys.path``.

    Returns:
        Dicts of ``name``, ``version``, ``requirement`` (a requirements.txt line) and ``comment``
        (where a local or editable install came from, else None), sorted by PEP 503 name. The
        first distribution of a name on the path wins, as in ``importlib.metadata``.
    """
    found: dict[str, dict[str, Any]] = {}
    for entry in sys.path if path is None else path:
        for package in _scan_entry(entry):
            found.setdefault(_normalize(package["name"]), package)
    return [found[key] for key in sorted(found)]


def git_diff(repo_root: str, max_bytes: int = 1_000_000) -> str | None:
    """Return ``git diff HEAD``: the uncommitted changes to tracked files of a checkout.

    Args:
        repo_root: A directory inside the checkout, normally ``snapshot["git"]["root"]``.
        max_bytes: Longer diffs are cut at a line boundary and end with a note line giving the
            kept and original sizes in bytes.

    Returns:
        The diff, or None when there are no changes, git is missing, the directory is not a
        checkout or git did not answer in time.
    """
    # No external diff drivers or textconv filters: a snapshot must not run the user's programs.
    args = ["git", "-C", repo_root, "diff", "HEAD", "--no-color", "--no-ext-diff", "--no-textconv"]
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
    """Render the snapshot's packages as a pip requirements file.

    Args:
        snapshot: A dict from :func:`capture_environment`.

    Returns:
        One requirement per line in snapshot order, each local or editable install preceded by a
        ``# comment`` line saying where it came from.
    """
    lines: list[str] = []
    for package in snapshot["packages"]:
        if package["comment"]:
            lines.append("# " + " ".join(str(package["comment"]).splitlines()))
        lines.append(package["requirement"])
    return "\n".join(lines) + "\n"


def python_env_yaml(snapshot: dict[str, Any]) -> str:
    """Render MLflow's ``python_env.yaml`` with the dependencies in ``requirements.txt``.

    Args:
        snapshot: A dict from :func:`capture_environment`.

    Returns:
        YAML text, byte-identical to PyYAML's ``safe_dump`` of the same data (as MLflow writes it).
    """
    versions = _versions(snapshot)
    tools = [f"{name}=={versions[name]}" if name in versions else name for name in _BUILD_TOOLS]
    return (
        f"python: {_yaml_scalar(snapshot['python']['version'])}\nbuild_dependencies:\n"
        + "".join(f"- {_yaml_scalar(tool)}\n" for tool in tools)
        + "dependencies:\n- -r requirements.txt\n"
    )


def conda_yaml(snapshot: dict[str, Any]) -> str:
    """Render MLflow's ``conda.yaml`` with the pip dependencies in ``requirements.txt``.

    Args:
        snapshot: A dict from :func:`capture_environment`.

    Returns:
        YAML text, byte-identical to PyYAML's ``safe_dump`` of the same data (as MLflow writes it).
    """
    pip = _versions(snapshot).get("pip")
    return (
        "channels:\n- conda-forge\ndependencies:\n"
        f"- {_yaml_scalar('python=' + snapshot['python']['version'])}\n"
        f"- {_yaml_scalar('pip<=' + pip) if pip else 'pip'}\n"
        "- pip:\n  - -r requirements.txt\nname: mlflow-env\n"
    )


def metadata_json(snapshot: dict[str, Any]) -> str:
    """Render everything but the package list as JSON, with ``package_count`` in its place.

    Args:
        snapshot: A dict from :func:`capture_environment`.

    Returns:
        Indented JSON with sorted keys and a trailing newline.
    """
    data = {key: value for key, value in snapshot.items() if key != "packages"}
    data["package_count"] = len(snapshot["packages"])
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def snapshot_files(snapshot: dict[str, Any], diff: str | None) -> dict[str, str]:
    """Render the files of a run's ``environment/`` artifact folder.

    Args:
        snapshot: A dict from :func:`capture_environment`.
        diff: Text from :func:`git_diff`; ``git.diff`` is included only when it is non-empty.

    Returns:
        File name -> file text.
    """
    files = {
        "requirements.txt": requirements_txt(snapshot),
        "python_env.yaml": python_env_yaml(snapshot),
        "conda.yaml": conda_yaml(snapshot),
        "metadata.json": metadata_json(snapshot),
    }
    return {**files, "git.diff": diff} if diff else files


def git_tags(snapshot: dict[str, Any]) -> dict[str, str]:
    """Return MLflow's ``mlflow.source.git.*`` run tags for the values the snapshot knows.

    Args:
        snapshot: A dict from :func:`capture_environment`.

    Returns:
        Tag name -> value; empty outside a git checkout.
    """
    git = snapshot.get("git") or {}
    names = {"commit": "commit", "branch": "branch", "remote_url": "repoURL"}
    return {f"mlflow.source.git.{tag}": git[key] for key, tag in names.items() if git.get(key)}


# --- git: three probes run side by side, sharing one deadline ------------------------------------


def _git_env() -> dict[str, str]:
    # No opportunistic index write by `status` (no side effects), never a credential prompt.
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}


def _spawn_git_probes(directory: str) -> list[subprocess.Popen[bytes]]:
    procs: list[subprocess.Popen[bytes]] = []
    env = _git_env()
    for args in _GIT_PROBES:
        try:
            procs.append(
                subprocess.Popen(
                    ["git", "-C", directory, *args],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            )
        except OSError:  # no git binary (the other probes would fail alike)
            break
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
            proc.communicate()
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


def _scan_entry(entry: str) -> list[dict[str, Any]]:
    root = entry or "."
    if root.lower().endswith(".egg") or os.path.isfile(root):
        return _scan_with_importlib(entry)
    try:
        children = list(os.scandir(root))
    except OSError:
        return []
    packages = []
    for child in children:
        suffix = next((s for s in _METADATA_FILES if child.name.lower().endswith(s)), None)
        if suffix is None:
            continue
        is_dir = child.is_dir()
        files = [os.path.join(child.path, name) for name in _METADATA_FILES[suffix]]
        header = _read_header(files if is_dir else [child.path])
        if header is not None:
            requirement, comment = _requirement(*header, child.path if is_dir else None)
            packages.append(_package(*header, requirement, comment))
    return packages


def _scan_with_importlib(entry: str) -> list[dict[str, Any]]:
    from importlib import metadata

    dists = metadata.distributions(path=[entry])
    pairs = [(dist.metadata["Name"], dist.version) for dist in dists]
    return [_package(n, v, f"{n}=={v}", None) for n, v in pairs if n and v]


def _package(name: str, version: str, requirement: str, comment: str | None) -> dict[str, Any]:
    return {"name": name, "version": version, "requirement": requirement, "comment": comment}


def _read_header(candidates: list[str]) -> tuple[str, str] | None:
    for path in candidates:
        try:
            with open(path, encoding="utf-8", errors="replace") as stream:
                fields: dict[str, str] = {}
                for line in stream:
                    if not line.strip():
                        break  # end of the RFC 822 headers; the long description follows
                    key, sep, value = line.partition(":")
                    if sep and key.lower() in ("name", "version"):
                        fields.setdefault(key.lower(), value.strip())
                    if len(fields) == 2:
                        return fields["name"], fields["version"]
        except OSError:
            continue
        return None  # like importlib.metadata, only the first metadata file that exists counts
    return None


def _requirement(name: str, version: str, info_dir: str | None) -> tuple[str, str | None]:
    pinned = f"{name}=={version}"
    if info_dir is None:
        return pinned, None
    try:
        with open(os.path.join(info_dir, "direct_url.json"), "rb") as stream:
            direct = json.load(stream)
        url = strip_credentials(direct["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return pinned, None  # no PEP 610 record: installed from an index
    # A file: URL is a path on this machine only: pin the version and say where it came from.
    local = url.startswith("file:")
    vcs, archive = direct.get("vcs_info"), direct.get("archive_info")
    if isinstance(vcs, dict):
        reference = f"{vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}"
        fragments = []
    elif isinstance(archive, dict) and not local:
        reference = url
        fragments = [archive["hash"]] if isinstance(archive.get("hash"), str) else []
    else:
        dir_info = direct.get("dir_info")
        kind = "editable" if isinstance(dir_info, dict) and dir_info.get("editable") else "local"
        return pinned, f"{kind} install from {unquote(urlsplit(url).path) if local else url}"
    if local:
        return pinned, f"installed from {reference}"
    if direct.get("subdirectory"):
        fragments.append(f"subdirectory={direct['subdirectory']}")
    return f"{name} @ {reference}" + ("#" + "&".join(fragments) if fragments else ""), None


def _normalize(name: str) -> str:
    return _NAME_RUNS.sub("-", name).lower()  # PEP 503


def _versions(snapshot: dict[str, Any]) -> dict[str, str]:
    return {_normalize(p["name"]): p["version"] for p in snapshot["packages"]}


def _yaml_scalar(text: str) -> str:
    # Plain where YAML reads the text back as the same string (as PyYAML writes it), else a JSON
    # string, which is also a valid double-quoted YAML scalar.
    if _PLAIN_YAML.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)


# --- host ----------------------------------------------------------------------------------------


def _script_dir(script_path: str | None) -> str | None:
    try:
        path = os.path.abspath(script_path or "")
    except OSError:  # the working directory was deleted
        return None
    directory = path if os.path.isdir(path) else os.path.dirname(path)
    return directory if os.path.isdir(directory) else _cwd() or None


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


if __name__ == "__main__":
    print(json.dumps(capture_environment(), indent=2))
