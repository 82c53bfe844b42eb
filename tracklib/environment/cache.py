"""A cross-process cache of the slow, rarely changing part of the environment snapshot.

Reading ~200 package metadata files, asking ``uname -p`` (``platform.platform()`` spawns it)
and rendering the YAML files cost a fresh process more than the rest of its first run. What they
depend on rarely changes between two runs of a script, so the result is kept in a JSON file under
the cache folder (``TRACKLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/tracklib``), one per interpreter,
and reused while its stamp still holds.

The stamp is what can change the result: the interpreter (path, ``sys.version``, the
executable's modification time, the kernel from ``os.uname()``), the ``sys.path`` entries in order
(absolute), and each entry's modification time. A directory's time changes when a distribution is
installed, upgraded or removed there (pip creates and deletes whole ``*.dist-info`` folders);
when it changed for another reason (a file saved in the script's folder), the entry's listing of
``*.dist-info``/``*.egg-info`` names and their times decides, so editing a script does not cost a
rescan; and an entry that lists no metadata at all (the script's folder, or the current one for
``python -c``) may be another folder, so the scripts of other projects share the cache. Not
noticed: a metadata file edited in place inside an existing ``*.dist-info`` folder.

Any unreadable, corrupt or foreign cache file counts as a miss and is rewritten; a cache folder
that cannot be written only costs the rescan.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import zlib
from typing import Any

FORMAT = 1
_METADATA_SUFFIXES = (".dist-info", ".egg-info")

Stamp = dict[str, Any]


def cache_file() -> str:
    """Returns this interpreter's cache file (one per ``sys.executable``)."""
    from tracklib import settings

    base = settings.cache_dir()
    # crc32, not hashlib: importing OpenSSL costs more than this whole lookup. The interpreter
    # is in the stamp, so two interpreters sharing a name only take turns rewriting the file.
    digest = zlib.crc32(os.fsencode(sys.executable))
    return os.path.join(base, "environment", f"host-{digest:08x}.json")


def current_stamp(path: list[str] | None = None) -> Stamp | None:
    """Returns the stamp of this process: interpreter and the path entries' times.

    None where there is no ``os.uname`` (Windows): there the cache is not used.

    Args:
        path: The scanned directories; defaults to ``sys.path``.
    """
    if not hasattr(os, "uname"):
        return None
    uname = os.uname()
    interpreter = [sys.executable, sys.version, _mtime(sys.executable), uname.sysname,
                   uname.release, uname.version, uname.machine]  # fmt: skip
    entries = [os.path.abspath(entry or ".") for entry in (sys.path if path is None else path)]
    return {"interpreter": interpreter, "path": [[entry, _mtime(entry)] for entry in entries]}


def load(stamp: Stamp) -> dict[str, Any] | None:
    """Returns the cached value if the cache file's stamp still holds for ``stamp``, else None.

    When only directory times moved and their metadata listings did not, the file is
    rewritten with the new times, so the next process takes the fast path again.

    Args:
        stamp: From :func:`current_stamp`.
    """
    path = cache_file()
    try:
        with open(path, "rb") as stream:
            data = json.load(stream)
        if data["format"] != FORMAT or data["interpreter"] != stamp["interpreter"]:
            return None
        moved = _moved_entries(data["path"], stamp["path"])
        value = data["value"]
        if not isinstance(value, dict):
            return None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # missing, unreadable or corrupt: a miss
    if moved is None:
        return None
    if moved:
        for old, new in moved:
            old[0], old[1] = new
        _write(path, data)
    return value


def _moved_entries(cached: list[list[Any]], current: list[list[Any]]) -> list[Any] | None:
    """The (cached, current) entry pairs that moved but list the same metadata; None: stale.

    An entry matches by path and time; else by its listing, at the same path, or at another
    path when it lists no metadata at all: the script's folder ('' for ``python -c``) differs
    from one project to the next and holds no installed distribution.
    """
    if len(cached) != len(current):
        return None
    moved = []
    for old, new in zip(cached, current, strict=True):
        if old[:2] == new:
            continue
        listing = _listing(new[0])
        if listing is None or listing != old[2] or (old[0] != new[0] and listing):
            return None
        moved.append((old, new))
    return moved


def listings(stamp: Stamp) -> Stamp:
    """Returns ``stamp`` with each directory entry's metadata listing added.

    Take it before scanning: whatever changes during the scan then fails the next check.

    Args:
        stamp: From :func:`current_stamp`.
    """
    path = [[entry, mtime, _listing(entry)] for entry, mtime in stamp["path"]]
    return {**stamp, "path": path}


def store(stamp: Stamp, value: dict[str, Any]) -> None:
    """Write ``value`` under ``stamp`` (from :func:`listings`); failures are ignored.

    Args:
        stamp: The stamp taken before ``value`` was computed, with listings.
        value: JSON-serialisable data.
    """
    _write(cache_file(), {"format": FORMAT, **stamp, "value": value})


def _write(path: str, data: dict[str, Any]) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                json.dump(data, stream, separators=(",", ":"))
            os.replace(tmp, path)  # readers see the old file or the new one, never half
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only home: every process rescans, as without the cache


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _listing(entry: str) -> list[list[Any]] | None:
    """The ``*.dist-info``/``*.egg-info`` names of a directory with their times.

    None for what is not a plain directory (a zip, an ``.egg``, nothing): those must match
    by path and time.
    """
    if entry.lower().endswith(".egg"):
        return None
    try:
        with os.scandir(entry) as children:
            found = [
                [child.name, child.stat().st_mtime_ns]
                for child in children
                if child.name.lower().endswith(_METADATA_SUFFIXES)
            ]
    except OSError:
        return None
    return sorted(found)
