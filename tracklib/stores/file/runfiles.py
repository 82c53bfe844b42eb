"""One run folder of the file store: meta.yaml, params/, tags/, metrics/ read and written.

Pure functions over a run directory, shared by :class:`~tracklib.stores.file.store.FileStore`
and anything that reads a store without a live FileStore (sync, the CLI).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from typing import Any

from tracklib import validation
from tracklib.entities import Metric, Param, Run, RunData, RunInfo, RunStatus
from tracklib.errors import InvalidInputError, StoreError
from tracklib.stores.file.disk import (
    create_file,
    decode_text,
    iter_key_files,
    load_yaml,
    parse_metric_lines,
    plain_yaml_string,
    read_bytes,
    read_text,
    read_value_files,
    write_yaml,
)
from tracklib.tags import RUN_NAME

NOT_RUN_FOLDERS = frozenset({"tags", "datasets", "traces", "models"})


def key_path(run_dir: str, kind: str, key: str) -> str:
    """Return the file of ``key`` under ``<run_dir>/<kind>/`` (``a/b`` -> ``a/b``)."""
    if os.sep == "/":  # keys are validated: no leading '/', no '//', no '..'
        return f"{run_dir}/{kind}/{key}"
    return os.path.join(run_dir, kind, *key.split("/"))


@contextlib.contextmanager
def key_clash_as_input_error(kind: str, key: str) -> Iterator[None]:
    """Turn the OS error of ``a`` vs ``a/b`` (a file where a folder must be) into a clear one.

    Raises:
        InvalidInputError: The key's path clashes with an existing key.
    """
    try:
        yield
    except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
        raise InvalidInputError(
            f"The {kind} key {key!r} clashes with an existing {kind} key: 'a' and 'a/b' cannot "
            f"both exist, because keys with '/' are stored as folders ({exc.strerror})."
        ) from None


def run_dirs(experiment_dir: str) -> list[str]:
    """Return the run folders of an experiment folder (subfolders with a meta.yaml)."""
    try:
        entries = list(os.scandir(experiment_dir))
    except FileNotFoundError:
        return []
    return [
        e.path
        for e in entries
        if e.name not in NOT_RUN_FOLDERS
        and e.is_dir()
        and os.path.isfile(os.path.join(e.path, "meta.yaml"))
    ]


def info_to_meta(info: RunInfo) -> dict[str, Any]:
    """Return the 14 keys MLflow 3.17 writes in a new run's meta.yaml."""
    return {
        "artifact_uri": info.artifact_uri,
        "end_time": info.end_time,
        "entry_point_name": "",
        "experiment_id": info.experiment_id,
        "lifecycle_stage": str(info.lifecycle_stage),
        "run_id": info.run_id,
        "run_name": info.run_name,
        "source_name": "",
        "source_type": 4,
        "source_version": "",
        "start_time": info.start_time,
        "status": info.status.code,
        "tags": [],
        "user_id": info.user_id,
    }


def write_run_meta(run_dir: str, meta: dict[str, Any]) -> None:
    """Atomically replace a run's meta.yaml."""
    write_yaml(os.path.join(run_dir, "meta.yaml"), meta)


def read_run_info(run_dir: str, tags: dict[str, str] | None = None) -> RunInfo:
    """Read a run's meta.yaml into a RunInfo.

    Raises:
        StoreError: meta.yaml lacks a key MLflow requires, or disagrees with its folder.
    """
    return meta_to_info(run_dir, load_yaml(os.path.join(run_dir, "meta.yaml")), tags)


def meta_to_info(run_dir: str, meta: dict[str, Any], tags: dict[str, str] | None) -> RunInfo:
    """Turn a run's meta.yaml content into a RunInfo (``tags`` give a missing run name).

    Raises:
        StoreError: ``meta`` lacks a key MLflow requires, or disagrees with its folder.
    """
    run_id = str(meta.get("run_id") or meta.get("run_uuid") or "")
    experiment_id = str(meta.get("experiment_id", ""))
    if run_id != os.path.basename(run_dir) or experiment_id != os.path.basename(
        os.path.dirname(run_dir)
    ):
        raise StoreError(
            f"{run_dir}/meta.yaml names run {run_id!r} in experiment "
            f"{experiment_id!r}, which does not match its folder."
        )
    if meta.get("start_time") is None:
        raise StoreError(f"{run_dir}/meta.yaml has no start_time.")
    run_name = meta.get("run_name")
    if not run_name:
        if tags is None:
            tag_file = key_path(run_dir, "tags", RUN_NAME)
            run_name = read_text(tag_file) if os.path.isfile(tag_file) else ""
        else:
            run_name = tags.get(RUN_NAME, "")
    return RunInfo(
        run_id=run_id,
        experiment_id=experiment_id,
        run_name=str(run_name),
        user_id=str(meta.get("user_id") or "unknown"),
        status=RunStatus.from_code(meta.get("status", 1)),
        start_time=int(meta["start_time"]),
        end_time=None if meta.get("end_time") is None else int(meta["end_time"]),
        artifact_uri=str(meta.get("artifact_uri") or ""),
        lifecycle_stage=str(meta.get("lifecycle_stage") or "active"),
    )


