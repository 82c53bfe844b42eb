"""Framework integrations: Keras 3, PyTorch Lightning, Hugging Face Transformers.

Each lives in its own module and imports its framework when that module is imported, never
at ``import tracklib``::

    from tracklib.integrations.keras import TracklibCallback
    from tracklib.integrations.lightning import TracklibLogger
    from tracklib.integrations.transformers import TracklibCallback

See docs/integrations.md for what each one logs.
"""
