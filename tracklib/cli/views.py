"""What ``tracklib experiments / runs / show / history`` print: tables and JSON-ready data.

Everything here reads through a :class:`~tracklib.tracking.client.Client`, so it serves any store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracklib import settings
from tracklib.cli import tables
from tracklib.cli.runids import short_ids
from tracklib.cli.tables import Cell
from tracklib.entities import Experiment, FileInfo, Metric, Run, ViewType
from tracklib.errors import InvalidInputError, NotFoundError
from tracklib.jsonform import encode_double
from tracklib.tags import PARENT_RUN_ID, SYSTEM_TAG_PREFIX
from tracklib.tracking.client import Client

_STATUS_STYLE = {"FAILED": tables.RED, "KILLED": tables.RED, "RUNNING": tables.YELLOW}
_MAX_CELL = 30  # widest a param/metric/tag cell of the runs table may be


# ----------------------------------------------------------------- experiments
def experiment_json(experiment: Experiment) -> dict[str, Any]:
    """An experiment as a JSON object."""
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": str(experiment.lifecycle_stage),
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": dict(experiment.tags),
    }


def experiments_table(experiments: Sequence[Experiment], colour: bool) -> str:
    """One line per experiment: id, name, lifecycle, creation time, artifact location."""
    rows: list[list[Cell | str]] = [
        [
            e.experiment_id,
            e.name,
            Cell(str(e.lifecycle_stage), "" if e.lifecycle_stage == "active" else tables.DIM),
            tables.local_time(e.creation_time),
            e.artifact_location,
        ]
        for e in experiments
    ]
    headers = ["ID", "NAME", "LIFECYCLE", "CREATED", "ARTIFACT LOCATION"]
    return tables.render(headers, rows, colour, right=[True, False, False, False, False])


# ----------------------------------------------------------------- runs
def default_experiment_ids(client: Client, names: Sequence[str]) -> list[str] | None:
    """The experiments ``tracklib runs`` lists: those named, else the one the environment
    names (``TRACKLIB_/MLFLOW_EXPERIMENT_NAME`` or ``_ID``), else None (every active one).

    Raises:
        NotFoundError: A named experiment does not exist.
    """
    if not names:
        env_name = settings.first_env(settings.EXPERIMENT_NAME_VARS)
        env_id = settings.first_env(settings.EXPERIMENT_ID_VARS)
        if env_name:
            names = [env_name]
        elif env_id:
            return [client.get_experiment(env_id).experiment_id]
        else:
            return None
    return [experiment_id(client, name) for name in names]


def experiment_id(client: Client, name_or_id: str) -> str:
    """The id of the experiment with this name (or, failing that, this id).

    Raises:
        NotFoundError: No experiment has this name or id.
    """
    experiment = client.get_experiment_by_name(name_or_id)
    if experiment is not None:
        return experiment.experiment_id
    if name_or_id.isdigit():
        return client.get_experiment(name_or_id).experiment_id
    raise NotFoundError(f"No experiment named {name_or_id!r} in {client.tracking_uri}.")


def run_json(run: Run) -> dict[str, Any]:
    """A run as a JSON object: its info fields, then params, metrics and tags."""
    info = run.info
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "experiment_id": info.experiment_id,
        "status": str(info.status),
        "lifecycle_stage": str(info.lifecycle_stage),
        "user_id": info.user_id,
        "start_time": info.start_time,
        "end_time": info.end_time,
        "artifact_uri": info.artifact_uri,
        "params": dict(run.data.params),
        "metrics": {k: encode_double(v) for k, v in run.data.metrics.items()},
        "tags": dict(run.data.tags),
    }


def varying_keys(runs: Sequence[Run], kind: str) -> tuple[list[str], list[str]]:
    """Keys of ``kind`` (params/metrics) worth a column, in two tiers, each sorted.

    First the keys whose value differs between the runs that have them; then the keys that
    some runs lack but that are equal where present (a sweep's parent run lacks the children's
    params). With a single run, every key is in the first tier.
    """
    values: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for run in runs:
        for key, value in getattr(run.data, kind).items():
            values.setdefault(key, set()).add(repr(value))
            counts[key] = counts.get(key, 0) + 1
    keys = sorted(values)
    if len(runs) < 2:
        return keys, []
    differing = [k for k in keys if len(values[k]) > 1]
    partial = [k for k in keys if len(values[k]) == 1 and counts[k] < len(runs)]
    return differing, partial


def parse_column(text: str, runs: Sequence[Run]) -> tuple[str, str]:
    """``params.lr`` / ``metrics.loss`` / ``tags.x`` -> (kind, key); a bare key is looked up
    in params, then metrics, then tags of ``runs``.

    Raises:
        InvalidInputError: A bare key no listed run has.
    """
    for kind in ("params", "metrics", "tags"):
        if text.startswith(kind + "."):
            return kind, text[len(kind) + 1 :]
    for kind in ("params", "metrics", "tags"):
        if any(text in getattr(r.data, kind) for r in runs):
            return kind, text
    raise InvalidInputError(
        f"Column {text!r}: no listed run has a param, metric or tag of that name "
        "(write params.KEY, metrics.KEY or tags.KEY)."
    )


def choose_columns(
    runs: Sequence[Run], room: int, wanted: Sequence[tuple[str, str]] = ()
) -> tuple[list[tuple[str, str]], int]:
    """Pick the params and metrics that fit in ``room`` characters.

    ``wanted`` columns (those a filter or ordering names) come first, if a run has them;
    then the varying ones, params and metrics taking turns so a narrow terminal still shows
    some of each. Returns the columns (params first, then metrics) and how many were left out.
    """
    params_1, params_2 = varying_keys(runs, "params")
    metrics_1, metrics_2 = varying_keys(runs, "metrics")
    present = [c for c in wanted if any(c[1] in getattr(r.data, c[0]) for r in runs)]
    turns = list(dict.fromkeys(present + _alternate(params_1, metrics_1)))
    turns += [c for c in _alternate(params_2, metrics_2) if c not in turns]
    chosen: list[tuple[str, str]] = []
    for column in turns:
        width = max([len(_header(column))] + [len(_cell(r, column).text) for r in runs]) + 2
        if width > room:
            break
        chosen.append(column)
        room -= width
    ordered = sorted(chosen, key=lambda c: (c[0] != "params", turns.index(c)))
    return ordered, len(turns) - len(ordered)


def _alternate(params: list[str], metrics: list[str]) -> list[tuple[str, str]]:
    """``[p1, m1, p2, m2, ...]`` as (kind, key) columns; the longer list's tail at the end."""
    columns: list[tuple[str, str]] = []
    for i in range(max(len(params), len(metrics))):
        columns += [("params", params[i])] if i < len(params) else []
        columns += [("metrics", metrics[i])] if i < len(metrics) else []
    return columns


