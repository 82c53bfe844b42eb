"""Framework tests on CPU: Keras on the torch backend, no hub downloads, rank 0 by default."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Before any test module imports keras / transformers: the backend is read once at import.
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tiny models: one torch thread is as fast, and on a busy 2-core runner a second spinning
# thread makes each batch several times slower. Set before torch is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from tracklib.integrations import training_run
from tracklib.tracking import ranks


@pytest.fixture(autouse=True)
def single_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No launcher rank variables (a CI job may itself run under SLURM or MPI)."""
    for name in (*ranks.RANK_VARS, ranks.LOG_ALL_RANKS_VAR):
        monkeypatch.delenv(name, raising=False)
    yield
    training_run._owned.clear()
