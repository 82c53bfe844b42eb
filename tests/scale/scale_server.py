"""An ``mlflow server --workers 4`` on a PostgreSQL backend that can be restarted on its port."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: the server helpers

from mlflow_server import MlflowServer, launch
from postgres_server import PostgresServer

WORKERS = 4


class ScaleServer:
    """An ``mlflow server`` on PostgreSQL that can be restarted on the same port."""

    def __init__(self, postgres: PostgresServer, workdir: Path) -> None:
        self.postgres = postgres
        self.workdir = workdir
        self.server: MlflowServer = self._launch(None)
        self.url = self.server.url
        self.port = int(self.url.rsplit(":", 1)[1])

    def _launch(self, port: int | None) -> MlflowServer:
        server = launch(self.workdir, backend_uri=self.postgres.uri, workers=WORKERS, port=port)
        try:
            server.wait_healthy()
        except BaseException:  # unhealthy, or interrupted: leave no server behind
            server.stop()
            raise
        return server

    def stop(self) -> None:
        """Stop the mlflow server (PostgreSQL keeps running)."""
        self.server.stop()

    def start(self) -> None:
        """Start the mlflow server again where it was."""
        self.server = self._launch(self.port)
