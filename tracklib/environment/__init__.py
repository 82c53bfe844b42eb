"""The environment snapshot recorded with every run (public: :func:`capture_environment`).

``python -m tracklib.environment`` prints the snapshot of the current interpreter as JSON.
The capture lives in :mod:`tracklib.environment.capture`, the installed-packages scan in
:mod:`tracklib.environment.packages`, the cross-process cache of that scan in
:mod:`tracklib.environment.cache`, ``env`` / ``env diff`` in :mod:`tracklib.environment.report`
and the ``reproduce`` steps in :mod:`tracklib.environment.reproduce`.
"""

from __future__ import annotations

from tracklib.environment.capture import capture_environment

__all__ = ["capture_environment"]