def read_metric(run_dir: str, key: str) -> list[Metric]:
    """Return every point of one metric, in logged order ([] if it was never logged)."""
    try:
        data = read_bytes(key_path(run_dir, "metrics", key))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    return parse_metric_lines(key, data)


def latest_metrics(run_dir: str) -> dict[str, float]:
    """Return each metric's value at its largest (step, timestamp, value), MLflow's rule."""
    latest = {}
    for key, path in iter_key_files(os.path.join(run_dir, "metrics")):
        value = latest_value(key, read_bytes(path))
        if value is not None:
            latest[key] = value
    return latest


def read_run(run_dir: str, meta: dict[str, Any] | None = None) -> Run:
    """Read a whole run: info, params, latest metrics and tags (``meta``: already read).

    Raises:
        StoreError: The run's files are malformed.
    """
    tags = read_value_files(os.path.join(run_dir, "tags"))
    data = RunData(
        metrics=latest_metrics(run_dir),
        params=read_value_files(os.path.join(run_dir, "params")),
        tags=tags,
    )
    return Run(info=meta_to_info(run_dir, meta or read_meta(run_dir), tags), data=data)


_META_LINE = re.compile(r"([a-z_]+): (.*)")
_META_INT = re.compile(r"-?[1-9][0-9]*|0")


