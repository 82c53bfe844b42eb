"""Two CPU processes (DDP over gloo) training with a TracklibLogger; run as a script.

Usage: python ddp_lightning.py STORE_DIR WORK_DIR. Lightning starts the second process by
re-running this script with LOCAL_RANK=1.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lightning_models import Regressor, loader, trainer

import tracklib
from tracklib.integrations.lightning import TracklibLogger


def main() -> None:
    tracklib.set_tracking_uri(sys.argv[1])
    logger = TracklibLogger(experiment="ddp")
    train = trainer(
        devices=2, strategy="ddp", max_epochs=2, logger=logger, default_root_dir=sys.argv[2]
    )
    train.fit(Regressor(), loader(), loader())
    with tracklib.start_run(experiment="ddp", run_name="fluent"):  # the fluent API too
        tracklib.log_metric("rank_metric", float(train.global_rank))
    print(f"rank {train.global_rank} done")


if __name__ == "__main__":
    main()
