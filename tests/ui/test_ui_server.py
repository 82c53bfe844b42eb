"""``tracklib ui``'s JSON API, static pages and ``tracklib report``, on a real server and store.

The store is logged by :mod:`ui_store` through tracklib's API; each answer is checked against
what was logged there.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import ui_store
from mlflow_server import MlflowServer

import tracklib
import tracklib.cli.entry
from tracklib import Client
from tracklib.errors import InvalidInputError
from tracklib.ui import api, report, server
from tracklib.ui.server import UIServer

pytest_plugins = ["conftest_server"]
STATIC = Path(server.STATIC_DIR)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ui_store.Store:
    return ui_store.build(tmp_path_factory.mktemp("ui-store"))


@pytest.fixture(scope="module")
def ui(store: ui_store.Store) -> Iterator[UIServer]:
    srv = server.start(store.uri)
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def http(ui: UIServer) -> requests.Session:
    session = requests.Session()
    assert session.get(ui.url, timeout=10).status_code == 200  # sets the cookie
    return session


def get(http: requests.Session, ui: UIServer, endpoint: str, /, **params: Any) -> Any:
    reply = http.get(ui.base + endpoint, params=params, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    return reply.json()


def error(
    http: requests.Session, ui: UIServer, endpoint: str, status: int, /, **params: Any
) -> Any:
    reply = http.get(ui.base + endpoint, params=params, timeout=30)
    assert reply.status_code == status, reply.text
    return reply.json()["error"]


# ------------------------------------------------------------------ experiments and runs
def test_experiments_counts_and_activity(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    found = {e["name"]: e for e in get(http, ui, "/api/experiments")["experiments"]}
    assert {"Default", "sweep", "other"} <= set(found)
    sweep = found["sweep"]
    assert sweep["experiment_id"] == store.sweep_id
    assert sweep["run_count"] == 1 + len(store.children)
    assert sweep["active_runs"] == 1  # the last child was left RUNNING
    assert sweep["tags"] == {"team": "ml"}
    assert sweep["run_count_capped"] is False
    runs = Client(store.uri).search_runs([store.sweep_id])
    latest = max(t for r in runs for t in (r.info.start_time, r.info.end_time) if t)
    assert sweep["last_activity"] >= latest


def test_runs_of_an_experiment(http: requests.Session, ui: UIServer, store: ui_store.Store) -> None:
    answer = get(http, ui, f"/api/experiments/{store.sweep_id}/runs")
    runs = {r["run_id"]: r for r in answer["runs"]}
    assert set(runs) == {store.parent, *store.children}
    assert answer["param_keys"] == ["batch", "grid", "lr"]
    assert answer["metric_keys"] == ["accuracy", "loss"]
    assert answer["truncated"] is False
    for run_id, lr in store.children.items():
        run = runs[run_id]
        assert run["parent_run_id"] == store.parent
        assert run["params"] == {"lr": str(lr), "batch": "32"}
        assert run["metrics"]["loss"] == store.losses[run_id][-1][2]
        assert run["tags"] == {"seed": "7"}  # mlflow.* tags are not user tags
    assert runs[store.parent]["parent_run_id"] is None
    statuses = [runs[i]["status"] for i in store.children]
    assert statuses.count("RUNNING") == 1 and statuses.count("FINISHED") == 3


def test_runs_filter_order_and_limit(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    path = f"/api/experiments/{store.sweep_id}/runs"
    filtered = get(http, ui, path, filter="params.lr = '0.01'")
    assert [r["params"]["lr"] for r in filtered["runs"]] == ["0.01"]
    assert filtered["experiment"]["run_count"] == 1 + len(store.children)  # not the filter's
    ordered = get(http, ui, path, filter="metrics.loss > 0", order_by="metrics.loss DESC")["runs"]
    expected = sorted(store.children, key=lambda i: store.losses[i][-1][2], reverse=True)
    assert [r["run_id"] for r in ordered] == expected
    cut = get(http, ui, path, max_results="2")
    assert len(cut["runs"]) == 2 and cut["truncated"] is True
    assert cut["experiment"]["run_count"] == 1 + len(store.children)


@pytest.mark.parametrize(
    "bad, at",
    [
        ("metrics.loss <> 1", "<>"),
        ("params.lr = '0.1' AND bogus.x = '1'", "bogus"),
        ("metrics.loss < 'a'", "'a'"),
    ],
)
def test_bad_filter_is_400_with_position(
    http: requests.Session, ui: UIServer, store: ui_store.Store, bad: str, at: str
) -> None:
    err = error(http, ui, f"/api/experiments/{store.sweep_id}/runs", 400, filter=bad)
    assert err["code"] == "INVALID_FILTER"
    assert err["position"] == bad.index(at)
    assert "position" in err["message"]


def test_bad_order_by_is_its_own_error(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    path = f"/api/experiments/{store.sweep_id}/runs"
    err = error(http, ui, path, 400, order_by="metrics.loss SIDEWAYS")
    assert err["code"] == "INVALID_ORDER_BY"
    assert err["position"] == len("metrics.loss ")


def test_unknown_experiment_and_run_are_404(http: requests.Session, ui: UIServer) -> None:
    assert error(http, ui, "/api/experiments/987654/runs", 404)["code"] == "NOT_FOUND"
    assert error(http, ui, "/api/runs/" + "f" * 32, 404)["code"] == "NOT_FOUND"
    assert error(http, ui, "/api/nothing/here", 404)["code"] == "NOT_FOUND"
    missing = "/api/runs/" + "f" * 32
    assert error(http, ui, missing + "/history", 404, key="loss")["code"] == "NOT_FOUND"
    assert error(http, ui, missing + "/artifacts", 404)["code"] == "NOT_FOUND"
    assert error(http, ui, missing + "/environment", 404)["code"] == "NOT_FOUND"
    assert http.get(ui.base + missing + "/artifact?path=a.txt", timeout=10).status_code == 404


# ------------------------------------------------------------------ one run
def test_run_detail_and_children(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    answer = get(http, ui, f"/api/runs/{store.parent}")
    assert answer["run"]["run_name"] == "sweep"
    assert answer["run"]["params"] == {"grid": "lr"}
    assert answer["run"]["experiment_id"] == store.sweep_id
    assert answer["experiment"] == {"experiment_id": store.sweep_id, "name": "sweep"}
    assert {c["run_id"] for c in answer["children"]} == set(store.children)
    hostile = get(http, ui, f"/api/runs/{store.hostile}")
    assert hostile["run"]["description"] == ui_store.HOSTILE[2]
    assert hostile["run"]["system_tags"]["mlflow.note.content"] == ui_store.HOSTILE[2]
    assert hostile["metric_keys"] == ["odd"]
    assert hostile["children"] == []


def test_history_small_is_exact(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    run_id = next(iter(store.children))
    answer = get(http, ui, f"/api/runs/{run_id}/history", key="loss")
    assert answer["total"] == 10 and answer["downsampled"] is False
    assert [tuple(p) for p in answer["points"]] == store.losses[run_id]
    odd = get(http, ui, f"/api/runs/{store.hostile}/history", key="odd")
    assert [p[2] for p in odd["points"]] == ["NaN", "Infinity", "-Infinity"]
    assert get(http, ui, f"/api/runs/{run_id}/history", key="never")["points"] == []


def test_history_downsampled_keeps_extremes(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    answer = get(http, ui, f"/api/runs/{store.long}/history", key="wave", max_points="300")
    points = answer["points"]
    n = store.long_points
    assert answer["total"] == n and answer["downsampled"] is True
    assert 100 < len(points) <= 300
    assert points[0][0] == 0 and points[-1][0] == n - 1
    values = [p[2] for p in points]
    assert ui_store.SPIKE in values and -ui_store.SPIKE in values
    assert [p[0] for p in points] == sorted(p[0] for p in points)
    default = get(http, ui, f"/api/runs/{store.long}/history", key="wave")
    assert len(default["points"]) <= 2000


def test_history_bad_parameters(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    path = f"/api/runs/{store.long}/history"
    assert error(http, ui, path, 400)["code"] == "INVALID_PARAMETER"  # no key
    assert error(http, ui, path, 400, key="wave", max_points="x")["code"] == "INVALID_PARAMETER"
    capped = get(http, ui, path, key="wave", max_points="999999")
    assert len(capped["points"]) <= 10000


def test_artifacts_listing_and_files(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    top = get(http, ui, f"/api/runs/{store.hostile}/artifacts")
    entries = {f["path"]: f for f in top["files"]}
    assert entries["notes"]["is_dir"] is True
    assert entries["config.json"]["file_size"] == len(json.dumps({"a": 1}, indent=2))
    inner = get(http, ui, f"/api/runs/{store.hostile}/artifacts", path="notes")
    assert [f["path"] for f in inner["files"]] == ["notes/readme.txt"]
    base = f"{ui.base}/api/runs/{store.hostile}/artifact"
    text = http.get(base, params={"path": "notes/readme.txt"}, timeout=10)
    assert text.content == b"hello <b>world</b>\n"
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert "Content-Disposition" not in text.headers
    png = http.get(base, params={"path": "images/dot.png"}, timeout=10)
    assert png.content == ui_store.PNG and png.headers["Content-Type"] == "image/png"
    page = http.get(base, params={"path": "page.html"}, timeout=10)
    assert page.headers["Content-Type"].startswith("text/plain")  # never rendered as HTML
    svg = http.get(base, params={"path": "pic.svg"}, timeout=10)
    assert svg.headers["Content-Disposition"].startswith("attachment")
    down = http.get(base, params={"path": "config.json", "download": "1"}, timeout=10)
    assert down.headers["Content-Disposition"].startswith('attachment; filename="config.json"')
    assert down.json() == {"a": 1}


def test_environment(http: requests.Session, ui: UIServer, store: ui_store.Store) -> None:
    answer = get(http, ui, f"/api/runs/{store.env_runs[0]}/environment")
    assert answer["available"] is True
    assert answer["summary"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert answer["summary"]["packages_count"] > 0
    assert "requests==" in answer["requirements"]
    assert answer["raw"]["python"]["version"] == answer["summary"]["python"]
    none = get(http, ui, f"/api/runs/{store.parent}/environment")
    assert none["available"] is False


def test_compare(http: requests.Session, ui: UIServer, store: ui_store.Store) -> None:
    ids = [*list(store.children)[:2], store.env_runs[0]]
    answer = get(http, ui, "/api/compare", runs=",".join(ids))
    assert [r["run_id"] for r in answer["runs"]] == ids
    assert answer["param_keys"] == ["batch", "lr", "which"]
    assert answer["differing_params"] == ["batch", "lr", "which"]
    same = get(http, ui, "/api/compare", runs=",".join(list(store.children)[:2]))
    assert same["differing_params"] == ["lr"]
    assert same["metric_keys"] == ["accuracy", "loss"]
    assert [d["b"] for d in answer["env_diff"]] == ids[1:]
    assert "no recorded environment" in answer["env_diff"][0]["lines"][0]
    envs = get(http, ui, "/api/compare", runs=",".join(store.env_runs))
    assert envs["env_diff"] == [{"a": store.env_runs[0], "b": store.env_runs[1], "lines": []}]


def test_compare_needs_2_to_20_runs(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    assert error(http, ui, "/api/compare", 400, runs=store.parent)["code"] == "INVALID_PARAMETER"
    many = ",".join(f"{i:032x}" for i in range(21))
    assert error(http, ui, "/api/compare", 400, runs=many)["code"] == "INVALID_PARAMETER"
    missing = f"{store.parent},{'e' * 32}"
    assert error(http, ui, "/api/compare", 404, runs=missing)["code"] == "NOT_FOUND"


# ------------------------------------------------------------------ pages
def test_static_files_and_app_routes(http: requests.Session, ui: UIServer) -> None:
    index = (STATIC / "index.html").read_bytes()
    for path in ("/", "/experiments/1", f"/runs/{'a' * 32}", "/compare?runs=a,b"):
        page = http.get(ui.base + path, timeout=10)
        assert page.status_code == 200 and page.content == index
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    script = http.get(ui.base + "/static/app.js", timeout=10)
    assert script.content == (STATIC / "app.js").read_bytes()
    assert script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert http.get(ui.base + "/static/nope.js", timeout=10).status_code == 404
    assert get(http, ui, "/api/health") == {"ok": True}
    head = http.head(ui.base + "/api/health", timeout=10)
    assert head.status_code == 200 and head.content == b""


# ------------------------------------------------------------------ report
def _data_block(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script id="tracklib-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert match is not None
    assert "</" not in match.group(1)
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_report_is_self_contained(store: ui_store.Store, tmp_path: Path) -> None:
    ids = [*list(store.children)[:2], store.hostile]
    out = tmp_path / "report.html"
    assert tracklib.cli.main(["report", *ids, "-o", str(out), "--tracking-uri", store.uri]) == 0
    html = out.read_text()
    assert (STATIC / "style.css").read_text().strip()[:200] in html
    names = re.findall(
        r'<script src="/static/([^"]+)"></script>', (STATIC / "index.html").read_text()
    )
    assert "app.js" in names and "charts.js" in names
    for name in names:
        code = (STATIC / name).read_text().replace("</script", "<\\/script")
        code = code.replace("<!--", "<\\!--")
        assert code in html
    assert 'src="/static/' not in html and 'href="/static/' not in html
    data = _data_block(html)
    assert data["mode"] == "report" and data["route"] == f"/compare?runs={','.join(ids)}"
    compare = data["responses"][f"/api/compare?runs={','.join(ids)}"]
    assert [r["run_id"] for r in compare["runs"]] == ids
    assert compare["runs"][2]["tags"]["evil0"] == ui_store.HOSTILE[0]
    first = ids[0]
    loss = data["responses"][f"/api/runs/{first}/history?key=loss&max_points=2000"]
    assert [tuple(p) for p in loss["points"]] == store.losses[first]
    assert html.count("</script>") == 1 + len(names)  # the data and each script: none broke out


def test_report_by_experiment_and_filter(store: ui_store.Store, tmp_path: Path) -> None:
    client = Client(store.uri)
    out = str(tmp_path / "r.html")
    runs = report.write_report(client, out, experiment="sweep", filter_string="params.lr != '0.1'")
    assert {r.info.run_id for r in runs} == {i for i, lr in store.children.items() if lr != 0.1}
    with pytest.raises(InvalidInputError, match="2 to 20 runs"):
        report.write_report(client, out, run_refs=[store.parent])
    with pytest.raises(InvalidInputError, match="not both"):
        report.write_report(client, out, run_refs=[store.parent], experiment="sweep")
    with pytest.raises(InvalidInputError, match="position"):
        report.write_report(client, out, experiment="sweep", filter_string="metrics.x <")


# ------------------------------------------------------------------ the command
def test_cli_ui_serves_and_stops_cleanly(store: ui_store.Store) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(tracklib.__file__).parents[1])}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracklib",
            "ui",
            "--tracking-uri",
            store.uri,
            "--port",
            "0",
            "--no-browser",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = re.fullmatch(r"tracklib ui: (http://127\.0\.0\.1:\d+/\?token=\S+)\n", line)
        assert url is not None, line
        page = requests.get(url.group(1), timeout=10)
        assert page.status_code == 200 and "tracklib_ui_token" in page.headers["Set-Cookie"]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert "warning" not in err


def test_cli_ui_ctrl_c_right_after_start(store: ui_store.Store) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(tracklib.__file__).parents[1])}
    for _ in range(3):  # the interrupt lands somewhere in the start-up each time
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracklib", "ui", "--tracking-uri", store.uri, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "DISPLAY": "", "WAYLAND_DISPLAY": ""},
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("tracklib ui: http://127.0.0.1:")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 0 and "Traceback" not in err, err


def test_exposed_host_warns_and_checks_host_names() -> None:
    """Without binding every interface (tests bind 127.0.0.1 only): the warning, and the
    Host rule a wildcard-bound server applies."""
    from types import SimpleNamespace

    from tracklib.cli import uiverbs as ui_cli
    from tracklib.ui.server import _host_ok

    for host in ("0.0.0.0", "::"):
        warning = ui_cli.exposure_warning(host)
        assert warning is not None and "warning" in warning and host in warning
    assert ui_cli.exposure_warning("127.0.0.1") is None
    wildcard = SimpleNamespace(allowed_hosts=None, port=8080, own_names=frozenset({"myhost"}))
    for ok in ("10.1.2.3:8080", "[::1]:8080", "myhost:8080", "MYHOST:8080"):
        assert _host_ok(wildcard, ok), ok  # type: ignore[arg-type]
    bad_names = ("evil.example:8080", "10.1.2.3:80", "myhost", "", "10.1.2.3.evil.example:8080")
    for bad in (*bad_names, "bad.cafe:8080", "dead.beef:8080"):  # hex-looking domains
        assert not _host_ok(wildcard, bad), bad  # type: ignore[arg-type]


# ------------------------------------------------------------------ a remote MLflow server
def test_over_a_remote_mlflow_server(
    mlflow_server: MlflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client(mlflow_server.url)
    experiment_id = client.create_experiment(f"ui-remote-{time.time_ns()}")
    run = client.create_run(experiment_id, run_name="remote")
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[tracklib.Metric("m", float(s), 1000 + s, s) for s in range(5)],
        params=[tracklib.Param("p", "1")],
    )
    client.log_text(run_id, "remote text", "dir/a.txt")
    with tracklib.start_run(capture_env=True) as local:  # a snapshot to copy over
        pass
    local_env = Path(Client().download_artifacts(local.info.run_id, "environment"))
    client.log_artifacts(run_id, local_env, "environment")
    client.set_terminated(run_id)
    temp_before = set(Path(tempfile.gettempdir()).glob("tracklib-*"))
    srv = server.start(mlflow_server.url)
    try:
        http = requests.Session()
        http.get(srv.url, timeout=10)
        runs = get(http, srv, f"/api/experiments/{experiment_id}/runs")["runs"]
        assert [r["params"] for r in runs] == [{"p": "1"}]
        client.create_run(experiment_id, run_name="second")
        monkeypatch.setattr(api, "REMOTE_COUNT", 1)  # counting stops early on a server
        listed = get(http, srv, "/api/experiments")["experiments"]
        mine = next(e for e in listed if e["experiment_id"] == experiment_id)
        assert mine["run_count"] == 1 and mine["run_count_capped"] is True
        history = get(http, srv, f"/api/runs/{run_id}/history", key="m")
        assert [p[2] for p in history["points"]] == [0.0, 1.0, 2.0, 3.0, 4.0]
        err = error(http, srv, f"/api/experiments/{experiment_id}/runs", 400, filter="params.p ==")
        assert err["position"] == len("params.p ")
        listing = get(http, srv, f"/api/runs/{run_id}/artifacts", path="dir")
        assert [f["path"] for f in listing["files"]] == ["dir/a.txt"]
        body = http.get(
            f"{srv.base}/api/runs/{run_id}/artifact", params={"path": "dir/a.txt"}, timeout=10
        )
        assert body.content == b"remote text"
        for _ in range(2):
            env = get(http, srv, f"/api/runs/{run_id}/environment")
            assert env["available"] is True
            assert env["requirements"] == (local_env / "requirements.txt").read_text()
        new = set(Path(tempfile.gettempdir()).glob("tracklib-*")) - temp_before
        assert not [d for d in new if (d / "environment").is_dir()]  # the copies were removed
        escape = http.get(
            f"{srv.base}/api/runs/{run_id}/artifact", params={"path": "../../x"}, timeout=10
        )
        assert escape.status_code == 404
    finally:
        srv.close()


def test_spool_option_reads_the_local_spool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklib.cli import uiverbs as ui_cli
    from tracklib.remote import spool as remote

    monkeypatch.setenv(remote.SPOOL_DIR_VAR, str(tmp_path / "spools"))
    server_uri = "http://127.0.0.1:9"  # never contacted: the spool is a local file store
    spool = ui_cli.store_uri(server_uri, spool=True)
    assert spool == remote.spool_path(server_uri)
    client = Client(spool)
    run_id = client.create_run("0", run_name="spooled").info.run_id
    srv = server.start(spool)
    try:
        http = requests.Session()
        http.get(srv.url, timeout=10)
        assert get(http, srv, f"/api/runs/{run_id}")["run"]["run_name"] == "spooled"
    finally:
        srv.close()
    assert ui_cli.store_uri(str(tmp_path), spool=False) == str(tmp_path)
    with pytest.raises(InvalidInputError, match="--spool"):
        ui_cli.store_uri(str(tmp_path), spool=True)


def test_port_taken(store: ui_store.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracklib.cli import uiverbs as ui_cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        monkeypatch.setattr(ui_cli, "DEFAULT_PORT", port)
        srv = ui_cli._bind(UIServer, Client(store.uri), "127.0.0.1", None)  # the default
        try:
            assert srv.port != port  # fell back to a free port
        finally:
            srv.server_close()
        with pytest.raises(InvalidInputError, match="--port"):
            ui_cli._bind(UIServer, Client(store.uri), "127.0.0.1", port)  # chosen: an error


def test_live_run_new_points_are_served(
    http: requests.Session, ui: UIServer, store: ui_store.Store
) -> None:
    client = Client(store.uri)
    run_id = client.create_run(store.other_id, run_name="live").info.run_id
    client.log_batch(run_id, metrics=[tracklib.Metric("live", 1.0, 5000 + s, s) for s in range(3)])
    first = get(http, ui, f"/api/runs/{run_id}/history", key="live")
    assert first["total"] == 3
    assert get(http, ui, f"/api/runs/{run_id}")["run"]["metrics"] == {"live": 1.0}
    client.log_metric(run_id, "live", 2.0, step=3)
    again = get(http, ui, f"/api/runs/{run_id}/history", key="live")
    assert again["total"] == 4 and again["points"][-1][2] == 2.0
    detail = get(http, ui, f"/api/runs/{run_id}")
    assert detail["run"]["metrics"] == {"live": 2.0} and detail["run"]["status"] == "RUNNING"


def test_concurrent_requests(http: requests.Session, ui: UIServer, store: ui_store.Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    cookies = http.cookies.get_dict()
    targets = [
        "/api/experiments",
        f"/api/experiments/{store.sweep_id}/runs",
        f"/api/runs/{store.long}/history?key=wave&max_points=500",
        f"/api/runs/{store.parent}",
        f"/api/compare?runs={','.join(store.children)}",
        "/",
    ] * 5

    def fetch(target: str) -> tuple[str, bytes]:
        reply = requests.get(ui.base + target, cookies=cookies, timeout=60)
        assert reply.status_code == 200, reply.text
        return target, reply.content

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(fetch, targets))
    by_target: dict[str, set[bytes]] = {}
    for target, body in answers:
        by_target.setdefault(target, set()).add(body)
    assert all(len(bodies) == 1 for bodies in by_target.values())  # the same answer each time
