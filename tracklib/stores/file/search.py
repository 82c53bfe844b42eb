"""Searching the run folders of file-store experiments, and cutting pages of results.

The evaluator (:mod:`tracklib.query.grammar`) asks each run only for the values a filter and an
ordering name, so a run is read lazily (:class:`~tracklib.stores.file.runfiles.RunFiles`) or
from the search summary cache of a big experiment (:mod:`tracklib.stores.file.summaries`);
whole runs are read for the returned page only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import TypeVar

from tracklib.entities import Run, ViewType
from tracklib.errors import InvalidInputError, StoreError
from tracklib.query import results
from tracklib.query.grammar import Query
from tracklib.stores.file import runfiles, summaries
from tracklib.validation import MAX_SEARCH_RESULTS

T = TypeVar("T")


def search_folders(
    experiment_dirs: Sequence[str],
    query: Query,
    view_type: ViewType,
    max_results: int,
    page_token: str | None,
) -> tuple[list[Run], str | None]:
    """Return one page of the runs of ``experiment_dirs`` that ``query`` selects, in its order.

    Raises:
        InvalidInputError: A malformed page token, or max_results out of 0..50,000.
    """
    candidates = []
    for experiment_dir in experiment_dirs:
        run_dirs = runfiles.run_dirs(experiment_dir)
        cache = summaries.open_cache(experiment_dir, len(run_dirs))
        for run_dir in run_dirs:
            try:
                view = runfiles.RunFiles(run_dir) if cache is None else cache.view(run_dir)
                if view_type.admits(view.lifecycle_stage) and query.matches(view):
                    candidates.append(view)
            except (OSError, StoreError):
                continue  # a half-created or foreign folder, as MLflow skips it
        if cache is not None:
            cache.save()
    ordered = results.sort_runs(candidates, query.order)
    chosen, token = page(ordered, max_results, page_token)
    runs = []
    for view in chosen:
        try:
            runs.append(view.read())
        except (OSError, StoreError):
            continue
    return runs, token


def page(runs: list[T], max_results: int, page_token: str | None) -> tuple[list[T], str | None]:
    """Cut one page out of ``runs``; tokens are base64 JSON offsets, like MLflow's.

    Raises:
        InvalidInputError: The token is malformed or max_results is negative or above
            50,000.
    """
    if not 0 <= max_results <= MAX_SEARCH_RESULTS:  # 0 gives an empty page, as in MLflow
        raise InvalidInputError(
            f"max_results must be between 0 and {MAX_SEARCH_RESULTS} (MLflow's limit), got "
            f"{max_results}; page through more runs with the page token."
        )
    offset = 0
    if page_token:
        try:
            offset = int(json.loads(base64.b64decode(page_token))["offset"])
        except (ValueError, KeyError, TypeError):
            raise InvalidInputError(f"Invalid page_token {page_token!r}.") from None
    end = offset + max_results
    token = (
        base64.b64encode(json.dumps({"offset": end}).encode()).decode() if end < len(runs) else None
    )
    return runs[offset:end], token