def parse_flat_meta(data: bytes) -> dict[str, Any] | None:
    """Parse a flat meta.yaml of simple scalars (what MLflow and tracklib write) without
    PyYAML, which costs ~100 us a file; None when anything is unusual (then use PyYAML).

    Only forms whose YAML meaning is unambiguous are taken: ``null``, ``[]``, decimal
    integers, single-quoted strings and plain strings as PyYAML writes them (checked with its
    own type resolver); anything else returns None.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    meta: dict[str, Any] = {}
    for line in text.split("\n"):
        if not line:
            continue
        match = _META_LINE.fullmatch(line)
        if match is None:
            return None
        key, raw = match.groups()
        if raw == "null":
            meta[key] = None
        elif raw == "[]":
            meta[key] = []
        elif _META_INT.fullmatch(raw):
            meta[key] = int(raw)
        elif len(raw) >= 2 and raw[0] == raw[-1] == "'" and "'" not in raw[1:-1].replace("''", ""):
            meta[key] = raw[1:-1].replace("''", "'")
        elif plain_yaml_string(raw):
            meta[key] = raw
        else:
            return None
    return meta or None


def read_meta(run_dir: str) -> dict[str, Any]:
    """Read a run's meta.yaml, with :func:`parse_flat_meta` first and PyYAML as fallback.

    Raises:
        FileNotFoundError: There is no meta.yaml.
        StoreError: meta.yaml is not a YAML mapping.
    """
    path = os.path.join(run_dir, "meta.yaml")
    meta = parse_flat_meta(read_bytes(path))
    return load_yaml(path) if meta is None else meta


class RunFiles:
    """Lazy, read-only access to one run folder for searching: reads meta.yaml at once and
    a metric, param or tag file only when asked for it (and only once).

    It has the methods of :class:`tracklib.query.grammar.RunValues`.
    """

    __slots__ = ("_cache", "meta", "run_dir")

    def __init__(self, run_dir: str) -> None:
        """Read the run's meta.yaml.

        Raises:
            FileNotFoundError: meta.yaml vanished.
            StoreError: meta.yaml is not a YAML mapping.
        """
        self.run_dir = run_dir
        self.meta = meta = read_meta(run_dir)
        self._cache: dict[tuple[str, str], Any] = {}
        run_id = str(meta.get("run_id") or meta.get("run_uuid") or "")
        experiment_id = str(meta.get("experiment_id", ""))
        # A run moved to another experiment's folder is skipped before paging, as MLflow does.
        if (
            run_id != os.path.basename(run_dir)
            or experiment_id != os.path.basename(os.path.dirname(run_dir))
            or meta.get("start_time") is None
        ):
            raise StoreError(f"{run_dir}/meta.yaml does not describe this run folder.")

    @property
    def lifecycle_stage(self) -> str:
        return str(self.meta.get("lifecycle_stage") or "active")

    def _file(self, kind: str, key: str) -> bytes | None:
        parts = key.split("/")
        seps = (os.sep, os.altsep or os.sep)
        if any(p in ("", ".", "..") or seps[0] in p or seps[1] in p for p in parts):
            return None  # not a key the store can hold: never read outside the run
        try:
            return read_bytes(os.path.join(self.run_dir, kind, *parts))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def metric(self, key: str) -> float | None:
        cache_key = ("metrics", key)
        if cache_key not in self._cache:
            data = self._file("metrics", key)
            self._cache[cache_key] = None if data is None else latest_value(key, data)
        value: float | None = self._cache[cache_key]
        return value

    def _text(self, kind: str, key: str) -> str | None:
        cache_key = (kind, key)
        if cache_key not in self._cache:
            data = self._file(kind, key)
            self._cache[cache_key] = None if data is None else decode_text(data)
        text: str | None = self._cache[cache_key]
        return text

    def param(self, key: str) -> str | None:
        return self._text("params", key)

    def tag(self, key: str) -> str | None:
        return self._text("tags", key)

    def attribute(self, key: str) -> str | int | None:
        meta = self.meta
        if key == "run_id":
            return os.path.basename(self.run_dir)
        if key == "start_time":
            return int(meta.get("start_time") or 0)
        if key == "end_time":
            return None if meta.get("end_time") is None else int(meta["end_time"])
        if key == "status":
            return RunStatus.from_code(meta.get("status", 1)).value
        if key == "run_name":
            return str(meta.get("run_name") or self.tag(RUN_NAME) or "")
        if key == "user_id":
            return str(meta.get("user_id") or "unknown")
        if key == "artifact_uri":
            return str(meta.get("artifact_uri") or "")
        raise KeyError(key)

    def read(self) -> Run:
        """Read the whole run (what search_runs returns).

        Raises:
            StoreError: The run's files are malformed.
        """
        return read_run(self.run_dir, self.meta)


def latest_value(key: str, data: bytes) -> float | None:
    """The value of a metric file's point with the largest (step, timestamp, value), as
    MLflow picks it; None for a file with no complete line.

    Raises:
        StoreError: A complete line is malformed.
    """
    best: tuple[int, int, float] | None = None
    lines = data.split(b"\n")
    lines.pop()  # b"" after the last newline, or a line torn by a crash
    try:
        for line in lines:
            fields = line.split()
            n = len(fields)
            # Plain tuples, not Metric objects: this runs for every run of a search.
            point = (
                int(fields[2]) if n != 2 else 0,
                int(fields[0]),
                float(fields[1]),
            )
            if n not in (2, 3, 5):
                raise ValueError
            if best is None or point > best:  # the first maximum wins, as with max()
                best = point
    except (ValueError, IndexError):
        parse_metric_lines(key, data)  # raises StoreError naming the malformed line
        raise
    return None if best is None else best[2]


def params_to_write(run_dir: str, params: Sequence[Param]) -> list[Param]:
    """Return the params not logged yet; check the rest against what is on disk.

    Raises:
        InvalidInputError: A param is already logged (or repeated in ``params``) with a
            different value.
    """
    seen: dict[str, str] = {}
    new = []
    for param in params:
        old = seen.get(param.key)
        if old is None:
            path = key_path(run_dir, "params", param.key)
            old = read_text(path) if os.path.isfile(path) else None
        if old is None:
            new.append(param)
        elif old != param.value:
            raise validation.param_conflict(param.key, old, param.value)
        seen[param.key] = param.value
    return new


def create_param(run_dir: str, param: Param) -> None:
    """Create a param file; a concurrent writer of the same value is fine.

    Raises:
        InvalidInputError: Another writer created it first with a different value, or the
            key clashes with another key's folder.
    """
    path = key_path(run_dir, "params", param.key)
    with key_clash_as_input_error("param", param.key):
        try:
            create_file(path, param.value.encode("utf-8"), run_dir)
        except FileExistsError:
            old = read_text(path)
            if old != param.value:
                raise validation.param_conflict(param.key, old, param.value) from None
