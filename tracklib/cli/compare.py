"""``tracklib compare``: runs side by side, differing rows marked, the best metric values marked.

"Best" is the lowest value of a metric, or the highest when a word of its key (the key split
at ``_ - . /`` and spaces, lowercased) says higher is better: accuracy, acc, auc, f1,
precision, recall, r2, score, ... (see :data:`HIGHER_IS_BETTER`). ``--maximize KEY`` and
``--minimize KEY`` override the guess. No value is marked best when every run has the same
value, and NaN is never best.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracklib.cli import tables
from tracklib.cli.runids import short_ids
from tracklib.cli.tables import Cell
from tracklib.entities import Run
from tracklib.jsonform import encode_double

HIGHER_IS_BETTER = frozenset(
    {
        "accuracy", "acc", "auc", "auroc", "roc", "f1", "fscore", "precision", "recall",
        "r2", "score", "map", "ndcg", "mrr", "iou", "miou", "dice", "bleu", "rouge",
        "top1", "top5", "specificity", "sensitivity", "tpr", "mcc", "kappa", "reward",
        "return", "throughput", "psnr", "ssim",
    }
)  # fmt: skip
DIFFERS = "*"
BEST = " (best)"


@dataclass
class Row:
    """One compared key: its value in each run, whether they differ, which runs are best."""

    kind: str  # "params" or "metrics"
    key: str
    values: list[Any]  # one per run; None where the run lacks the key
    differs: bool = False
    goal: str | None = None  # "min" / "max" for metrics
    best: set[int] = field(default_factory=set)  # indexes of the runs holding the best value


def goal(key: str, maximize: Collection[str] = (), minimize: Collection[str] = ()) -> str:
    """``"max"`` or ``"min"``: whether a higher value of metric ``key`` is better."""
    if key in maximize:
        return "max"
    if key in minimize:
        return "min"
    words = re.split(r"[^a-z0-9]+", key.lower())
    return "max" if any(w in HIGHER_IS_BETTER for w in words) else "min"


def build_rows(
    runs: Sequence[Run], maximize: Collection[str] = (), minimize: Collection[str] = ()
) -> list[Row]:
    """The params rows, then the metrics rows, each sorted by key."""
    rows = []
    for kind in ("params", "metrics"):
        keys = sorted({k for r in runs for k in getattr(r.data, kind)})
        for key in keys:
            values = [getattr(r.data, kind).get(key) for r in runs]
            row = Row(kind, key, values, differs=len({repr(v) for v in values}) > 1)
            if kind == "metrics":
                row.goal = goal(key, maximize, minimize)
                row.best = _best(values, row.goal) if row.differs else set()
            rows.append(row)
    return rows


def _best(values: Sequence[float | None], direction: str) -> set[int]:
    finite = [(i, v) for i, v in enumerate(values) if v is not None and not math.isnan(v)]
    if not finite:
        return set()
    pick = max if direction == "max" else min
    target = pick(v for _, v in finite)
    return {i for i, v in finite if v == target}


def to_json(runs: Sequence[Run], rows: Sequence[Row]) -> dict[str, Any]:
    """The comparison as JSON: the runs, then one object per row with values by run id."""
    ids = [r.info.run_id for r in runs]
    return {
        "runs": [{"run_id": r.info.run_id, "run_name": r.info.run_name} for r in runs],
        "rows": [
            {
                "kind": row.kind,
                "key": row.key,
                "values": {
                    run_id: (encode_double(v) if isinstance(v, float) else v)
                    for run_id, v in zip(ids, row.values, strict=True)
                },
                "differs": row.differs,
                "goal": row.goal,
                "best": [ids[i] for i in sorted(row.best)],
            }
            for row in rows
        ],
    }


def to_text(runs: Sequence[Run], rows: Sequence[Row], colour: bool) -> str:
    """The comparison as a table, one column per run headed ``name (short id)``."""
    shorts = short_ids([r.info.run_id for r in runs])
    headers = ["", "KEY"] + [f"{r.info.run_name} ({shorts[r.info.run_id]})" for r in runs]
    lines = [_row_cells(row, colour) for row in rows]
    right = [False] * len(headers)
    table = tables.render(headers, lines, colour, right=right) if rows else "(nothing to compare)"
    legend = (
        f"{DIFFERS} values differ;{BEST} lowest value, highest for accuracy-like keys "
        "(see --maximize)"
    )
    return f"{table}\n\n{tables.paint(legend, tables.DIM, colour)}"


def _row_cells(row: Row, colour: bool) -> list[Cell | str]:
    style = tables.YELLOW if row.differs else ""
    texts = (
        tables.distinct_numbers(row.values)
        if row.kind == "metrics"
        else ["-" if v is None else str(v) for v in row.values]
    )
    key = f"{row.kind}.{row.key}"
    if row.best:
        key += f" ({row.goal})"
    cells: list[Cell | str] = [Cell(DIFFERS if row.differs else "", style), Cell(key, style)]
    for i, text in enumerate(texts):
        if i in row.best:
            cells.append(Cell(text + BEST, tables.BOLD_GREEN))
        else:
            cells.append(Cell(text, style))
    return cells
