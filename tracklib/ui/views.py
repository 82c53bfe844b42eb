"""The JSON shapes ``tracklib ui`` answers with (see docs/ui.md): experiments and runs.

Floats go out as MLflow's JSON carries them (NaN and infinities as strings), so every answer
is strict JSON a browser's ``JSON.parse`` accepts.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from tracklib.entities import Experiment, Run
from tracklib.jsonform import encode_double
from tracklib.tags import NOTE as NOTE_TAG
from tracklib.tags import PARENT_RUN_ID as PARENT_TAG
from tracklib.tags import SYSTEM_TAG_PREFIX

# Characters a browser could read as markup if JSON were ever put into HTML; escaped as
# \\u00XX they parse to the same strings.
_HTML_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def dumps(data: Any) -> bytes:
    """Strict JSON, UTF-8, with ``<``, ``>`` and ``&`` escaped (safe inside HTML too).

    Raises:
        ValueError: ``data`` holds a NaN or infinite float (encode them first).
    """
    text = json.dumps(data, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    return text.translate(_HTML_SAFE).encode("utf-8")


def experiment_json(experiment: Experiment, runs: Sequence[Run] | None = None) -> dict[str, Any]:
    """An experiment; with ``runs`` also its run counts and last activity (ms)."""
    data: dict[str, Any] = {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "lifecycle_stage": str(experiment.lifecycle_stage),
        "tags": dict(experiment.tags),
    }
    if runs is not None:
        times = [t for r in runs for t in (r.info.start_time, r.info.end_time) if t]
        if experiment.last_update_time:
            times.append(experiment.last_update_time)
        data["run_count"] = len(runs)
        data["active_runs"] = sum(1 for r in runs if str(r.info.status) == "RUNNING")
        data["last_activity"] = max(times) if times else None
    return data


def run_summary(run: Run) -> dict[str, Any]:
    """A run as the runs table needs it; ``tags`` holds the user tags only."""
    info, data = run.info, run.data
    return {
        "run_id": info.run_id,
        "run_name": info.run_name,
        "status": str(info.status),
        "start_time": info.start_time,
        "end_time": info.end_time,
        "parent_run_id": data.tags.get(PARENT_TAG),
        "params": dict(data.params),
        "metrics": {k: encode_double(v) for k, v in data.metrics.items()},
        "tags": {k: v for k, v in data.tags.items() if not k.startswith(SYSTEM_TAG_PREFIX)},
    }


def run_detail(run: Run) -> dict[str, Any]:
    """A run summary plus what the run page shows besides (system tags, description...)."""
    summary = run_summary(run)
    summary.update(
        experiment_id=run.info.experiment_id,
        artifact_uri=run.info.artifact_uri,
        lifecycle_stage=str(run.info.lifecycle_stage),
        description=run.data.tags.get(NOTE_TAG, ""),
        system_tags={k: v for k, v in run.data.tags.items() if k.startswith(SYSTEM_TAG_PREFIX)},
    )
    return summary


def key_union(runs: Iterable[Run], kind: str) -> list[str]:
    """The sorted union of the ``params`` or ``metrics`` keys of ``runs``."""
    return sorted({key for run in runs for key in getattr(run.data, kind)})


def differing_params(runs: Sequence[Run]) -> list[str]:
    """The param keys whose value (or presence) is not the same in every run."""
    return [
        key
        for key in key_union(runs, "params")
        if len({run.data.params.get(key) for run in runs}) > 1
    ]
