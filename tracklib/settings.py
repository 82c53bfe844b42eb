"""Environment-variable names and tracking-URI resolution.

Each setting is read from its ``TRACKLIB_`` variable first, then MLflow's, so an existing
MLflow set-up keeps working.
"""

from __future__ import annotations

import functools
import os
import re
from urllib.parse import unquote, urlparse

from tracklib.errors import InvalidInputError

TRACKING_URI_VARS = ("TRACKLIB_TRACKING_URI", "MLFLOW_TRACKING_URI")
EXPERIMENT_NAME_VARS = ("TRACKLIB_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME")
EXPERIMENT_ID_VARS = ("TRACKLIB_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_ID")
RUN_ID_VARS = ("TRACKLIB_RUN_ID", "MLFLOW_RUN_ID")
USERNAME_VARS = ("TRACKLIB_TRACKING_USERNAME", "MLFLOW_TRACKING_USERNAME")
PASSWORD_VARS = ("TRACKLIB_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD")
TOKEN_VARS = ("TRACKLIB_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN")
INSECURE_TLS_VARS = ("TRACKLIB_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_INSECURE_TLS")
SERVER_CERT_VARS = ("TRACKLIB_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_SERVER_CERT_PATH")
CLIENT_CERT_VARS = ("TRACKLIB_TRACKING_CLIENT_CERT_PATH", "MLFLOW_TRACKING_CLIENT_CERT_PATH")
HTTP_TIMEOUT_VAR = "TRACKLIB_HTTP_TIMEOUT"  # read timeout of one HTTP request, seconds
CAPTURE_ENV_VAR = "TRACKLIB_CAPTURE_ENV"
TRUNCATE_VARS = ("TRACKLIB_TRUNCATE_LONG_VALUES", "MLFLOW_TRUNCATE_LONG_VALUES")
SPOOL_DIR_VAR = "TRACKLIB_SPOOL_DIR"  # where remote runs are spooled (default: the cache home)
FLUSH_TIMEOUT_VAR = "TRACKLIB_FLUSH_TIMEOUT"  # seconds end_run waits for delivery
SEARCH_CACHE_VAR = "TRACKLIB_SEARCH_CACHE"  # 0 turns the search summary cache off
LOG_ALL_RANKS_VAR = "TRACKLIB_LOG_ALL_RANKS"  # 1: every rank of a distributed job logs
RANK_VARS = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "LOCAL_RANK")
"""Launchers' rank variables, in the order they are trusted (LOCAL_RANK last: per machine)."""
DEFAULT_TRACKING_URI = "./mlruns"

_explicit_uri: str | None = None


def first_env(names: tuple[str, ...]) -> str | None:
    """Return the value of the first variable in ``names`` that is set and non-empty."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def set_tracking_uri(uri: str | os.PathLike[str] | None) -> None:
    """Set the tracking URI for this process (``None`` goes back to the env/default).

    Raises:
        InvalidInputError: The URI's scheme is not one tracklib can use.
    """
    global _explicit_uri
    if uri is None:
        _explicit_uri = None
        return
    text = os.fspath(uri)
    if not text.startswith("memory:") and not is_remote(text):  # memory: = tracklib.testing
        local_path(text)  # fail now, at the call the user wrote, not at the first log
    _explicit_uri = text


def explicit_tracking_uri() -> str | None:
    """The URI given to :func:`set_tracking_uri`, or ``None`` (env vars and the default apply)."""
    return _explicit_uri


def get_tracking_uri() -> str:
    """Return the tracking URI: explicit call > TRACKLIB_ > MLFLOW_ > ``./mlruns``."""
    return _explicit_uri or first_env(TRACKING_URI_VARS) or DEFAULT_TRACKING_URI


def is_remote(uri: str) -> bool:
    """True for an ``http://`` or ``https://`` URI (an MLflow tracking server)."""
    return urlparse(uri).scheme.lower() in ("http", "https")


def redact_uri(uri: str) -> str:
    """The URI without any ``user:password@`` part: safe to show in a repr or message."""
    parsed = urlparse(uri)
    if "@" not in parsed.netloc:
        return uri
    return parsed._replace(netloc=parsed.netloc.rsplit("@", 1)[1]).geturl()


