"""HTTP plumbing of the REST store: one ``requests.Session``, auth, TLS, timeouts, errors, retries.

:meth:`HttpSession.request` makes exactly one attempt and either returns a successful
response or raises. Failures a retry might fix raise :class:`~tracklib.stores.rest.wire.HttpError`
(or its ``HttpUnavailableError`` subclass when the server could not be reached), which carries
what a retry loop needs: ``retryable``, ``retry_after`` (seconds the server asked for) and
``maybe_applied`` (the request may have taken effect although no answer arrived, e.g. a
read timeout or a 502/504 from a proxy, so a blind resend could duplicate data). MLflow
error bodies that retrying cannot fix map to tracklib's own errors (``NotFoundError``,
``AlreadyExistsError``, ``InvalidInputError``, ``RunStateError``): the server answered and
rejected the request, so nothing was applied.

:class:`RetryPolicy` is the one backoff rule (exponential, capped, with jitter, honouring
``Retry-After``). :func:`retrying` applies it to explicit calls (a few quick retries, about
ten seconds at most); the background sender applies its own unbounded policy between
passes over a non-retrying store, so no request is retried inside another retry loop.

Credentials never leave this module in readable form: they live only in the session's auth
object (whose repr hides them), URLs are stripped of user-info before use, and no message
includes a header.
"""

from __future__ import annotations

import base64
import json
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import requests.auth
from requests.adapters import ConnectTimeoutError  # urllib3's, re-exported: not our dependency

from tracklib import __version__, settings
from tracklib.errors import InvalidInputError
from tracklib.stores.rest.wire import HttpError, HttpUnavailableError, error_for, snippet

USER_AGENT = f"tracklib/{__version__}"
CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
_T = TypeVar("_T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long an explicit call is retried.

    Sleep before retry n (1-based) is ``min(max_sleep, backoff * 2**(n-1)) + U(0, jitter)``,
    or the server's ``Retry-After`` when it gave one. No retry starts past ``deadline``
    seconds after the first attempt, and a ``Retry-After`` beyond it ends the loop at once.
    """

    attempts: int = 4
    backoff: float = 0.25
    max_sleep: float = 2.0
    jitter: float = 0.25
    deadline: float = 10.0

    def sleep_for(self, retry: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        if retry_after is not None:
            return retry_after
        pause = min(self.max_sleep, self.backoff * 2.0 ** (retry - 1))
        return pause + random.uniform(0, self.jitter)


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)


def retrying(policy: RetryPolicy, idempotent: bool, attempt: Callable[[], _T]) -> _T:
    """Call ``attempt`` until it succeeds, retrying :class:`HttpError` s the policy allows.

    A failure that ``maybe_applied`` is retried only when ``idempotent`` is true, so a
    non-idempotent write (create a run, append metric points) is never sent twice by this loop.
    """
    start = time.monotonic()
    for retry in range(1, policy.attempts + 1):
        try:
            return attempt()
        except HttpError as exc:
            if not exc.retryable or (exc.maybe_applied and not idempotent):
                raise
            if retry >= policy.attempts:
                raise
            pause = policy.sleep_for(retry, exc.retry_after)
            if time.monotonic() - start + pause > policy.deadline:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def split_tracking_uri(uri: str) -> tuple[str, str | None, str | None]:
    """Return ``(base URL without user-info or trailing '/', username, password)``.

    Raises:
        InvalidInputError: The URI is not http(s) or has no host.
    """
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:  # a port that is not a number
        port = -1
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or port == -1:
        shown = settings.redact_uri(uri)
        raise InvalidInputError(f"Not an http(s) tracking URI with a host and port: {shown!r}.")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    base = f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"
    return base, parts.username, parts.password


class _HeaderAuth(requests.auth.AuthBase):
    """Sets one ``Authorization`` header; its repr never shows the value."""

    def __init__(self, value: str, kind: str) -> None:
        self._value = value
        self.kind = kind

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._value
        return request

    def __repr__(self) -> str:
        return f"<{self.kind} auth, hidden>"


def _auth_from_env(
    env: Mapping[str, str], url_user: str | None, url_password: str | None
) -> _HeaderAuth | None:
    """Basic (username + password) wins over a token, as in MLflow; URL user-info comes last.

    A username or password not set in the environment comes from MLflow's credentials file,
    ``~/.mlflow/credentials`` (section ``[mlflow]``), as MLflow's client reads it.
    """
    file_user, file_password = _credentials_file()
    user = _first(env, settings.USERNAME_VARS) or file_user
    password = _first(env, settings.PASSWORD_VARS) or file_password
    token = _first(env, settings.TOKEN_VARS)
    if user and password:
        return _basic(user, password)
    if token:
        return _HeaderAuth(f"Bearer {token}", "Bearer")
    if url_user is not None:
        return _basic(url_user, url_password or "")
    return None


def _credentials_file() -> tuple[str | None, str | None]:
    """(username, password) from ``~/.mlflow/credentials``; (None, None) without one."""
    import configparser

    parser = configparser.ConfigParser()
    try:
        parser.read(os.path.join(os.path.expanduser("~"), ".mlflow", "credentials"), "utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None, None
    if not parser.has_section("mlflow"):
        return None, None
    section = parser["mlflow"]
    return section.get("mlflow_tracking_username"), section.get("mlflow_tracking_password")


def _basic(user: str, password: str) -> _HeaderAuth:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return _HeaderAuth(f"Basic {encoded}", "Basic")


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = env.get(name)
        if value:
            return value
    return None


def _tls_from_env(env: Mapping[str, str]) -> tuple[bool | str, str | None]:
    """Return requests' ``(verify, cert)``; verification is on unless explicitly disabled."""
    insecure = (_first(env, settings.INSECURE_TLS_VARS) or "").strip().lower()
    server_cert = _first(env, settings.SERVER_CERT_VARS)
    client_cert = _first(env, settings.CLIENT_CERT_VARS)
    if insecure in ("1", "true", "yes", "on"):
        if server_cert:
            raise InvalidInputError(
                "TRACKING_INSECURE_TLS and TRACKING_SERVER_CERT_PATH are both set; set one: "
                "a CA bundle to verify the server with, or insecure mode to skip verification."
            )
        return False, client_cert
    return server_cert or True, client_cert


def _read_timeout(env: Mapping[str, str]) -> float:
    text = env.get(settings.HTTP_TIMEOUT_VAR, "").strip()
    if not text:
        return DEFAULT_READ_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise InvalidInputError(
            f"{settings.HTTP_TIMEOUT_VAR}={text!r}: expected a positive number of seconds."
        )
    return value


class HttpSession:
    """One keep-alive session to an MLflow server, with auth, TLS and timeouts from the env.

    Args:
        tracking_uri: ``http[s]://[user:password@]host[:port][/prefix]``.
        env: Where to read the ``TRACKLIB_``/``MLFLOW_`` settings (default ``os.environ``).
        timeout: ``(connect, read)`` seconds; default 5 s and ``TRACKLIB_HTTP_TIMEOUT`` or 30 s.

    Raises:
        InvalidInputError: The URI or a TLS/timeout setting is invalid.
    """

    def __init__(
        self,
        tracking_uri: str,
        env: Mapping[str, str] | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        env = os.environ if env is None else env
        self.base_url, url_user, url_password = split_tracking_uri(tracking_uri)
        read = _read_timeout(env)
        self.timeout = timeout or (min(CONNECT_TIMEOUT, read), read)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.auth = _auth_from_env(env, url_user, url_password)
        self.session.verify, self.session.cert = _tls_from_env(env)

    def __repr__(self) -> str:
        return f"HttpSession({self.base_url!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def url(self, path: str) -> str:
        """The absolute URL of a server path such as ``/api/2.0/mlflow/runs/get``."""
        return self.base_url + path

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Make one attempt; return a 2xx response or raise (see the module docstring).

        ``url`` is absolute or a path under the base URL. ``json_body`` is sent as JSON
        (NaN/infinity are not allowed: encode them as MLflow's strings first).

        Raises:
            HttpUnavailableError: No connection, or no answer in time.
            HttpError: Any other failed status (``status``, ``error_code``, retry hints).
            NotFoundError, AlreadyExistsError, InvalidInputError, RunStateError: The server
                rejected the request with the matching MLflow error code.
        """
        full = url if "://" in url else self.url(url)
        all_headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body, allow_nan=False).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(
                method,
                full,
                params=params,
                data=data,
                headers=all_headers,
                timeout=self.timeout,
                stream=stream,
            )
        except requests.exceptions.SSLError as exc:
            raise HttpUnavailableError(
                f"TLS failure talking to {self.base_url}: {exc}. Set TRACKLIB_TRACKING_SERVER_CERT_"
                "PATH to the CA bundle that signed the server's certificate (or, for testing "
                "only, TRACKLIB_TRACKING_INSECURE_TLS=true)."
            ) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            raise _unreachable(method, full, exc) from None
        except requests.exceptions.RequestException as exc:
            raise HttpError(f"{method} {full} failed: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 400:
            try:
                raise error_for(response, method, full)
            finally:
                response.close()
        return response

    def call(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        """Make one JSON request (body for POST, query parameters for GET); return the JSON."""
        if method == "GET":
            response = self.request(method, path, params=body, **kw)
        else:
            response = self.request(method, path, json_body=body or {}, **kw)
        try:
            payload = response.json()
        except ValueError:
            raise HttpError(
                f"{method} {path}: the server answered {response.status_code} with a body that "
                f"is not JSON ({snippet(response.text)!r}); is {self.base_url} an MLflow server?",
                status=response.status_code,
            ) from None
        return payload if isinstance(payload, dict) else {}


def _unreachable(method: str, url: str, exc: Exception) -> HttpUnavailableError:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    # Connection never established: the request cannot have reached the server. (urllib3's
    # NewConnectionError, refused or no such host, is a ConnectTimeoutError too.)
    not_sent = isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
        reason, ConnectTimeoutError
    )
    return HttpUnavailableError(
        f"Cannot reach the tracking server: {method} {url} failed "
        f"({type(exc).__name__}: {snippet(str(exc), 300)}).",
        retryable=True,
        maybe_applied=not not_sent,
    )
