"""The model registry: named models, their versions and aliases, beside the tracking store.

A file store keeps it in ``<root>/models/`` in MLflow 3.17's layout (:mod:`.layout`,
:mod:`.filestore`); a server through MLflow's REST API (:mod:`.rest`). The public face is
:class:`tracklib.Client`'s registry methods (:mod:`.client`) and :func:`tracklib.register_model`.
"""
