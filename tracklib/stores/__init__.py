"""Storage backends. :func:`open_store` picks one from a tracking URI."""

from __future__ import annotations

import os
import threading

from tracklib import settings
from tracklib.stores.base import Store

_stores: dict[str, Store] = {}
_lock = threading.Lock()


def open_store(uri: str) -> Store:
    """Return the (shared, per-process) store for a tracking URI.

    One store per folder, so every run of a process shares its open metric files. A
    ``memory:`` URI selects a :class:`tracklib.stores.memory.InMemoryStore`; an http(s) URI a
    :class:`tracklib.stores.rest.store.RestStore` (one keep-alive session per server).

    Raises:
        InvalidInputError: The URI is not one tracklib can use.
    """
    if uri.startswith("memory:"):  # tracklib.testing's in-memory stores, one per URI
        from tracklib.stores.memory import memory_store

        return memory_store(uri)
    if settings.is_remote(uri):
        return _rest_store(uri)
    key = uri if os.path.isabs(uri) else f"{os.getcwd()}\0{uri}"  # relative: per folder
    store = _stores.get(key)
    if store is not None:
        return store
    path = settings.local_path(uri)
    with _lock:
        store = _stores.get(path)
        if store is None:
            from tracklib.stores.file.store import FileStore

            store = _stores[path] = FileStore(path)
        _stores[key] = store
        return store


def _rest_store(uri: str) -> Store:
    """One RestStore per URI and auth/TLS/timeout settings (they are read when it is made)."""
    import hashlib

    names = (
        *settings.USERNAME_VARS,
        *settings.PASSWORD_VARS,
        *settings.TOKEN_VARS,
        *settings.INSECURE_TLS_VARS,
        *settings.SERVER_CERT_VARS,
        *settings.CLIENT_CERT_VARS,
        settings.HTTP_TIMEOUT_VAR,
    )
    identity = "\0".join((uri, *(os.environ.get(name, "") for name in names)))
    key = "rest\0" + hashlib.sha256(identity.encode()).hexdigest()  # no secret kept as a key
    with _lock:
        store = _stores.get(key)
        if store is None:
            from tracklib.stores.rest.store import RestStore

            store = _stores[key] = RestStore(uri)
        return store


def reset() -> None:
    """Forget every store this process opened (the next :func:`open_store` makes new ones).

    Also empties the in-memory stores and the meta.yaml read cache. For tests: a store that
    is still in use elsewhere keeps working, it is only no longer shared.
    """
    from tracklib.stores.file import disk
    from tracklib.stores.memory import forget_memory_stores

    with _lock:
        _stores.clear()
    forget_memory_stores()
    disk.clear_yaml_cache()
