"""Cutting a batch into ``log-batch`` requests within MLflow's per-request limits.

The one chunker: the REST store uses it for a caller's large ``log_batch``, and the
replicator uses it to size what it sends (and checkpoints) per request, so a replicated
batch is never cut a second time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tracklib.entities import Metric, Param, RunTag
from tracklib.validation import (
    MAX_ENTITIES_PER_BATCH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_PER_BATCH,
    MAX_TAGS_PER_BATCH,
)

Chunk = tuple[Sequence[Metric], Sequence[Param], Sequence[RunTag]]


def split_batch(
    metrics: Sequence[Metric] = (), params: Sequence[Param] = (), tags: Sequence[RunTag] = ()
) -> Iterator[Chunk]:
    """Cut a batch into log-batch requests within MLflow's limits, the way its client does.

    Params and tags go in chunks of 100, paired up; each request is topped up with metrics
    to 1000 entities; the remaining metrics follow in chunks of 1000. Order is kept, so
    a caller that checkpoints after each request knows exactly what the server has.
    """
    n_pairs = max(-(-len(params) // MAX_PARAMS_PER_BATCH), -(-len(tags) // MAX_TAGS_PER_BATCH))
    used = 0
    for i in range(n_pairs):
        p = params[i * MAX_PARAMS_PER_BATCH : (i + 1) * MAX_PARAMS_PER_BATCH]
        t = tags[i * MAX_TAGS_PER_BATCH : (i + 1) * MAX_TAGS_PER_BATCH]
        room = min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - len(p) - len(t))
        yield metrics[used : used + room], p, t
        used += room
    while used < len(metrics):
        yield metrics[used : used + MAX_METRICS_PER_BATCH], (), ()
        used += MAX_METRICS_PER_BATCH