def local_path(uri: str) -> str:
    """Return the absolute local folder a path or ``file:`` URI names.

    Raises:
        InvalidInputError: The URI is remote (http/https, not supported yet) or names a
            database or another scheme tracklib does not speak.
    """
    _refuse_typos(uri)
    parsed = urlparse(uri)
    scheme = parsed.scheme.lower()
    if scheme == "" or (len(scheme) == 1 and os.name == "nt"):
        return os.path.abspath(os.path.expanduser(uri))
    if scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise InvalidInputError(f"file: URI {uri!r} names a remote host; use a local path.")
        path = unquote(parsed.path)
        if os.name == "nt" and path[:1] == "/" and path[2:3] == ":":
            path = path[1:]  # file:///C:/x -> C:/x
        return os.path.abspath(path)
    if scheme in ("http", "https"):
        raise InvalidInputError(f"Tracking URI {uri!r} is a server's URL, not a local folder.")
    raise InvalidInputError(
        f"Tracking URI {uri!r}: tracklib writes a local MLflow file store (a path or file: "
        "URI) or talks to an MLflow server over http(s); it does not open databases or "
        f"'{scheme}:' URIs directly. Point it at the `mlflow server` in front of that store."
    )


_HOST_PORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*:\d{1,5}(/.*)?$")
_SCHEME_WITHOUT_COLON = re.compile(r"^(https?)//", re.IGNORECASE)


def _refuse_typos(uri: str) -> None:
    """Refuse what is almost surely a mistyped URI, before it silently becomes a folder."""
    fix: str | None = None
    if uri != uri.strip():
        fix = f"{uri.strip()!r} (without the surrounding spaces)"
    elif _SCHEME_WITHOUT_COLON.match(uri):
        fix = _SCHEME_WITHOUT_COLON.sub(lambda m: m.group(1).lower() + "://", uri)
        fix = repr(fix)
    elif _HOST_PORT.match(uri) and not os.path.exists(uri):
        fix = f"'http://{uri}' for an MLflow server there"
    elif uri.lower() == "databricks" or uri.lower().startswith("databricks:"):
        raise InvalidInputError(
            f"Tracking URI {uri!r}: tracklib does not talk to Databricks. For a local folder "
            "of that name, write './databricks'."
        )
    if fix is not None:
        raise InvalidInputError(f"Tracking URI {uri!r} looks mistyped; did you mean {fix}?")


def path_to_uri(path: str) -> str:
    """Return the ``file:`` URI of a local path, percent-encoded as MLflow writes it."""
    from pathlib import Path

    return Path(os.path.abspath(path)).as_uri()


def current_user() -> str:
    """Return the user recorded as ``mlflow.user``: the tracking username, else the login."""
    # getpass.getuser()'s order, with its passwd lookup (measurable per run) cached per uid.
    return first_env(USERNAME_VARS) or login_name()


def login_name() -> str:
    """Return the login name, as ``getpass.getuser()`` finds it ("unknown" if it cannot)."""
    name = first_env(("LOGNAME", "USER", "LNAME", "USERNAME"))
    if name:
        return name
    return _passwd_name(os.getuid() if hasattr(os, "getuid") else -1)


@functools.lru_cache(maxsize=4)
def _passwd_name(uid: int) -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no passwd entry (containers), no USER variable
        return "unknown"


def cache_home() -> str:
    """tracklib's folder for derived and pending data: ``$XDG_CACHE_HOME/tracklib``, else
    ``~/.cache/tracklib``."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "tracklib")


CACHE_DIR_VAR = "TRACKLIB_CACHE_DIR"


def cache_dir() -> str:
    """The folder of tracklib's caches (search summaries, environment snapshot):
    ``TRACKLIB_CACHE_DIR``, else :func:`cache_home`. Deleting it loses nothing."""
    explicit = os.environ.get(CACHE_DIR_VAR)
    return os.path.abspath(os.path.expanduser(explicit)) if explicit else cache_home()


def flag_enabled(name: str) -> bool:
    """Whether an on-by-default switch is on: ``0``, ``false``, ``no`` or ``off`` turn it off."""
    return os.environ.get(name, "1").strip().lower() not in ("0", "false", "no", "off")


def truncate_long_values() -> bool:
    """Whether over-long param and tag values are cut (MLflow's default) rather than refused:
    ``TRACKLIB_TRUNCATE_LONG_VALUES`` or else ``MLFLOW_TRUNCATE_LONG_VALUES`` set to ``false``
    (or ``0``, ``no``, ``off``) makes them raise."""
    value = first_env(TRUNCATE_VARS) or "1"
    return value.strip().lower() not in ("0", "false", "no", "off")


def capture_env_enabled() -> bool:
    """Whether runs snapshot their environment (``TRACKLIB_CAPTURE_ENV=0`` turns it off)."""
    return flag_enabled(CAPTURE_ENV_VAR)