def _header(column: tuple[str, str]) -> str:
    return f"{column[0]}.{column[1]}"


def _cell(run: Run, column: tuple[str, str]) -> Cell:
    kind, key = column
    values: dict[str, Any] = getattr(run.data, kind)
    if key not in values:
        return Cell("-")
    value = values[key]
    text = tables.number(value) if kind == "metrics" else str(value)
    return Cell(tables.truncate(text, _MAX_CELL))


def tree_order(runs: Sequence[Run]) -> list[tuple[Run, int]]:
    """The runs with each child right under its parent, and each run's depth.

    Runs whose parent is not listed are roots; roots and siblings keep their given order.
    """
    listed = {run.info.run_id for run in runs}
    children: dict[str, list[Run]] = {}
    roots = []
    for run in runs:
        parent = run.data.tags.get(PARENT_RUN_ID)
        if parent in listed and parent != run.info.run_id:
            children.setdefault(parent, []).append(run)
        else:
            roots.append(run)
    ordered: list[tuple[Run, int]] = []
    seen: set[str] = set()
    stack = [(run, 0) for run in reversed(roots)]
    while stack:
        run, depth = stack.pop()
        if run.info.run_id in seen:  # a parent loop written by hand: show each run once
            continue
        seen.add(run.info.run_id)
        ordered.append((run, depth))
        stack += [(child, depth + 1) for child in reversed(children.get(run.info.run_id, []))]
    ordered += [(run, 0) for run in runs if run.info.run_id not in seen]
    return ordered


def runs_table(
    runs: Sequence[Run],
    columns: Sequence[tuple[str, str]],
    experiment_names: dict[str, str] | None,
    colour: bool,
    depths: Sequence[int] = (),
) -> str:
    """One line per run: short id, name, [experiment,] status, start, duration, columns.

    ``depths`` indents each run's name (a child run under its parent).
    """
    shorts = short_ids([r.info.run_id for r in runs])
    headers = ["RUN", "NAME"] + (["EXPERIMENT"] if experiment_names else [])
    headers += ["STATUS", "START", "DURATION"] + [_header(c) for c in columns]
    rows = []
    for i, run in enumerate(runs):
        info = run.info
        depth = depths[i] if i < len(depths) else 0
        name = "  " * (depth - 1) + "└ " + info.run_name if depth else info.run_name
        row: list[Cell | str] = [shorts[info.run_id], tables.truncate(name, _MAX_CELL)]
        if experiment_names:
            row.append(tables.truncate(experiment_names.get(info.experiment_id, "?"), _MAX_CELL))
        row += [
            Cell(str(info.status), _STATUS_STYLE.get(str(info.status), "")),
            tables.local_time(info.start_time),
            tables.duration(info.start_time, info.end_time),
        ]
        row += [_cell(run, c) for c in columns]
        rows.append(row)
    return tables.render(headers, rows, colour)


def fixed_width(runs: Sequence[Run], with_experiment: bool) -> int:
    """The width of the runs table before any param/metric column."""
    table = runs_table(runs, [], {"": ""} if with_experiment else None, colour=False)
    return max((len(line) for line in table.splitlines()), default=0)


# ----------------------------------------------------------------- show
def walk_artifacts(client: Client, run_id: str, path: str | None = None) -> list[FileInfo]:
    """Every artifact of a run, folders first-then-contents, depth first."""
    found = []
    for info in client.list_artifacts(run_id, path):
        found.append(info)
        if info.is_dir:
            found += walk_artifacts(client, run_id, info.path)
    return found


