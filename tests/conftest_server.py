"""Pytest plugin: session-wide ``mlflow server`` fixtures (load it with
``pytest_plugins = ["conftest_server"]`` in a test module).

* ``mlflow_server``: artifacts served through the ``mlflow-artifacts`` proxy.
* ``mlflow_server_no_artifacts``: started with ``--no-serve-artifacts``.

Each server starts at most once per session. When the first one is needed, every server that
some collected test asks for is launched at the same time, so their ~15 s startups overlap.
All of them are stopped when the session ends.
"""

from __future__ import annotations

import atexit

import pytest
from mlflow_server import MlflowServer, launch

_FIXTURES = {"mlflow_server": True, "mlflow_server_no_artifacts": False}
_servers: dict[str, MlflowServer] = {}


def _server(
    name: str, request: pytest.FixtureRequest, factory: pytest.TempPathFactory
) -> MlflowServer:
    wanted = {
        fixture
        for item in request.session.items
        for fixture in getattr(item, "fixturenames", ())
        if fixture in _FIXTURES
    } | {name}
    for fixture in sorted(wanted - set(_servers)):
        _servers[fixture] = launch(factory.mktemp(fixture), serve_artifacts=_FIXTURES[fixture])
    server = _servers[name]
    try:
        server.wait_healthy()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    return server


@pytest.fixture(scope="session")
def mlflow_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> MlflowServer:
    """A running ``mlflow server`` that serves artifacts (sqlite backend, temp folders)."""
    return _server("mlflow_server", request, tmp_path_factory)


@pytest.fixture(scope="session")
def mlflow_server_no_artifacts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> MlflowServer:
    """A running ``mlflow server --no-serve-artifacts``."""
    return _server("mlflow_server_no_artifacts", request, tmp_path_factory)


def _stop_all() -> None:
    while _servers:
        _servers.popitem()[1].stop()


atexit.register(_stop_all)  # also if the session dies before pytest_sessionfinish


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop every server this plugin launched, whatever happened."""
    _stop_all()
