"""The ``tracklib`` command line (argparse). ``python -m tracklib`` runs the same.

Exit codes: 0 success, 1 something named was not found, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from tracklib.cli import runids, tables, views
from tracklib.entities import ViewType
from tracklib.errors import InvalidInputError, NotFoundError, TracklibError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``tracklib`` command."""
    from tracklib import __version__

    parser = argparse.ArgumentParser(
        prog="tracklib",
        description="tracklib: a small, fast, MLflow-compatible experiment tracker.",
    )
    parser.add_argument("--version", action="version", version=f"tracklib {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    _add_query_verbs(verbs)
    env = verbs.add_parser(
        "env",
        help="show a run's recorded environment, or diff two runs' environments",
        description="tracklib env RUN_ID: summary of a run's environment. "
        "tracklib env diff RUN_A RUN_B: packages, Python and git state that differ.",
    )
    env.add_argument("args", nargs="+", metavar="RUN_ID | diff RUN_A RUN_B")
    env.add_argument("--json", action="store_true", help="machine-readable JSON")
    _add_uri(env)
    env.set_defaults(handler=_cmd_env)
    reproduce = verbs.add_parser(
        "reproduce",
        help="print the steps that run a run again (runs nothing)",
        description="Print the exact steps to run a run again: check out its commit, apply its "
        "uncommitted diff, rebuild its packages in a venv, run its command line.",
    )
    reproduce.add_argument("run_id", metavar="RUN_ID")
    reproduce.add_argument("--json", action="store_true", help="the steps as a JSON list")
    _add_uri(reproduce)
    reproduce.set_defaults(handler=_cmd_reproduce)
    _add_sync_verb(verbs)
    return parser


def _add_sync_verb(verbs: Any) -> None:
    from tracklib.cli import sync

    parser = verbs.add_parser(
        "sync", formatter_class=argparse.RawDescriptionHelpFormatter, **sync.describe()
    )
    parser.add_argument("path", nargs="?", metavar="PATH", help="a local store (e.g. ./mlruns)")
    parser.add_argument("--to", metavar="URL", help="the MLflow server to push PATH to")
    parser.add_argument("--experiment", metavar="NAME", help="put every run in this experiment")
    parser.add_argument("--dry-run", action="store_true", help="count what would be sent")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.set_defaults(handler=_cmd_sync)


def _cmd_sync(args: argparse.Namespace) -> int:
    from tracklib.cli import sync

    return sync.run(args.path, args.to, args.experiment, args.dry_run, args.json)


def _add_query_verbs(verbs: Any) -> None:
    experiments = verbs.add_parser(
        "experiments",
        help="list the experiments",
        description="List the experiments of the tracking store (active ones; --all adds deleted).",
    )
    experiments.add_argument("--all", action="store_true", help="include deleted experiments")
    _add_common(experiments)
    experiments.set_defaults(handler=_cmd_experiments)

    runs = verbs.add_parser(
        "runs",
        help="list runs in a table (or --json)",
        description="List runs, newest first: short id, name, status, start, duration and the "
        "params and metrics whose values differ between the listed runs (as many as fit). "
        "Default experiments: the one TRACKLIB_/MLFLOW_EXPERIMENT_NAME (or _ID) names, else "
        "every active experiment.",
    )
    runs.add_argument(
        "--experiment", "-e", action="append", default=[], metavar="NAME",
        help="an experiment name (or id); repeat for several",
    )  # fmt: skip
    runs.add_argument("--filter", default="", metavar="F", help="MLflow filter string, e.g. "
                      "\"metrics.mse < 0.1 and params.dropout = '0.2'\"")  # fmt: skip
    runs.add_argument(
        "--order-by", nargs="+", action="extend", default=[], metavar="O",
        help="order keys, e.g. \"metrics.mse ASC\" \"attributes.start_time DESC\"",
    )  # fmt: skip
    runs.add_argument("--max", type=_positive, default=1000, metavar="N",
                      help="list at most N runs (default 1000)")  # fmt: skip
    runs.add_argument(
        "--column", "-c", action="append", default=[], metavar="KEY",
        help="show this column (params.KEY, metrics.KEY, tags.KEY or a bare key) instead of "
        "the automatic choice; repeat for several",
    )  # fmt: skip
    runs.add_argument("--deleted", action="store_true", help="include deleted runs")
    _add_common(runs)
    runs.set_defaults(handler=_cmd_runs)

    show = verbs.add_parser(
        "show",
        help="show one run: info, params, metrics, tags, artifacts",
        description="Show a run: its info, params, latest metric values, tags (mlflow.* "
        "system tags apart) and every artifact with its size. RUN_ID may be a unique prefix.",
    )
    show.add_argument("run_id", metavar="RUN_ID")
    _add_common(show)
    show.set_defaults(handler=_cmd_show)

    compare = verbs.add_parser(
        "compare",
        help="compare runs side by side",
        description="Params and latest metrics of runs side by side. Rows whose values differ "
        "are marked '*' (and coloured on a terminal); the best value of each metric is marked "
        "'(best)': the lowest, or the highest when the key names a higher-is-better measure "
        "(accuracy, acc, auc, f1, precision, recall, r2, score, ...).",
    )
    compare.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    compare.add_argument("--diff-only", action="store_true", help="hide rows equal in all runs")
    compare.add_argument("--maximize", action="append", default=[], metavar="KEY",
                         help="higher is better for metric KEY")  # fmt: skip
    compare.add_argument("--minimize", action="append", default=[], metavar="KEY",
                         help="lower is better for metric KEY")  # fmt: skip
    _add_common(compare)
    compare.set_defaults(handler=_cmd_compare)

    history = verbs.add_parser(
        "history",
        help="every point of one metric of a run",
        description="Step, value and time of every point of a metric, in logged order.",
    )
    history.add_argument("run_id", metavar="RUN_ID")
    history.add_argument("key", metavar="KEY")
    output = history.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="machine-readable JSON")
    output.add_argument("--csv", action="store_true", help="CSV: step,value,timestamp (ms)")
    _add_common(history, with_json=False)
    history.set_defaults(handler=_cmd_history)


