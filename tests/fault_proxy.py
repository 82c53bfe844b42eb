"""A small fault-injecting HTTP proxy for the remote-tracking tests.

It listens on 127.0.0.1 and forwards each request to an upstream server (the test MLflow
server), after asking a *plan* what to do with it: ``plan(method, path, body) -> Action``.
The plan can be swapped at any time (``proxy.plan = ...``). Actions:

* ``PASS``: forward and relay the answer.
* ``DROP_BEFORE``: close the connection without forwarding (nothing was applied).
* ``DROP_AFTER``: forward, then close without answering (applied, but the answer is lost).
* ``status_after(502)``: forward, then answer 502/504 instead (applied, answer lost).
* ``status_before(503, retry_after=0.2)``: answer at once without forwarding.
* ``slow(seconds)``: wait, then forward.
* ``HOLD``: block until :meth:`FaultProxy.release` (bounded by ``max_hold``), then forward.

Every request is counted per path and recorded with the action taken and the
``Authorization`` header it carried. The proxy is silent (nothing on stderr) and bounded:
:meth:`FaultProxy.close` releases held requests and stops the server.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
    }
)


@dataclass(frozen=True)
class Action:
    """What the proxy does with one request (see the module docstring)."""

    kind: str
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0


PASS = Action("pass")
DROP_BEFORE = Action("drop_before")
DROP_AFTER = Action("drop_after")
HOLD = Action("hold")


def status_after(status: int) -> Action:
    """Forward, then answer ``status`` (the server applied the request; the answer is lost)."""
    return Action("status_after", status=status)


def status_before(status: int, retry_after: float | None = None) -> Action:
    """Answer ``status`` (with ``Retry-After`` when given) without forwarding."""
    return Action("status_before", status=status, retry_after=retry_after)


def slow(seconds: float) -> Action:
    """Wait ``seconds``, then forward."""
    return Action("slow", seconds=seconds)


Plan = Callable[[str, str, bytes], Action]


def always(action: Action) -> Plan:
    """A plan that applies ``action`` to every request."""
    return lambda method, path, body: action


@dataclass(frozen=True)
class Record:
    """One request the proxy saw."""

    method: str
    path: str
    action: str
    authorization: str | None
    body: bytes


class FaultProxy:
    """A running proxy in front of ``upstream`` (``http://host:port``).

    Args:
        upstream: The server to forward to.
        port: Port to listen on (0: a free one).
        max_hold: Longest a ``HOLD`` blocks, whatever happens (keeps every test bounded).
        tls: ``(certificate, key)`` PEM files: serve HTTPS with them (the upstream stays
            plain HTTP), as a TLS-terminating load balancer in front of MLflow does.
    """

    def __init__(
        self,
        upstream: str,
        port: int = 0,
        max_hold: float = 60.0,
        tls: tuple[str, str] | None = None,
    ) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.max_hold = max_hold
        self.plan: Plan = always(PASS)
        self.records: list[Record] = []
        self.counts: Counter[str] = Counter()
        self.held = 0  # requests blocked in HOLD right now
        self._forwarded = 0
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ control
    def hold(self) -> None:
        """Make every following request block until :meth:`release`."""
        self._released.clear()
        self.plan = always(HOLD)

    def release(self) -> None:
        """Let held requests through and forward everything from now on."""
        self.plan = always(PASS)
        self._released.set()

    def close(self) -> None:
        """Release held requests and stop listening (idempotent)."""
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ queries
    def count(self, suffix: str, action: str | None = None) -> int:
        """How many requests to a path ending in ``suffix`` (optionally with that action)."""
        with self._lock:
            return sum(
                1
                for r in self.records
                if r.path.endswith(suffix) and (action is None or r.action == action)
            )

    def forwarded(self) -> int:
        """How many requests reached the upstream server so far (held ones not yet)."""
        with self._lock:
            return self._forwarded

    # ------------------------------------------------------------------ internals
    def _record(
        self, method: str, path: str, action: Action, auth: str | None, body: bytes
    ) -> None:
        with self._lock:
            self.records.append(Record(method, path, action.kind, auth, body))
            self.counts[path] += 1

    def _forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Any:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            headers = {**headers, "Host": f"{self.upstream_host}:{self.upstream_port}"}
            conn.request(method, target, body=body or None, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            with self._lock:
                self._forwarded += 1
            return response.status, response.getheaders(), payload
        finally:
            conn.close()

    def _wait_released(self) -> None:
        with self._lock:
            self.held += 1
        try:
            self._released.wait(self.max_hold)
        finally:
            with self._lock:
                self.held -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silence: a dropped connection is the point of many tests."""


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real server

        def log_message(self, format: str, *args: Any) -> None:
            """Silence (the tests read stderr)."""

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                parts: list[bytes] = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            body = self._body()
            path = urlsplit(self.path).path
            action = proxy.plan(self.command, path, body)
            proxy._record(self.command, path, action, self.headers.get("Authorization"), body)
            if action.kind == "drop_before":
                return self._drop()
            if action.kind == "status_before":
                extra = (
                    []
                    if action.retry_after is None
                    else [("Retry-After", f"{action.retry_after:g}")]
                )
                text = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "proxy says wait"}'
                return self._answer(
                    action.status, [("Content-Type", "application/json"), *extra], text
                )
            if action.kind == "slow":
                time.sleep(action.seconds)
            if action.kind == "hold":
                proxy._wait_released()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            try:
                status, reply_headers, payload = proxy._forward(
                    self.command, self.path, headers, body
                )
            except OSError:
                return self._drop()
            if action.kind == "drop_after":
                return self._drop()
            if action.kind == "status_after":
                return self._answer(
                    action.status, [("Content-Type", "text/html")], b"<h1>Bad Gateway</h1>"
                )
            return self._answer(status, reply_headers, payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    return Handler
