"""Session fixtures of the scale tests: PostgreSQL and an ``mlflow server --workers 4`` on it.

Kept in this folder so that only the scale tests pay for them. Where no PostgreSQL can be had,
every test here skips with the one reason :mod:`postgres_server` gives.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the server helpers
sys.path.insert(0, str(Path(__file__).resolve().parent))

from postgres_server import PostgresServer, PostgresUnavailable, remove, start_postgres
from scale_server import ScaleServer


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server with an empty ``mlflow`` database, for the whole session."""
    try:
        server = start_postgres()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL for the scale tests: {exc}")
    yield server
    remove(server)


@pytest.fixture(scope="session")
def scale_server(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ScaleServer]:
    """``mlflow server --workers 4`` on PostgreSQL, artifacts proxied into a temp folder."""
    try:
        server = ScaleServer(postgres, tmp_path_factory.mktemp("scale-server"))
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()