def _add_common(parser: argparse.ArgumentParser, with_json: bool = True) -> None:
    if with_json:
        parser.add_argument("--json", action="store_true", help="machine-readable JSON")
    parser.add_argument(
        "--color", "--colour", choices=("auto", "always", "never"), default="auto",
        help="colour the output: auto (a terminal without NO_COLOR), always or never",
    )  # fmt: skip
    _add_uri(parser)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _add_uri(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracking-uri",
        default=None,
        help="tracking URI (default: TRACKLIB_TRACKING_URI, MLFLOW_TRACKING_URI, ./mlruns)",
    )


def _cmd_env(args: argparse.Namespace) -> int:
    from tracklib.cli import envverbs

    return envverbs.run_env(args)


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from tracklib.cli import envverbs

    return envverbs.run_reproduce(args)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, allow_nan=False))


def _cmd_experiments(args: argparse.Namespace) -> int:
    from tracklib.tracking.client import Client

    view = ViewType.ALL if args.all else ViewType.ACTIVE_ONLY
    experiments = sorted(
        Client(args.tracking_uri).search_experiments(view), key=lambda e: _id_order(e.experiment_id)
    )
    if args.json:
        _print_json([views.experiment_json(e) for e in experiments])
    else:
        print(views.experiments_table(experiments, tables.colour_enabled(args.color)))
    return 0


def _id_order(experiment_id: str) -> tuple[int, str]:
    return (int(experiment_id) if experiment_id.isdigit() else 0, experiment_id)


