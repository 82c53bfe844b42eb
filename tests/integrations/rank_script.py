"""One process of a hand-made 2-process job using the fluent API (RANK from the environment).

Usage: python rank_script.py (the store is ./mlruns).
"""

from __future__ import annotations

import os

import tracklib

with tracklib.start_run(experiment="job", run_name="job") as run:
    tracklib.log_param("rank", os.environ.get("RANK"))
    for step in range(3):
        tracklib.log_metric("loss", 1.0 / (step + 1), step=step)
    with tracklib.start_run(run_name="child", nested=True):
        tracklib.log_metric("m", 1.0)
    print(f"run id: {run.info.run_id!r}")
