"""`import tracklib` (and a run) imports no framework; an integration imports only its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FRAMEWORKS = ("torch", "keras", "lightning", "pytorch_lightning", "transformers", "numpy", "jax")

PROBE = """
import json, sys
import tracklib, tracklib.integrations
{extra}
with tracklib.start_run(experiment="probe"):
    tracklib.log_metric("m", 1.0, step=0)
    tracklib.log_params({{"p": 1}})
print(json.dumps(sorted(m for m in {frameworks} if m in sys.modules)))
"""


def loaded_after(tmp_path: Path, extra: str = "") -> list[str]:
    code = PROBE.format(extra=extra, frameworks=FRAMEWORKS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "TRACKLIB_"))}
    env = {**env, "PYTHONPATH": os.pathsep.join(sys.path), "KERAS_BACKEND": "torch"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_import_and_a_run_load_no_framework(tmp_path: Path) -> None:
    assert loaded_after(tmp_path) == []


def test_shared_integration_modules_load_no_framework(tmp_path: Path) -> None:
    extra = "import tracklib.integrations.training_run, tracklib.integrations.values"
    assert loaded_after(tmp_path, extra) == []


def test_transformers_integration_loads_no_keras(tmp_path: Path) -> None:
    loaded = loaded_after(tmp_path, "import tracklib.integrations.transformers")
    assert "transformers" in loaded and "keras" not in loaded and "lightning" not in loaded
