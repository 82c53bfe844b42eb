"""MLflow's search grammar (filter strings, order_by) and the shaping of results (pages, pandas)."""
