"""MLflow's ``mlruns/`` file-store layout: runs, experiments, artifacts, disk format, search."""
