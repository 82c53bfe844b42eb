"""A cache of run summaries that lets a search of a big experiment skip reading its runs.

Listing 1,000 runs means opening some 15,000 small files, which on its own costs more than
a tenth of MLflow's whole search. This cache keeps, per experiment, each run's meta.yaml,
params, tags and latest metrics, with a signature of the paths that can change (inode, size
and ctime, from ``stat``; see :func:`_watched_paths`). A search ``stat``s those paths and
uses the summary only when all of them are unchanged. Anything MLflow or tracklib writes
into a run (a metric appended in place, a tag rewritten, a key added or removed, meta.yaml
replaced) changes one of them, so a summary is not served stale.

One gap stays: a file rewritten to the same size within the file system's timestamp tick
keeps its signature. So a run is only cached once every watched path is older than
:data:`SETTLE_NS` (as git treats "racily clean" files); a later write then always gets a
newer ctime than the one recorded.

The cache lives outside the store (``TRACKLIB_CACHE_DIR``, else ``$XDG_CACHE_HOME/tracklib``,
else ``~/.cache/tracklib``), one file per experiment folder, written atomically; a missing,
foreign or corrupt file is ignored. ``TRACKLIB_SEARCH_CACHE=0`` (or ``false``, ``no``,
``off``) turns it off. Experiments
with fewer than :data:`MIN_RUNS` runs are read directly. Windows is left out: its ctime is
the creation time, not the time of the last change.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

from tracklib import settings
from tracklib.entities import Run, RunData
from tracklib.errors import StoreError
from tracklib.stores.file import runfiles
from tracklib.stores.file.disk import TMP_PREFIX

CACHE_DIR_VAR = settings.CACHE_DIR_VAR
SWITCH_VAR = settings.SEARCH_CACHE_VAR
MIN_RUNS = 100
SETTLE_NS = 2_000_000_000
# Bumped when an entry's layout or meaning changes (2: values keep \r as written);
# marshal's format and hash() are the interpreter's.
_FORMAT = (2, sys.implementation.name, sys.version_info[:2])
_KINDS = ("params", "metrics", "tags")

# An entry: (signature hash, paths relative to the run folder joined by "\n", meta.yaml,
# params, tags, latest metrics).
Entry = tuple[int, str, dict[str, Any], dict[str, str], dict[str, str], dict[str, float]]


def cache_base() -> str:
    """The folder holding tracklib's caches (``TRACKLIB_CACHE_DIR`` moves it)."""
    return settings.cache_dir()


def open_cache(experiment_dir: str, run_count: int) -> SummaryCache | None:
    """The summary cache of an experiment folder, or None when it is not worth one."""
    if run_count < MIN_RUNS or os.name == "nt" or not settings.flag_enabled(SWITCH_VAR):
        return None
    return SummaryCache(experiment_dir)


def _signature(stats: Iterable[os.stat_result]) -> int:
    """Hash of the (inode, size, ctime) of every stat result.

    Every change to a file's content or metadata sets its ctime (mtime can be set back,
    ctime cannot), and a file replaced by a rename gets a new inode.
    """
    return hash(tuple((s.st_ino, s.st_size, s.st_ctime_ns) for s in stats))


def _watched_paths(run_dir: str) -> list[str]:
    """The paths whose signature stands for the run's content.

    That is meta.yaml, the params/, metrics/ and tags/ folders (at every depth: a key added
    or removed changes its folder), every metric and tag file (appended to or rewritten in
    place), and the run folder itself if one of those folders is missing. A param's value
    never changes (MLflow and tracklib both refuse a new one), so only an empty param file
    is watched. MLflow does rewrite a param file in place when the same value is logged
    again, and a read may catch it empty in between: see :meth:`SummaryCache._summarise`.
    """
    paths = [f"{run_dir}/meta.yaml"]
    pending = [f"{run_dir}/{kind}" for kind in _KINDS]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            paths.append(run_dir)  # its ctime changes when the folder appears
            continue
        paths.append(folder)
        params = folder.startswith(f"{run_dir}/params")
        for entry in entries:
            if entry.is_dir():
                pending.append(entry.path)
            elif not entry.name.startswith(TMP_PREFIX) and (
                not params or entry.stat().st_size == 0
            ):
                paths.append(entry.path)
    return paths


def _well_formed(entry: object) -> bool:
    """Whether a loaded entry has the shape of :data:`Entry` (the file may be foreign)."""
    return (
        type(entry) is tuple
        and len(entry) == 6
        and type(entry[0]) is int
        and type(entry[1]) is str
        and all(type(part) is dict for part in entry[2:])
    )


