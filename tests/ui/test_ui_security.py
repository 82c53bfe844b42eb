"""``tracklib ui``'s security model on a real server: token and cookie, Host header, read-only
methods, headers, artifact confinement, and hostile values kept as inert JSON text.

(That hostile values do not execute in a browser is tests/ui/test_ui_browser.py's part.)
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
import ui_store

from tracklib.ui import server
from tracklib.ui.server import COOKIE, UIServer


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ui_store.Store:
    return ui_store.build(tmp_path_factory.mktemp("ui-security"))


@pytest.fixture(scope="module")
def ui(store: ui_store.Store) -> Iterator[UIServer]:
    srv = server.start(store.uri)
    yield srv
    srv.close()


def raw(
    ui: UIServer, method: str, target: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request with exactly these headers (requests would add or fix some)."""
    conn = http.client.HTTPConnection("127.0.0.1", ui.port, timeout=10)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": f"127.0.0.1:{ui.port}", **(headers or {})}.items():
            conn.putheader(name, value)
        conn.endheaders()
        reply = conn.getresponse()
        return reply.status, dict(reply.getheaders()), reply.read()
    finally:
        conn.close()


def authed(ui: UIServer, target: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return raw(ui, "GET", target, {"Cookie": f"{COOKIE}={ui.token}", **headers})


# ------------------------------------------------------------------ token and cookie
@pytest.mark.parametrize("target", ["/", "/api/health", "/api/experiments", "/static/app.js"])
def test_no_token_is_403(ui: UIServer, target: str) -> None:
    status, _, body = raw(ui, "GET", target)
    assert status == 403 and b"FORBIDDEN" in body
    assert b"<html" not in body and b"experiment_id" not in body and b"function" not in body


@pytest.mark.parametrize(
    "headers, query",
    [
        ({}, "?token=wrong"),
        ({"Cookie": f"{COOKIE}=wrong"}, ""),
        ({"Cookie": "other=1"}, ""),
        ({"Cookie": f"{COOKIE}="}, "?token="),
        ({"Cookie": f"{COOKIE}=%C3%A9"}, "?token=%C3%A9"),  # non-ASCII: still a plain 403
    ],
)
def test_wrong_token_or_cookie_is_403(ui: UIServer, headers: dict[str, str], query: str) -> None:
    assert raw(ui, "GET", "/api/health" + query, headers)[0] == 403


def test_token_sets_a_strict_cookie_that_then_suffices(ui: UIServer) -> None:
    status, headers, _ = raw(ui, "GET", f"/?token={ui.token}")
    assert status == 200
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}={ui.token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    session = requests.Session()
    assert session.get(ui.url, timeout=10).status_code == 200
    assert session.get(ui.base + "/api/health", timeout=10).json() == {"ok": True}
    assert requests.get(ui.base + "/api/health", timeout=10).status_code == 403  # no cookie


# ------------------------------------------------------------------ Host header
@pytest.mark.parametrize(
    "host", ["evil.example:80", "evil.example", "127.0.0.1:1", "127.0.0.1.evil.example", ""]
)
def test_foreign_host_is_403_even_with_the_token(ui: UIServer, host: str) -> None:
    status, _, body = raw(ui, "GET", f"/api/health?token={ui.token}", {"Host": host})
    assert status == 403 and b"FORBIDDEN_HOST" in body


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_local_names_are_accepted(ui: UIServer, host: str) -> None:
    assert authed(ui, "/api/health", Host=f"{host}:{ui.port}")[0] == 200


# ------------------------------------------------------------------ read-only
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(ui: UIServer, method: str) -> None:
    status, headers, _ = raw(ui, method, f"/api/experiments?token={ui.token}")
    assert status == 405 and headers["Allow"] == "GET, HEAD"


def test_security_headers_on_every_answer(ui: UIServer, store: ui_store.Store) -> None:
    answers = [
        raw(ui, "GET", "/"),  # 403
        authed(ui, "/"),  # 200 page
        authed(ui, "/api/experiments"),  # 200 JSON
        authed(ui, "/api/runs/" + "0" * 32),  # 404
        raw(ui, "POST", "/"),  # 405
        authed(ui, f"/api/runs/{store.hostile}/artifact?path=notes/readme.txt"),
    ]
    for _, headers, _ in answers:
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp


# ------------------------------------------------------------------ confinement
@pytest.mark.parametrize(
    "path",
    [
        "../meta.yaml",
        "..%2Fmeta.yaml",
        "notes/../../meta.yaml",
        "notes/..%2F..%2Fmeta.yaml",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "..\\meta.yaml",
        "leak.txt",  # a symlink to a file outside the run
        "updir/secret.txt",  # through a symlinked folder
        "notes",  # a folder is not a file
        "",
        "nothing.txt",
    ],
)
def test_artifact_file_confined_to_the_run(ui: UIServer, store: ui_store.Store, path: str) -> None:
    status, _, body = authed(ui, f"/api/runs/{store.hostile}/artifact?path={path}")
    assert status == 404
    assert b"top secret" not in body and b"artifact_uri" not in body


@pytest.mark.parametrize("path", ["..", "../..", "/etc", "updir", "notes/../.."])
def test_artifact_listing_confined_to_the_run(
    ui: UIServer, store: ui_store.Store, path: str
) -> None:
    status, _, body = authed(ui, f"/api/runs/{store.hostile}/artifacts?path={path}")
    assert status == 404, body
    assert b"secret.txt" not in body and b"meta.yaml" not in body


def test_metric_key_cannot_leave_the_metrics_folder(ui: UIServer, store: ui_store.Store) -> None:
    run_id = next(iter(store.children))
    for key in ("../params/lr", "..%2Fparams%2Flr", "/etc/passwd"):
        status, _, body = authed(ui, f"/api/runs/{run_id}/history?key={key}")
        assert status == 400, body
    status, _, _ = authed(ui, "/api/runs/..%2F..%2Fx/history?key=loss")
    assert status in (400, 404)


@pytest.mark.parametrize(
    "name", ["..%2Fserver.py", "%2E%2E/server.py", ".hidden.js", "x/../app.js"]
)
def test_static_files_confined(ui: UIServer, name: str) -> None:
    status, _, body = authed(ui, f"/static/{name}")
    assert status == 404 and b"import" not in body


# ------------------------------------------------------------------ hostile values
def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def test_hostile_values_are_escaped_json(ui: UIServer, store: ui_store.Store) -> None:
    for target in (
        f"/api/runs/{store.hostile}",
        f"/api/experiments/{store.other_id}/runs",
        f"/api/compare?runs={store.hostile},{store.parent}",
    ):
        status, headers, body = authed(ui, target)
        assert status == 200 and headers["Content-Type"] == "application/json; charset=utf-8"
        assert b"<" not in body and b">" not in body  # no markup, even if sniffed or inlined
        strings = _strings(json.loads(body))
        for value in ui_store.HOSTILE:
            assert value in strings  # the same text comes back, only escaped


def test_artifact_name_cannot_inject_a_header(ui: UIServer, store: ui_store.Store) -> None:
    target = f"/api/runs/{store.hostile}/artifact?path={quote(ui_store.EVIL_NAME)}"
    status, headers, body = authed(ui, target)
    assert status == 200 and body == b"x\n"
    assert "X-Injected" not in headers
    disposition = headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.endswith("filename*=UTF-8''" + quote(ui_store.EVIL_NAME, safe=""))