def _cmd_runs(args: argparse.Namespace) -> int:
    from tracklib.tracking.client import Client

    client = Client(args.tracking_uri)
    ids = views.default_experiment_ids(client, args.experiment)
    if ids is None:
        ids = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(
        ids,
        filter_string=args.filter,
        run_view_type=ViewType.ALL if args.deleted else ViewType.ACTIVE_ONLY,
        # One more tells whether --max cut the list; MLflow servers refuse more than 50000.
        max_results=min(args.max + 1, runids.MAX_SEARCH),
        order_by=_order_keys(args.order_by) or None,
    )
    more = len(runs) > args.max
    runs = runs[: args.max]
    if args.json:
        _print_json([views.run_json(r) for r in runs])
    else:
        several = len({r.info.experiment_id for r in runs}) > 1
        _print_runs_table(client, runs, args, several)
    if more:
        print(f"tracklib: more runs match; showing the first {args.max} (see --max)",
              file=sys.stderr)  # fmt: skip
    return 0


def _order_keys(words: list[str]) -> list[str]:
    """Glue an unquoted ``ASC``/``DESC`` to the key before it (``--order-by metrics.x DESC``)."""
    keys: list[str] = []
    for word in words:
        if keys and word.strip().upper() in ("ASC", "DESC"):
            keys[-1] = f"{keys[-1]} {word.strip()}"
        else:
            keys.append(word)
    return keys


def _print_runs_table(
    client: Any, runs: list[Any], args: argparse.Namespace, several: bool
) -> None:
    if not runs:
        print("(no runs)")
        return
    names = views.all_experiment_names(client) if several else None
    hidden = 0
    if args.column:
        columns = [views.parse_column(text, runs) for text in args.column]
    else:
        room = tables.terminal_width() - views.fixed_width(runs, names is not None)
        columns, hidden = views.choose_columns(runs, room)
    print(views.runs_table(runs, columns, names, tables.colour_enabled(args.color)))
    if hidden:
        print(f"({hidden} more varying params/metrics; pick with -c KEY, or use --json)")


def _cmd_show(args: argparse.Namespace) -> int:
    from tracklib.tracking.client import Client

    client = Client(args.tracking_uri)
    run = client.get_run(runids.resolve(client, args.run_id))
    try:
        experiment = client.get_experiment(run.info.experiment_id)
    except NotFoundError:
        experiment = None
    files = views.walk_artifacts(client, run.info.run_id)
    if args.json:
        _print_json(views.show_json(run, experiment, files))
    else:
        print(views.show_text(run, experiment, files, tables.colour_enabled(args.color)))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from tracklib.cli import compare
    from tracklib.tracking.client import Client

    client = Client(args.tracking_uri)
    ids = list(dict.fromkeys(runids.resolve_all(client, args.run_ids)))
    if len(ids) < 2:
        raise InvalidInputError("compare needs at least two different runs.")
    runs = [client.get_run(run_id) for run_id in ids]
    rows = compare.build_rows(runs, args.maximize, args.minimize)
    if args.diff_only:
        rows = [row for row in rows if row.differs]
    if args.json:
        _print_json(compare.to_json(runs, rows))
    else:
        print(compare.to_text(runs, rows, tables.colour_enabled(args.color)))
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    from tracklib.tracking.client import Client

    client = Client(args.tracking_uri)
    run = client.get_run(runids.resolve(client, args.run_id))
    points = views.metric_history(client, run, args.key)
    if args.json:
        _print_json(views.history_json(points))
    elif args.csv:
        print(views.history_csv(points))
    else:
        print(views.history_table(points, tables.colour_enabled(args.color)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except NotFoundError as exc:
        print(f"tracklib: {exc}", file=sys.stderr)
        return 1
    except InvalidInputError as exc:
        print(f"tracklib: {exc}", file=sys.stderr)
        return 2
    except TracklibError as exc:
        print(f"tracklib: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `tracklib runs | head`: the reader left; stop quietly
        _silence_stdout()
        return 1


def _silence_stdout() -> None:
    # Python flushes stdout at exit; pointing it at devnull keeps that flush from failing.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass
