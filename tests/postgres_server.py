"""A throwaway PostgreSQL server for tests and benchmarks: a temporary data folder, a free
127.0.0.1 port, its unix socket inside the data folder, stopped and deleted at the end.

PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user (which
Debian's package creates); as anyone else it runs as that user. Where no PostgreSQL is
installed and we are root on a Debian-like system, :func:`find_binaries` installs the
``postgresql`` package with apt-get; otherwise :class:`PostgresUnavailable` says why, so the
tests can skip with that one reason.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mlflow_server import free_port

DATABASE = "mlflow"
SUPERUSER = "tracklib"
_SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (the message says why)."""


def _locate() -> str | None:
    found = shutil.which("initdb")
    if found:  # often a symlink into the versioned folder that also holds createdb
        folder = os.path.dirname(os.path.realpath(found))
        if os.path.exists(os.path.join(folder, "pg_ctl")):
            return folder
    for pattern in _SEARCH:
        for folder in sorted(glob.glob(pattern), reverse=True):  # newest version first
            if os.path.exists(os.path.join(folder, "pg_ctl")):
                return folder
    return None


def find_binaries() -> str:
    """The folder holding ``initdb`` and ``pg_ctl``, installing PostgreSQL if we can.

    Raises:
        PostgresUnavailable: Not installed, and not installable from here (not root, no apt).
    """
    folder = _locate()
    if folder:
        return folder
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresUnavailable(
            "PostgreSQL is not installed (no initdb/pg_ctl): install Debian's `postgresql` "
            "package (or run the tests as root on Debian/Ubuntu, which installs it)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "postgresql"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise PostgresUnavailable(f"`{' '.join(command)}` failed: {done.stderr[-500:]}")
    folder = _locate()
    if not folder:
        raise PostgresUnavailable("apt-get installed postgresql but no pg_ctl was found")
    return folder


def _run_as() -> str | None:
    """The user to run the server as (None: ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise PostgresUnavailable("running as root and there is no `postgres` user") from exc
    return "postgres"


@dataclass
class PostgresServer:
    """One running PostgreSQL server with an empty ``mlflow`` database."""

    bindir: str
    datadir: Path
    port: int
    user: str | None

    @property
    def uri(self) -> str:
        """The SQLAlchemy URL MLflow needs (psycopg2: SQLAlchemy 2.1's bare
        ``postgresql://`` means psycopg 3)."""
        return f"postgresql+psycopg2://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def _cmd(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return [*prefix, *args]

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        command = self._cmd(os.path.join(self.bindir, "pg_ctl"), "-D", str(self.datadir), *args)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if check and done.returncode:
            log = (self.datadir / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(f"pg_ctl {args[-1]} failed: {done.stderr}\n{log}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections.

        Raises:
            PostgresUnavailable: It did not start (the message carries its log).
        """
        options = (
            f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        )
        self._pg_ctl("-l", str(self.datadir / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are ended)."""
        self._pg_ctl("-m", "fast", "-w", "stop", check=False)

    def pids(self) -> list[int]:
        """The PIDs of the server's processes (the postmaster and its children)."""
        try:
            first = (self.datadir / "postmaster.pid").read_text().split()[0]
        except (FileNotFoundError, IndexError):
            return []
        done = subprocess.run(["pgrep", "-P", first], capture_output=True, text=True, check=False)
        return [int(first), *(int(p) for p in done.stdout.split())]


def start_postgres() -> PostgresServer:
    """Create a cluster in a new temporary folder, start it and create the ``mlflow`` database.

    Raises:
        PostgresUnavailable: PostgreSQL is missing or would not start.
    """
    bindir = find_binaries()
    user = _run_as()
    # Not under pytest's tmp folder: that one is private to root, and the server runs as postgres.
    datadir = Path(tempfile.mkdtemp(prefix="tracklib-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(datadir, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(bindir, datadir, free_port(), user)
    initdb = server._cmd(
        os.path.join(bindir, "initdb"), "-D", str(datadir), "-U", SUPERUSER,
        "--auth=trust", "-E", "UTF8", "--no-instructions",
    )  # fmt: skip
    done = subprocess.run(initdb, capture_output=True, text=True, check=False)
    if done.returncode:
        shutil.rmtree(datadir, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {done.stderr[-1000:]}")
    try:
        server.start()
        createdb = os.path.join(bindir, "createdb")
        port = str(server.port)
        done = subprocess.run(
            server._cmd(createdb, "-h", "127.0.0.1", "-p", port, "-U", SUPERUSER, DATABASE),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise PostgresUnavailable(f"createdb failed: {done.stderr[-1000:]}")
    except BaseException:
        remove(server)
        raise
    return server


def remove(server: PostgresServer) -> None:
    """Stop the server and delete its data folder."""
    server.stop()
    with contextlib.suppress(OSError):
        shutil.rmtree(server.datadir)
