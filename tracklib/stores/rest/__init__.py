"""MLflow's REST API: the store, the HTTP session with its retry policy, the wire format."""
