"""The verbs that look at runs: ``experiments``, ``runs``, ``show``, ``compare``, ``history``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tracklib.cli import runids, runops, tables, views
from tracklib.cli.args import add_common, positive, print_json
from tracklib.cli.opening import client_for
from tracklib.entities import Run, ViewType
from tracklib.errors import InvalidInputError, NotFoundError
from tracklib.query import grammar


def add_verbs(verbs: Any) -> None:
    """Add ``experiments``, ``runs``, ``show``, ``compare`` and ``history``."""
    experiments = verbs.add_parser(
        "experiments",
        help="list the experiments",
        description="List the experiments of the tracking store (active ones; --all adds deleted).",
    )
    experiments.add_argument("--all", action="store_true", help="include deleted experiments")
    add_common(experiments)
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
    runs.add_argument("--max", type=positive, default=1000, metavar="N",
                      help="list at most N runs (default 1000)")  # fmt: skip
    runs.add_argument(
        "--column", "-c", action="append", default=[], metavar="KEY",
        help="show this column (params.KEY, metrics.KEY, tags.KEY or a bare key) instead of "
        "the automatic choice; repeat for several",
    )  # fmt: skip
    runs.add_argument("--deleted", action="store_true", help="include deleted runs")
    add_common(runs)
    runs.set_defaults(handler=_cmd_runs)
    runops.add_actions(runs)

    show = verbs.add_parser(
        "show",
        help="show one run: info, params, metrics, tags, artifacts",
        description="Show a run: its info, params, latest metric values, tags (mlflow.* "
        "system tags apart) and every artifact with its size. RUN_ID may be a unique prefix.",
    )
    show.add_argument("run_id", metavar="RUN_ID")
    add_common(show)
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
    add_common(compare)
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
    add_common(history, with_json=False)
    history.set_defaults(handler=_cmd_history)


def _cmd_experiments(args: argparse.Namespace) -> int:
    view = ViewType.ALL if args.all else ViewType.ACTIVE_ONLY
    experiments = sorted(
        client_for(args.tracking_uri).search_experiments(view),
        key=lambda e: _id_order(e.experiment_id),
    )
    if args.json:
        print_json([views.experiment_json(e) for e in experiments])
    else:
        print(views.experiments_table(experiments, tables.colour_enabled(args.color)))
    return 0


def _id_order(experiment_id: str) -> tuple[int, str]:
    return (int(experiment_id) if experiment_id.isdigit() else 0, experiment_id)


def _cmd_runs(args: argparse.Namespace) -> int:
    client = client_for(args.tracking_uri)
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
    del runs[args.max :]
    if args.json:
        print_json([views.run_json(r) for r in runs])
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
    client: Any, runs: list[Run], args: argparse.Namespace, several: bool
) -> None:
    if not runs:
        print("(no runs)")
        return
    names = views.all_experiment_names(client) if several else None
    depths: list[int] = []
    if not args.order_by:  # newest first: show each sweep as a tree; an explicit order wins
        ordered = views.tree_order(runs)
        runs, depths = [run for run, _ in ordered], [depth for _, depth in ordered]
    hidden = 0
    if args.column:
        columns = [views.parse_column(text, runs) for text in args.column]
    else:
        room = tables.terminal_width() - views.fixed_width(runs, names is not None)
        columns, hidden = views.choose_columns(runs, room, _named_columns(args))
    colour = tables.colour_enabled(args.color)
    print(views.runs_table(runs, columns, names, colour, depths))
    if hidden:
        print(f"({hidden} more varying params/metrics; pick with -c KEY, or use --json)")


def _named_columns(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The params and metrics the filter and ordering name: the user wants to see them."""
    query = grammar.parse_query(args.filter, _order_keys(args.order_by))
    named = [(o.entity, o.key) for o in query.order] + [
        (c.entity, c.key) for c in query.comparisons
    ]
    kinds = {grammar.PARAM: "params", grammar.METRIC: "metrics"}
    return [(kinds[entity], key) for entity, key in named if entity in kinds]


def _cmd_show(args: argparse.Namespace) -> int:
    client = client_for(args.tracking_uri)
    run = client.get_run(runids.resolve(client, args.run_id))
    try:
        experiment = client.get_experiment(run.info.experiment_id)
    except NotFoundError:
        experiment = None
    files = views.walk_artifacts(client, run.info.run_id)
    children = views.child_runs(client, run)
    if args.json:
        print_json(views.show_json(run, experiment, files, children))
    else:
        colour = tables.colour_enabled(args.color)
        print(views.show_text(run, experiment, files, colour, children))
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from tracklib.cli import compare

    client = client_for(args.tracking_uri)
    ids = list(dict.fromkeys(runids.resolve_all(client, args.run_ids)))
    if len(ids) < 2:
        raise InvalidInputError("compare needs at least two different runs.")
    runs = [client.get_run(run_id) for run_id in ids]
    rows = compare.build_rows(runs, args.maximize, args.minimize)
    if args.diff_only:
        rows = [row for row in rows if row.differs]
    if args.json:
        print_json(compare.to_json(runs, rows))
    else:
        print(compare.to_text(runs, rows, tables.colour_enabled(args.color)))
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    client = client_for(args.tracking_uri)
    run = client.get_run(runids.resolve(client, args.run_id))
    points = views.metric_history(client, run, args.key)
    if args.json:
        print_json(views.history_json(points))
    elif args.csv:
        print(views.history_csv(points))
    else:
        print(views.history_table(points, tables.colour_enabled(args.color)))
    return 0
