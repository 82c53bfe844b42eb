"""The ``tracklib ui`` web server: the standard library's threaded HTTP server, read-only.

Security follows a notebook server's model (see docs/ui.md):

* a random token: a request must carry ``?token=T`` (the answer then sets an HttpOnly,
  SameSite=Strict cookie) or that cookie, else 403;
* the Host header must name the bound address (a DNS-rebinding page names its own host), else
  403;
* only GET and HEAD (405 otherwise), and no endpoint writes anything;
* every answer carries a strict Content-Security-Policy, ``nosniff`` and no referrer;
* artifact paths are confined to the run's artifact folder (see :mod:`tracklib.ui.files`).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import re
import secrets
import shutil
import socket
import sys
import threading
from http import cookies
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from tracklib.errors import TracklibError
from tracklib.tracking.client import Client
from tracklib.ui import files, views
from tracklib.ui.api import Api, ApiError, to_api_error

COOKIE = "tracklib_ui_token"
STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
_LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD = ("0.0.0.0", "::", "")


class UIServer(ThreadingHTTPServer):
    """A running ``tracklib ui``: :attr:`url` (with the token), :attr:`base`, :meth:`close`.

    Args:
        client: The tracking store to show.
        host: The address to bind.
        port: The port (0: a free one).
        token: The access token (default: a random one).

    Raises:
        OSError: The address cannot be bound.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, client: Client, host: str, port: int, token: str | None = None) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), Handler)
        self.api = Api(client)
        self.token = token or secrets.token_urlsafe(24)
        self.host = host
        self.port = int(self.server_address[1])
        self.allowed_hosts = _allowed_hosts(host, self.port)
        # For a wildcard bind: this machine's names, looked up once (getfqdn may ask DNS).
        self.own_names = (
            frozenset({socket.gethostname().lower(), socket.getfqdn().lower(), "localhost"})
            if self.allowed_hosts is None
            else frozenset()
        )
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        """``http://host:port`` (a wildcard bind is shown as 127.0.0.1)."""
        shown = "127.0.0.1" if self.host in _WILDCARD else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{self.port}"

    @property
    def url(self) -> str:
        """The address to open, with the token."""
        return f"{self.base}/?token={self.token}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that leaves mid-answer is normal: no traceback on the terminal."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def start(self) -> UIServer:
        """Serve in a daemon thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="tracklib-ui", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()


def start(
    tracking_uri: str | None, host: str = "127.0.0.1", port: int = 0, token: str | None = None
) -> UIServer:
    """Start ``tracklib ui`` over a tracking URI in a background thread.

    Raises:
        InvalidInputError: The URI is not one tracklib can use.
        OSError: The address cannot be bound.
    """
    return UIServer(Client(tracking_uri), host, port, token).start()


def _allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host header values accepted; None for a wildcard bind (see :func:`_host_ok`)."""
    if host in _WILDCARD:
        return None
    shown = f"[{host}]" if ":" in host else host
    names = {shown}
    if host in ("127.0.0.1", "localhost", "::1"):
        names.update(_LOCAL_NAMES)
    return frozenset(f"{name}:{port}" for name in names)


def _host_ok(server: UIServer, header: str | None) -> bool:
    """Whether a Host header names this server.

    Bound to a wildcard, the machine's own names are unknown in advance, so an IP literal,
    localhost or this machine's host name is accepted; another name is what a DNS
    rebinding page would send, and is refused.
    """
    if not header:
        return False
    header = header.strip().lower()
    if server.allowed_hosts is not None:
        return header in server.allowed_hosts
    name, _, port = header.rpartition(":")
    if port != str(server.port):
        return False
    name = name.strip("[]")
    if name in server.own_names:
        return True
    try:  # an IP literal: no DNS name, so nothing an attacker's domain can rebind
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class Handler(BaseHTTPRequestHandler):
    """One request: checks, then the API, an artifact, a static file or the app's page."""

    server: UIServer
    protocol_version = "HTTP/1.1"
    server_version = "tracklib-ui"
    sys_version = ""
    _set_cookie = False
    _started = False  # whether this request's status line went out
    timeout = 120  # seconds an idle keep-alive connection may hold its thread

    def setup(self) -> None:
        """Send each answer at once: headers and body are separate writes, which Nagle's
        algorithm would otherwise hold back for the client's delayed ACK (~40 ms)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows the URL, not a line per request."""

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer(head=False)

    def do_HEAD(self) -> None:
        """Answer a HEAD: the GET's headers without its body."""
        self._answer(head=True)

    def _refuse_method(self) -> None:
        self._set_cookie = False
        self.close_connection = True  # the request's body, if any, is never read
        extra = {"Allow": "GET, HEAD", "Connection": "close"}
        body = _error(405, "METHOD_NOT_ALLOWED", "tracklib ui is read-only: GET only.")
        self._send_json(405, body, head=False, extra=extra)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _answer(self, head: bool) -> None:
        self._set_cookie = self._started = False
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        if not _host_ok(self.server, self.headers.get("Host")):
            self._send_json(403, _error(403, "FORBIDDEN_HOST", "Unknown Host header."), head)
            return
        given = (query.get("token") or [""])[-1]
        from_query = bool(given) and _same(given, self.server.token)
        if not (from_query or self._cookie_ok()):
            message = "Open the URL tracklib ui printed (it carries ?token=...)."
            self._send_json(403, _error(403, "FORBIDDEN", message), head)
            return
        self._set_cookie = from_query
        path = unquote(parts.path)
        if path.startswith("/api/"):
            self._api(path, query, head)
        elif path.startswith("/static/"):
            self._static(path[len("/static/") :], head)
        else:  # the app's routes (/experiments/1, /runs/<id>, /compare?...): one page
            self._static("index.html", head)

    def _cookie_ok(self) -> bool:
        jar = cookies.SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie") or "")
        except cookies.CookieError:
            return False
        morsel = jar.get(COOKIE)
        return morsel is not None and _same(morsel.value, self.server.token)

    def _api(self, path: str, query: dict[str, list[str]], head: bool) -> None:
        if path.startswith("/api/runs/") and path.endswith("/artifact"):
            self._artifact(path[len("/api/runs/") : -len("/artifact")], query, head)
            return
        try:
            body = self.server.api.get(path, query)
        except ApiError as exc:
            self._send_json(exc.status, exc.json(), head)
            return
        except Exception as exc:  # a bug or a store's surprise: an answer, not a dropped line
            self._send_json(
                500, _error(500, "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}"), head
            )
            return
        self._send_json(200, body, head)

    def _artifact(self, run_id: str, query: dict[str, list[str]], head: bool) -> None:
        path = (query.get("path") or [""])[-1]
        try:
            with files.open_artifact(self.server.api.client, run_id, path) as (f, size):
                kind, attach = files.content_type(path)
                headers = {"Content-Type": kind, "Content-Length": str(size)}
                if attach or (query.get("download") or ["0"])[-1] not in ("", "0"):
                    headers["Content-Disposition"] = _attachment(path)
                self._start(200, headers)
                if not head:
                    shutil.copyfileobj(f, self.wfile)
        except TracklibError as exc:
            error = to_api_error(exc)
            self._send_json(error.status, error.json(), head)
        except Exception as exc:
            if self._started:  # mid-body: only dropping the connection tells the browser
                raise
            self._send_json(500, _error(500, "INTERNAL_ERROR", f"{type(exc).__name__}"), head)

    def _static(self, name: str, head: bool) -> None:
        ext = os.path.splitext(name)[1].lower()
        path = os.path.join(STATIC_DIR, name)
        if "/" in name or "\\" in name or name.startswith(".") or ext not in _STATIC_TYPES:
            self._send_json(404, _error(404, "NOT_FOUND", "No such file."), head)
            return
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            self._send_json(404, _error(404, "NOT_FOUND", "No such file."), head)
            return
        headers = {"Content-Type": _STATIC_TYPES[ext], "Content-Length": str(len(data))}
        self._start(200, {**headers, "Cache-Control": "no-cache"})
        if not head:
            self.wfile.write(data)

    def _send_json(
        self, status: int, body: Any, head: bool, extra: dict[str, str] | None = None
    ) -> None:
        data = views.dumps(body)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Content-Length": str(len(data)),
            "Cache-Control": "no-store",
            **(extra or {}),
        }
        self._start(status, headers)
        if not head:
            self.wfile.write(data)

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self._started = True
        self.send_response(status)
        for name, value in {**SECURITY_HEADERS, **headers}.items():
            self.send_header(name, value)
        if getattr(self, "_set_cookie", False):
            self.send_header(
                "Set-Cookie", f"{COOKIE}={self.server.token}; HttpOnly; SameSite=Strict; Path=/"
            )
        self.end_headers()


def _same(given: str, token: str) -> bool:
    """Constant-time comparison; as bytes, since compare_digest refuses non-ASCII text."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return ApiError(status, code, message).json()


def _attachment(path: str) -> str:
    """A Content-Disposition for a download; the name cannot break out of the header (an
    artifact may be named with quotes or line breaks), the exact name goes in ``filename*``.
    """
    name = os.path.basename(path)
    plain = re.sub(r"[^A-Za-z0-9._ -]", "_", name) or "artifact"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