class SummaryCache:
    """The cached summaries of one experiment folder, for one search."""

    def __init__(self, experiment_dir: str) -> None:
        real = os.path.realpath(experiment_dir)
        name = hashlib.sha1(real.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        self.path = os.path.join(cache_base(), "search", f"{name}.marshal")
        self.key = real
        self.entries: dict[str, Entry] = self._load()
        self.seen: dict[str, Entry] = {}
        self.changed = False  # an entry was added or replaced
        # Paths changed after this are too recent to trust their signature (see SETTLE_NS).
        self.settled_before = time.time_ns() - SETTLE_NS

    def _load(self) -> dict[str, Entry]:
        try:
            with open(self.path, "rb") as handle:
                content = marshal.loads(handle.read())  # load(handle) reads in tiny pieces
            if content[0] == _FORMAT and content[1] == self.key and type(content[2]) is dict:
                entries: dict[str, Entry] = content[2]
                return entries
        except (OSError, EOFError, ValueError, TypeError, IndexError, KeyError):
            pass  # no cache yet, or one from another version: rebuild it
        return {}

    def view(self, run_dir: str) -> runfiles.RunFiles:
        """A search view of a run: from its summary when still valid, else from its files.

        Raises:
            OSError: The run's files vanished while being read.
            StoreError: The run's meta.yaml is malformed.
        """
        run_id = os.path.basename(run_dir)
        entry = self.entries.get(run_id)
        if entry is not None and _well_formed(entry):
            try:
                paths = [f"{run_dir}/{p}" for p in entry[1].split("\n")]
                if _signature(map(os.stat, paths)) == entry[0]:
                    self.seen[run_id] = entry
                    return SummaryView(run_dir, entry)
            except OSError:
                pass  # a path is gone: the run changed
        return self._summarise(run_dir, run_id)

    def _summarise(self, run_dir: str, run_id: str) -> runfiles.RunFiles:
        files = runfiles.RunFiles(run_dir)
        try:
            paths = _watched_paths(run_dir)
            stats = [os.stat(p) for p in paths]  # before reading: a later write changes them
            if max(s.st_ctime_ns for s in stats) >= self.settled_before:
                return files  # too fresh to cache: read lazily, as always
            run = files.read()
        except (OSError, StoreError, ValueError):
            return files  # unreadable as a whole: searched (and paged) as without the cache
        if "" in run.data.params.values():
            # MLflow rewrites a param in place when it is logged again with the same value;
            # this read may have caught the file empty in between, and param files are not
            # watched one by one. A run with a truly empty param is just never cached.
            return files
        signature = _signature(stats)
        relative = "\n".join(p[len(run_dir) + 1 :] if p != run_dir else "." for p in paths)
        data = run.data
        entry: Entry = (
            signature, relative, files.meta, dict(data.params), dict(data.tags), dict(data.metrics)
        )  # fmt: skip
        self.seen[run_id] = entry
        self.changed = True
        return SummaryView(run_dir, entry, run)

    def save(self) -> None:
        """Write the summaries of the runs this search saw (best effort, atomic)."""
        if not self.changed and len(self.seen) == len(self.entries):
            return
        folder = os.path.dirname(self.path)
        tmp = f"{self.path}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            # Private to the user, like the store's values it holds may be.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "wb") as handle:
                handle.write(marshal.dumps((_FORMAT, self.key, self.seen)))
            os.replace(tmp, self.path)
        except (OSError, ValueError):  # a read-only home, or a value marshal cannot hold
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class SummaryView(runfiles.RunFiles):
    """A run's search view built from its cached summary: no file is read."""

    __slots__ = ("_entry", "_run")

    def __init__(self, run_dir: str, entry: Entry, run: Run | None = None) -> None:
        self.run_dir = run_dir
        self.meta = entry[2]
        self._cache = {}
        self._entry = entry
        self._run = run

    def metric(self, key: str) -> float | None:
        return self._entry[5].get(key)

    def param(self, key: str) -> str | None:
        return self._entry[3].get(key)

    def tag(self, key: str) -> str | None:
        return self._entry[4].get(key)

    def read(self) -> Run:
        """The whole run, from the summary.

        Raises:
            StoreError: The cached meta.yaml does not describe this run folder.
        """
        if self._run is None:
            _, _, meta, params, tags, metrics = self._entry
            info = runfiles.meta_to_info(self.run_dir, meta, tags)
            data = RunData(metrics=dict(metrics), params=dict(params), tags=dict(tags))
            self._run = Run(info=info, data=data)
        return self._run
