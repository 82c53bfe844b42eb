"""Fixtures of the differential suite: MLflow's own client and tracklib's, on twin stores."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow_diff import Side, both_sides
from search_data import SearchPair, populate


@pytest.fixture(scope="session")
def search_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchPair]:
    """The search data set in both libraries' stores, shared read-only by the search cases."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
        patch.setenv("TRACKLIB_CAPTURE_ENV", "0")
        for name in ("MLFLOW_TRACKING_URI", "TRACKLIB_TRACKING_URI"):
            patch.delenv(name, raising=False)
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        ml, tl = both_sides(tmp_path_factory.mktemp("search-pair"))
        experiments = {side.name: populate(side) for side in (ml, tl)}
        yield SearchPair(ml, tl, experiments)


@pytest.fixture
def sides(tmp_path: Path) -> tuple[Side, Side]:
    """A fresh (MLflow, tracklib) pair of empty stores for one test."""
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    return both_sides(tmp_path)
