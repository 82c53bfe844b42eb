"""The ``tracklib ui`` and ``tracklib report`` verbs (registered by :mod:`tracklib.cli`)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
import threading
from typing import Any

from tracklib.errors import InvalidInputError

DEFAULT_PORT = 5055
_WILDCARD = ("0.0.0.0", "::")


def add_verbs(verbs: Any) -> None:
    """Add ``ui`` and ``report`` to the ``tracklib`` command's subparsers."""
    ui = verbs.add_parser(
        "ui",
        help="browse runs in a web browser (read-only, local)",
        description="Serve a read-only web viewer of the tracking store: experiments, runs "
        "(filter, sort, compare), metric charts, artifacts and environments. Prints the URL "
        "(with its access token) and opens it; Ctrl-C stops.",
    )
    ui.add_argument("--port", type=int, default=None, metavar="N",
                    help=f"port (default {DEFAULT_PORT}, or a free one if it is taken; "
                    "0: a free port)")  # fmt: skip
    ui.add_argument("--host", default="127.0.0.1", metavar="H",
                    help="address to bind (default 127.0.0.1; 0.0.0.0 exposes it)")  # fmt: skip
    ui.add_argument("--no-browser", action="store_true", help="do not open a browser")
    ui.add_argument("--spool", action="store_true",
                    help="with an http(s) tracking URI: show this machine's local spool of "
                    "that server (runs logged here, sent or not), not the server")  # fmt: skip
    _add_uri(ui)
    ui.set_defaults(handler=cmd_ui)

    report = verbs.add_parser(
        "report",
        help="write runs' comparison as one self-contained HTML file",
        description="Write the compare view of 2 to 20 runs (params, metrics, differences, "
        "curves, environment diff) to one HTML file that opens with no network and no "
        "tracklib. Pick runs by id (or unique prefix), or with --experiment and --filter.",
    )
    report.add_argument("run_ids", nargs="*", metavar="RUN_ID")
    report.add_argument("--experiment", "-e", metavar="NAME", help="take the runs of this "
                        "experiment (with --filter)")  # fmt: skip
    report.add_argument("--filter", default="", metavar="F", help="MLflow filter string")
    report.add_argument("-o", "--output", default="report.html", metavar="FILE",
                        help="the HTML file to write (default report.html)")  # fmt: skip
    _add_uri(report)
    report.set_defaults(handler=cmd_report)


def _add_uri(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="tracking URI: a store folder (also a remote run's local spool) or an MLflow "
        "server's http(s) URL (default: TRACKLIB_TRACKING_URI, MLFLOW_TRACKING_URI, ./mlruns)",
    )


def cmd_ui(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (at any moment, also while starting: no traceback).

    Raises:
        InvalidInputError: The address cannot be bound, or the tracking URI is unusable.
    """
    try:
        _serve(args)
    except KeyboardInterrupt:
        print("\ntracklib ui: stopped", file=sys.stderr)
    return 0


def _serve(args: argparse.Namespace) -> None:
    from tracklib.tracking.client import Client
    from tracklib.ui.server import UIServer

    client = Client(store_uri(args.tracking_uri, args.spool))
    server = _bind(UIServer, client, args.host, args.port)
    try:
        warning = exposure_warning(args.host)
        if warning:
            print(warning, file=sys.stderr)
        print(f"tracklib ui: {server.url}", flush=True)
        # Counting every experiment's runs fills the search summary caches while the
        # browser starts, so its first runs page is answered from them.
        threading.Thread(target=_warm, args=(server,), daemon=True).start()
        if not args.no_browser:
            threading.Thread(target=_open_browser, args=(server.url,), daemon=True).start()
        server.serve_forever()
    finally:
        server.server_close()


def exposure_warning(host: str) -> str | None:
    """The warning printed when ``host`` exposes the viewer beyond this machine."""
    if host not in _WILDCARD:
        return None
    return (
        f"tracklib ui: warning: listening on every network interface ({host}); anyone "
        "who can reach this machine and has the URL's token can read these runs."
    )


def store_uri(tracking_uri: str | None, spool: bool) -> str | None:
    """The URI ``tracklib ui`` reads: the one given, or with ``--spool`` the local spool
    (an MLflow file store) that remote runs of this machine write first.

    Raises:
        InvalidInputError: ``--spool`` without an http(s) tracking URI.
    """
    if not spool:
        return tracking_uri
    from tracklib import settings
    from tracklib.remote import spool as spools

    uri = tracking_uri or settings.get_tracking_uri()
    if not settings.is_remote(uri):
        raise InvalidInputError(
            f"--spool shows the local spool of an MLflow server; {uri!r} is not an http(s) "
            "URI. Give the server with --tracking-uri (or MLFLOW_TRACKING_URI)."
        )
    return spools.spool_path(uri)


def _bind(factory: Any, client: Any, host: str, port: int | None) -> Any:
    """Bind the server; the default port falls back to a free one when it is taken.

    Raises:
        InvalidInputError: The chosen address cannot be bound.
    """
    try:
        return factory(client, host, DEFAULT_PORT if port is None else port)
    except OSError as exc:
        if port is None and exc.errno == errno.EADDRINUSE:
            return _bind(factory, client, host, 0)
        raise InvalidInputError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Try another --port "
            "(0 picks a free one) or --host."
        ) from None


def _warm(server: Any) -> None:
    with contextlib.suppress(Exception):  # best effort: a request will say what is wrong
        server.api.experiments({})


def _open_browser(url: str) -> None:
    import webbrowser

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return  # no desktop: webbrowser would start a text browser in this very terminal

    with contextlib.suppress(Exception):  # no browser here: the printed URL is enough
        webbrowser.open(url)


def cmd_report(args: argparse.Namespace) -> int:
    """Write the report and say where.

    Raises:
        InvalidInputError: Not 2 to 20 runs, both or no selection, or an unwritable file.
        NotFoundError: A run or the experiment does not exist.
    """
    from tracklib.tracking.client import Client
    from tracklib.ui import report

    client = Client(args.tracking_uri)
    runs = report.write_report(client, args.output, args.run_ids, args.experiment, args.filter)
    print(f"tracklib report: {len(runs)} runs -> {args.output}")
    return 0
