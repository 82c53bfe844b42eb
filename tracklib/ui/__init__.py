"""``tracklib ui`` and ``tracklib report``: a read-only web viewer of runs (see docs/ui.md).

Nothing here is imported by ``import tracklib``; the CLI loads it when the verb runs.
"""
