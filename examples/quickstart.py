"""The smallest tracklib program: one run with a param and a metric, in ./mlruns."""

import tracklib

with tracklib.start_run() as run:
    tracklib.log_param("batch_size", 32)
    tracklib.log_metric("mse", 0.1)

print(f"Logged run {run.info.run_id} ({run.info.run_name}) to {tracklib.get_tracking_uri()}")
