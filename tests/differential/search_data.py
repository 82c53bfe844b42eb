"""The runs every search case runs against, written the same way through either library.

The values follow MLflow's own search tests (tests/utils/test_search_utils.py and the search
tests of test_file_store.py / test_sqlalchemy_store.py): LIKE metacharacters, quotes, keys
with dots, spaces and dashes, NaN and infinities, missing keys, every status, a deleted run
and a second experiment. Start times are distinct, so MLflow's order is fully determined
without run ids (which differ between the two stores).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlflow_diff import Side

NAN = float("nan")
INF = float("inf")


@dataclass(frozen=True)
class RunSpec:
    name: str
    start: int
    experiment: str = "Default"
    status: str | None = None  # None: left RUNNING
    end: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, list[tuple[float, int, int]]] = field(default_factory=dict)  # v, ts, step
    deleted: bool = False


RUNS = [
    RunSpec(
        "r0",
        1_000,
        status="FINISHED",
        end=5_000,
        params={"model": "LR", "lr": "0.1", "cr": "a\r\nb", "quote": "it's", "p.a.r.a.m": "a"},
        tags={"team": "vision", "t.a.g": "a", "owner/name": "ml-alice", "mlflow.user": "alice"},
        metrics={
            "acc": [(0.9, 10, 0), (0.95, 11, 1)],
            "loss": [(0.5, 10, 0)],
            "spacey name": [(3, 1, 0)],
        },
    ),
    RunSpec(
        "r1",
        2_000,
        status="FAILED",
        end=3_000,
        params={"model": "lr", "lr": "0.01", "cr": "a\nb", "quote": 'say "hi"', "X-Y-Z": "xyz"},
        tags={"team": "Vision", "my tag": "spaced", "mlflow.user": "bob"},
        metrics={"acc": [(0.7, 5, 3), (0.99, 9, 1)], "loss": [(NAN, 1, 0)], "X-Y-Z": [(3, 1, 0)]},
    ),
    RunSpec(
        "r2",
        3_000,
        status="KILLED",
        end=9_000,
        params={"model": "L%R", "lr": "1e-3", "cr": "a\rb", "empty": ""},
        tags={"team": "nlp", "note": "100%_sure", "mlflow.user": "alice"},
        metrics={"acc": [(INF, 1, 0)], "loss": [(-1.5, 1, 0)], "accuracy.2.0": [(6, 1, 0)]},
    ),
    RunSpec(
        "r3",
        4_000,
        params={"model": "L_R", "lr": "0.1", "cr": "a\r\nb", "uni": "ünïcödé"},
        tags={"team": "nlp ", "note": "C+W", "t.a.g": "b"},
        metrics={"acc": [(-INF, 1, 0)], "loss": [(0, 1, 0)], "int_metric": [(123, 1, 0)]},
    ),
    RunSpec(
        "r4",
        5_000,
        status="FINISHED",
        end=6_000,
        params={"model": "LinearRegression", "lr": "10", "path": "C:\\dir\\f", "trail": "x "},
        tags={"team": "", "note": "line1\nline2"},
        metrics={
            "acc": [(0.5, 1, 0), (0.4, 1, 0)],
            "loss": [(1e3, 1, 0)],
            "int_metric": [(125, 1, 2)],
        },
    ),
    RunSpec(
        "r5",
        6_000,
        status="FINISHED",
        end=7_000,
        params={"model": "RF"},
        tags={"version": "commit-hash"},
        metrics={"acc": [(0.5, 1, 0)], "loss": [(-0.0, 1, 0)]},
    ),
    RunSpec("r6", 7_000, status="FAILED", end=7_500, params={"lr": "0.5"}),
    RunSpec(
        "r7",
        8_000,
        params={"model": "LR", "lr": "0.1"},
        tags={"team": "vision"},
        metrics={"acc": [(0.95, 1, 0)]},
        deleted=True,
    ),
    RunSpec(
        "o0",
        9_000,
        experiment="other",
        status="FINISHED",
        end=9_500,
        params={"model": "LR"},
        tags={"team": "vision"},
        metrics={"acc": [(0.8, 1, 0)]},
    ),
    RunSpec(
        "o1", 10_000, experiment="other", params={"model": "SVM"}, metrics={"acc": [(0.1, 1, 0)]}
    ),
]


def populate(side: Side) -> dict[str, Any]:
    """Write :data:`RUNS` through ``side``'s client; return experiment name -> id."""
    client = side.client
    experiments = {"Default": "0", "other": client.create_experiment("other")}
    for spec in RUNS:
        run = client.create_run(
            experiments[spec.experiment], start_time=spec.start, tags=spec.tags, run_name=spec.name
        )
        run_id = run.info.run_id
        side.names[run_id] = spec.name
        for key, value in spec.params.items():
            client.log_param(run_id, key, value)
        for key, points in spec.metrics.items():
            for number, timestamp, step in points:
                client.log_metric(run_id, key, number, step=step, timestamp=timestamp)
        if spec.status is not None:
            client.set_terminated(run_id, spec.status, end_time=spec.end)
        if spec.deleted:
            client.delete_run(run_id)
    return experiments


@dataclass
class SearchPair:
    """Both sides holding :data:`search_data.RUNS`, and each side's experiment ids."""

    mlflow: Side
    tracklib: Side
    experiments: dict[str, dict[str, Any]]  # side name -> experiment name -> id