def split_tags(tags: dict[str, str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(user tags, system ``mlflow.*`` tags), each sorted by key."""
    user = sorted((k, v) for k, v in tags.items() if not k.startswith(SYSTEM_TAG_PREFIX))
    system = sorted((k, v) for k, v in tags.items() if k.startswith(SYSTEM_TAG_PREFIX))
    return user, system


def child_runs(client: Client, run: Run) -> list[Run]:
    """The runs whose ``mlflow.parentRunId`` is ``run`` (in its experiment), oldest first."""
    found = client.search_runs(
        [run.info.experiment_id],
        filter_string=f"tags.`{PARENT_RUN_ID}` = '{run.info.run_id}'",
        order_by=["attributes.start_time ASC"],
        max_results=50_000,
    )
    return list(found)


def show_json(
    run: Run, experiment: Experiment | None, files: Sequence[FileInfo], children: Sequence[Run]
) -> Any:
    """``tracklib show --json``: the run's JSON object plus experiment name, child run ids
    and artifacts."""
    data = run_json(run)
    data["experiment_name"] = experiment.name if experiment else None
    data["child_run_ids"] = [child.info.run_id for child in children]
    data["artifacts"] = [
        {"path": f.path, "is_dir": f.is_dir, "file_size": f.file_size} for f in files
    ]
    return data


def show_text(
    run: Run,
    experiment: Experiment | None,
    files: Sequence[FileInfo],
    colour: bool,
    children: Sequence[Run] = (),
) -> str:
    """``tracklib show``: info, params, metrics, tags (user, then system), child runs,
    artifacts."""
    info = run.info
    where = f"{experiment.name} ({info.experiment_id})" if experiment else info.experiment_id
    status = tables.paint(str(info.status), _STATUS_STYLE.get(str(info.status), ""), colour)
    general = [
        ("run id", info.run_id),
        ("name", info.run_name),
        ("experiment", where),
        ("status", status),
        ("lifecycle", str(info.lifecycle_stage)),
        ("user", info.user_id),
        ("start", tables.local_time(info.start_time)),
        ("end", tables.local_time(info.end_time)),
        ("duration", tables.duration(info.start_time, info.end_time)),
        ("artifact uri", info.artifact_uri),
    ]
    user_tags, system_tags = split_tags(run.data.tags)
    metrics = sorted(run.data.metrics.items())
    shown = tables.distinct_numbers([v for _, v in metrics])
    sections = [
        ("Run", general),
        ("Params", sorted(run.data.params.items())),
        ("Metrics (latest values)", [(k, t) for (k, _), t in zip(metrics, shown, strict=True)]),
        ("Tags", user_tags),
        ("System tags", system_tags),
        ("Child runs", [(c.info.run_id, f"{c.info.run_name}  {c.info.status}") for c in children]),
        ("Artifacts", [(_artifact_name(f), _artifact_size(f)) for f in files]),
    ]
    return "\n\n".join(
        f"{tables.heading(title, colour)}\n{tables.key_values(pairs)}" for title, pairs in sections
    )


def _artifact_name(info: FileInfo) -> str:
    depth = info.path.count("/")
    name = info.path.rsplit("/", 1)[-1]
    return "  " * depth + (name + "/" if info.is_dir else name)


def _artifact_size(info: FileInfo) -> str:
    return "" if info.is_dir else tables.size(info.file_size)


# ----------------------------------------------------------------- history
def history_json(points: Sequence[Metric]) -> list[dict[str, Any]]:
    """``tracklib history --json``: one object per point (timestamp in epoch ms)."""
    return [
        {"step": p.step, "value": encode_double(p.value), "timestamp": p.timestamp} for p in points
    ]


def history_csv(points: Sequence[Metric]) -> str:
    """``tracklib history --csv``: ``step,value,timestamp`` (full-precision value, epoch ms)."""
    lines = ["step,value,timestamp"]
    lines += [f"{p.step},{p.value!r},{p.timestamp}" for p in points]
    return "\n".join(lines)


def history_table(points: Sequence[Metric], colour: bool) -> str:
    """``tracklib history``: step, value, local time (with milliseconds)."""
    rows = [
        [str(p.step), repr(p.value), tables.local_time(p.timestamp, millis=True)] for p in points
    ]
    return tables.render(["STEP", "VALUE", "TIME"], rows, colour, right=[True, True, False])


def metric_history(client: Client, run: Run, key: str) -> list[Metric]:
    """Every point of ``key``.

    Raises:
        NotFoundError: The run never logged ``key`` (the message lists its metrics).
    """
    points = client.get_metric_history(run.info.run_id, key)
    if not points and key not in run.data.metrics:
        known = ", ".join(sorted(run.data.metrics)) or "none"
        raise NotFoundError(f"Run {run.info.run_id} has no metric {key!r} (its metrics: {known}).")
    return points


def all_experiment_names(client: Client) -> dict[str, str]:
    """Experiment id -> name, deleted experiments included."""
    return {e.experiment_id: e.name for e in client.search_experiments(ViewType.ALL)}
