"""What a training script touches: the fluent API, the active run, start and resume, lifecycle.

Internal package; the public names are re-exported lazily by :mod:`tracklib`.
"""
