"""Which process of a distributed job this is, and whether it logs.

Distributed training starts one process per device; each runs the same script. Only global
rank 0 logs by default, so a job yields one run, not one per process. The rank comes from
the launcher's environment (torchrun and Lightning set ``RANK``, SLURM ``SLURM_PROCID``,
Open MPI ``OMPI_COMM_WORLD_RANK``, MPICH/Intel MPI ``PMI_RANK``); ``LOCAL_RANK`` is the last
resort (it is only the rank within one machine). ``TRACKLIB_LOG_ALL_RANKS=1`` makes every
rank log (each its own run).
"""

from __future__ import annotations

import os

from tracklib import settings

LOG_ALL_RANKS_VAR = settings.LOG_ALL_RANKS_VAR
RANK_VARS = settings.RANK_VARS


def global_rank() -> int:
    """Return this process's global rank from the launcher's environment (0 when unset).

    A value that is not an integer is ignored (the next variable is tried), so a stray
    ``RANK=abc`` never silences a single-process script.
    """
    for name in RANK_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                return int(value)
            except ValueError:
                continue
    return 0


def log_all_ranks() -> bool:
    """Whether ``TRACKLIB_LOG_ALL_RANKS`` asks every rank to log."""
    value = os.environ.get(LOG_ALL_RANKS_VAR, "").strip().lower()
    return value in ("1", "true", "yes", "on")


def should_log(rank: int | None = None) -> bool:
    """Whether this process logs: rank 0, or any rank with ``TRACKLIB_LOG_ALL_RANKS=1``.

    Args:
        rank: The global rank when the caller knows it (a framework's own view); else the
            environment's.
    """
    if log_all_ranks():
        return True
    return (global_rank() if rank is None else rank) == 0
