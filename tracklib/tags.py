"""Every system tag name tracklib reads or writes, in one place.

MLflow's names (``mlflow.*``) are MLflow 3.17's: its UI and client read them. tracklib's own
(``tracklib.*``) link a run on a server to the spool or store it came from.
"""

from __future__ import annotations

SYSTEM_TAG_PREFIX = "mlflow."
"""Tags under this prefix are MLflow's bookkeeping, shown apart from the user's tags."""

RUN_NAME = "mlflow.runName"
PARENT_RUN_ID = "mlflow.parentRunId"
NOTE = "mlflow.note.content"
"""The run's (or experiment's) Markdown description."""
USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_PREFIX = "mlflow.source.git."
"""``mlflow.source.git.commit``, ``.branch`` and ``.repoURL`` (from the environment snapshot)."""

SOURCE_RUN_ID = "tracklib.sourceRunId"
"""On a server: the id the run had in the spool or local store it was replicated from."""
SOURCE_VERSION = "tracklib.sourceVersion"
"""On a carried model version: ``<local version>:<creation time>`` (sync never makes it twice)."""
INTEGRATION = "tracklib.integration"
"""On a run a framework integration started: ``keras``, ``lightning`` or ``transformers``."""
PROMPT = "mlflow.prompt.is_prompt"
"""MLflow marks registered prompts with it; model searches leave them out."""
