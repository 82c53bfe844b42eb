"""The replicator: pushes the runs of a local file store to another store, exactly once.

Used by ``tracklib sync PATH --to URL`` for runs logged offline, and (with the remote tracking
path) by the background sender that drains the local spool. The target is any
:class:`~tracklib.stores.base.Store`: normally an MLflow server through the REST store, or
another local folder.

What the target has acknowledged is checkpointed in the run folder itself
(``.tracklib-sync-<target hash>.json``, which MLflow's reader ignores), so a later sync, a sync
from a copy of the store, or a sync after a crash resumes where the last one stopped. Metric
points are the only writes that are not idempotent; before a batch is sent the checkpoint is
marked unsettled, and an unsettled run first asks the target how many points of each key it has
(``get_metric_history``) and skips those, so a batch whose answer was lost is not sent twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from tracklib import tags
from tracklib.entities import Metric, Param, RunInfo, RunTag
from tracklib.errors import InvalidInputError
from tracklib.remote.replicas import SOURCE_TAG as SOURCE_TAG  # re-exported: spool, tests
from tracklib.remote.replicas import find_replica
from tracklib.stores.base import Store
from tracklib.stores.batches import split_batch
from tracklib.stores.experiment_names import get_or_create_experiment
from tracklib.stores.file import artifacts, runfiles
from tracklib.stores.file.disk import (
    iter_key_files,
    parse_metric_lines,
    read_value_files,
    replace_file,
)
from tracklib.stores.file.experiments import TRASH
from tracklib.tags import RUN_NAME

STATE_PREFIX = ".tracklib-sync-"
PARENT_TAG = tags.PARENT_RUN_ID
SETTLE_PAUSE = 1.0  # seconds between two counts when settling a lost answer
SETTLE_ROUNDS = 5


@dataclass
class SyncStats:
    """What a sync sent (or, in a dry run, would send)."""

    runs: int = 0
    points: int = 0
    params: int = 0
    tags: int = 0
    files: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The counts as a JSON-ready dict."""
        return dict(self.__dict__)


def state_path(run_dir: str, target_uri: str) -> str:
    """Return the checkpoint file of one run for one target."""
    digest = hashlib.sha1(target_uri.encode("utf-8")).hexdigest()[:12]
    return os.path.join(run_dir, f"{STATE_PREFIX}{digest}.json")


def load_state(run_dir: str, target_uri: str) -> dict[str, Any]:
    """Read a run's checkpoint for a target ({} when the run was never synced there)."""
    try:
        with open(state_path(run_dir, target_uri), encoding="utf-8") as f:
            state: dict[str, Any] = json.load(f)
    except (FileNotFoundError, ValueError):
        return {}
    return state


def save_state(run_dir: str, target_uri: str, state: dict[str, Any]) -> None:
    """Atomically replace a run's checkpoint."""
    data = json.dumps(state, sort_keys=True).encode("utf-8")
    replace_file(state_path(run_dir, target_uri), data, run_dir)


def read_points_after(path: str, key: str, offset: int) -> tuple[list[Metric], list[int]]:
    """Return the complete metric lines after byte ``offset``, and the offset after each."""
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    data = data[: data.rfind(b"\n") + 1]  # a torn last line is left for later
    ends = []
    for line in data.splitlines(keepends=True):
        offset += len(line)
        ends.append(offset)
    return parse_metric_lines(key, data), ends


def offset_after_lines(path: str, count: int) -> int:
    """Return the byte offset just after the first ``count`` complete lines of a file."""
    offset = 0
    with open(path, "rb") as f:
        for _ in range(count):
            line = f.readline()
            if not line.endswith(b"\n"):
                break
            offset += len(line)
    return offset


class Replicator:
    """Pushes runs from local run folders to ``target``.

    Args:
        target: The store to write to.
        target_uri: Its URI without credentials (names the checkpoints).
        experiment: Put every run into this experiment (by name) instead of its own.
        dry_run: Count what would be sent; send and record nothing.
        progress: Called with the running stats after each step (for a progress line).
    """

    def __init__(
        self,
        target: Store,
        target_uri: str,
        experiment: str | None = None,
        dry_run: bool = False,
        progress: Callable[[SyncStats], None] | None = None,
    ) -> None:
        self.target = target
        self.target_uri = target_uri
        self.experiment = experiment
        self.dry_run = dry_run
        self.progress = progress or (lambda stats: None)
        self.stats = SyncStats()
        self._experiments: dict[str, str] = {}
        self._by_id: dict[str, str] = {}
        self._done: set[str] = set()
        # A store can be synced from copies whose checkpoints differ: sync_store checks the
        # target's count of a metric before sending it new points (the sender, sole writer
        # of its spool, trusts its checkpoint).
        self._verify = False
        self._fresh: set[str] = set()  # runs this replicator created: the target has no points

    # --------------------------------------------------------------- whole stores
    def sync_store(self, root: str) -> SyncStats:
        """Push every active run of the file store at ``root`` (parents before children).

        Raises:
            StoreError: The target failed; what was acknowledged so far is checkpointed.
        """
        self._by_id = {os.path.basename(d): d for d in self._run_dirs(root)}
        self._verify = True
        for run_dir in self._by_id.values():
            self.sync_run(run_dir)
        return self.stats

    @staticmethod
    def _run_dirs(root: str) -> Iterator[str]:
        for entry in sorted(os.scandir(root), key=lambda e: e.name):
            # models/ is the model registry (issue 12), not an experiment
            if entry.is_dir() and entry.name not in (TRASH, "models") and entry.name[:1].isalnum():
                yield from sorted(runfiles.run_dirs(entry.path))

    # --------------------------------------------------------------- one run
    def sync_run(self, run_dir: str) -> str | None:
        """Push one run; returns its id on the target (None in a dry run of a new run).

        Raises:
            StoreError: The target failed; what was acknowledged so far is checkpointed.
        """
        local_id = os.path.basename(run_dir)
        info = runfiles.read_run_info(run_dir)
        if local_id in self._done or info.lifecycle_stage != "active":
            return load_state(run_dir, self.target_uri).get("run_id")
        self._done.add(local_id)
        tags = read_value_files(os.path.join(run_dir, "tags"))
        parent = tags.get(PARENT_TAG)
        if parent in self._by_id:  # the parent must exist on the target first
            tags[PARENT_TAG] = self.sync_run(self._by_id[parent]) or parent
        if self.dry_run:
            return self._sync_locked(run_dir, info, tags)
        from filelock import FileLock

        # One replicator per run and target at a time (a process's sender and `tracklib
        # sync`, or two syncs): two would both create the run, or send the same points.
        with FileLock(state_path(run_dir, self.target_uri) + ".lock"):
            return self._sync_locked(run_dir, info, tags)

    def _sync_locked(self, run_dir: str, info: RunInfo, tags: dict[str, str]) -> str | None:
        state = load_state(run_dir, self.target_uri)  # read under the lock: it may be newer
        remote_id = state.get("run_id") or self._create(run_dir, info, state)
        if remote_id is None:  # dry run of a run the target does not have yet
            self._count_new_run(run_dir, tags)
            return None
        before = self._sent()
        self._send_params(run_dir, remote_id, state)
        self._send_tags(run_dir, remote_id, state, tags)
        self._send_metrics(run_dir, remote_id, state)
        self._send_artifacts(info, remote_id, state, run_dir)
        sent_status = self._send_status(info, remote_id, state, run_dir)
        if sent_status or self._sent() != before:  # count the runs that had something new
            self.stats.runs += 1
            self.progress(self.stats)
        return str(remote_id)

    def _sent(self) -> tuple[int, ...]:
        s = self.stats
        return (s.points, s.params, s.tags, s.files)

    def _save(self, run_dir: str, state: dict[str, Any]) -> None:
        if not self.dry_run:
            save_state(run_dir, self.target_uri, state)

    def _experiment_id(self, run_dir: str) -> str:
        name = self.experiment
        if name is None:
            meta_dir = os.path.dirname(run_dir)
            from tracklib.stores.file.disk import load_yaml

            name = str(load_yaml(os.path.join(meta_dir, "meta.yaml"))["name"])
        if name not in self._experiments:
            found = get_or_create_experiment(self.target, name)
            self._experiments[name] = found.experiment_id
        return self._experiments[name]

    def _create(self, run_dir: str, info: RunInfo, state: dict[str, Any]) -> str | None:
        local_id = info.run_id
        if self.dry_run:
            return None
        experiment_id = self._experiment_id(run_dir)
        # An earlier, interrupted sync may have created it (and lost the answer).
        replica = find_replica(self.target, local_id, [experiment_id])
        found = replica is not None
        if replica is not None:
            remote_id = replica.info.run_id
        else:
            created = self.target.create_run(
                experiment_id, info.user_id, info.start_time, info.run_name,
                [RunTag(SOURCE_TAG, local_id)],
            )  # fmt: skip
            remote_id = created.run_id
            self._fresh.add(remote_id)
        # Only a run an earlier sync created may hold points already; one created just now
        # holds none, so settling it (a count, then a 1 s pause) would only cost time.
        state.update(run_id=remote_id, experiment_id=experiment_id, unsettled=found)
        self._save(run_dir, state)
        return remote_id

    def _count_new_run(self, run_dir: str, tags: dict[str, str]) -> None:
        self.stats.runs += 1
        self.stats.params += len(read_value_files(os.path.join(run_dir, "params")))
        self.stats.tags += len(tags.keys() - {RUN_NAME})  # the name goes apart
        for key, path in iter_key_files(os.path.join(run_dir, "metrics")):
            self.stats.points += len(read_points_after(path, key, 0)[0])
        with contextlib.suppress(Exception):  # non-local artifacts are not pushed from here
            root = artifacts.artifact_root(runfiles.read_run_info(run_dir).artifact_uri)
            for _, path in iter_key_files(root):
                self.stats.files += 1
                self.stats.bytes += os.path.getsize(path)

    def _send_params(self, run_dir: str, remote_id: str, state: dict[str, Any]) -> None:
        sent = set(state.get("params", []))
        params = read_value_files(os.path.join(run_dir, "params"))
        new = [Param(k, v) for k, v in sorted(params.items()) if k not in sent]
        for _, chunk, _ in split_batch(params=new):
            try:
                self._log(remote_id, params=chunk)
            except InvalidInputError:
                chunk = self._params_one_by_one(remote_id, chunk, state)
            sent.update(p.key for p in chunk)
            self.stats.params += len(chunk)
            state["params"] = sorted(sent)
            self._save(run_dir, state)

    def _params_one_by_one(
        self, remote_id: str, chunk: Sequence[Param], state: dict[str, Any]
    ) -> Sequence[Param]:
        """Send params singly after a rejected batch; warn once for each rejected one."""
        for param in chunk:
            try:
                self._log(remote_id, params=[param])
            except InvalidInputError as exc:  # e.g. the target has another value: not retried
                message = f"run {remote_id}: param {param.key!r} was rejected: {exc}"
                self.stats.warnings.append(message)
                warnings.warn(f"tracklib sync: {message}", stacklevel=2)
        return chunk

    def _send_tags(
        self, run_dir: str, remote_id: str, state: dict[str, Any], tags: dict[str, str]
    ) -> None:
        sent: dict[str, str] = state.get("tags", {})
        new = [RunTag(k, v) for k, v in sorted(tags.items()) if sent.get(k) != v and k != RUN_NAME]
        for _, _, chunk in split_batch(tags=new):
            self._log(remote_id, tags=chunk)
            sent.update((t.key, t.value) for t in chunk)
            self.stats.tags += len(chunk)
            state["tags"] = sent
            self._save(run_dir, state)

    def _send_metrics(self, run_dir: str, remote_id: str, state: dict[str, Any]) -> None:
        offsets: dict[str, list[int]] = state.setdefault("metrics", {})
        files = dict(iter_key_files(os.path.join(run_dir, "metrics")))
        if state.get("unsettled") and not self.dry_run:  # an answer was lost: recount all
            counts = self._stable_counts(remote_id, list(files))
            for key, path in files.items():
                offsets[key] = [offset_after_lines(path, counts[key]), counts[key]]
            state["unsettled"] = False
            self._save(run_dir, state)
        for key, path in sorted(files.items()):
            if (
                self._verify
                and not self.dry_run
                and remote_id not in self._fresh
                and os.path.getsize(path) > offsets.get(key, [0, 0])[0]
            ):  # another copy of the store may have sent points since our checkpoint
                offsets[key] = self._settled(remote_id, key, path)
                self._save(run_dir, state)
            offset, count = offsets.get(key, [0, 0])
            points, ends = read_points_after(path, key, offset)
            start = 0
            for chunk, _, _ in split_batch(points):
                state["unsettled"] = True  # until acknowledged, the answer may be lost
                self._save(run_dir, state)
                self._log(remote_id, metrics=chunk)
                count += len(chunk)
                start += len(chunk)
                offsets[key] = [ends[start - 1], count]
                state["unsettled"] = False
                self._save(run_dir, state)
                self.stats.points += len(chunk)
                self.progress(self.stats)

    def _stable_counts(self, remote_id: str, keys: list[str]) -> dict[str, int]:
        """The target's point count of each key, once it has stopped changing.

        After a timeout the server may still be applying the request whose answer was lost;
        a count taken meanwhile would be too low and the batch would be sent twice. So the
        counts are taken again after a pause until two agree (a few rounds at most).
        """
        counts = {k: len(self.target.get_metric_history(remote_id, k)) for k in keys}
        for _ in range(SETTLE_ROUNDS if keys else 0):  # no metric: nothing can change
            time.sleep(SETTLE_PAUSE)
            again = {k: len(self.target.get_metric_history(remote_id, k)) for k in keys}
            if again == counts:
                break
            counts = again
        return counts

    def _settled(self, remote_id: str, key: str, path: str) -> list[int]:
        """The checkpoint of one metric as the target really holds it: its point count, and
        the offset after that many lines (the target has a prefix of the file, in order)."""
        have = len(self.target.get_metric_history(remote_id, key))
        return [offset_after_lines(path, have), have]

    def _send_artifacts(
        self, info: RunInfo, remote_id: str, state: dict[str, Any], run_dir: str
    ) -> None:
        try:
            root = artifacts.artifact_root(info.artifact_uri)
        except Exception:  # a run whose artifacts are not local: nothing to push from here
            return
        sent: dict[str, list[int]] = state.setdefault("artifacts", {})
        for rel, path in sorted(iter_key_files(root)):
            st = os.stat(path)
            if sent.get(rel) == [st.st_size, st.st_mtime_ns]:
                continue
            if not self.dry_run:
                self.target.log_artifact(remote_id, path, os.path.dirname(rel) or None)
            sent[rel] = [st.st_size, st.st_mtime_ns]
            self.stats.files += 1
            self.stats.bytes += st.st_size
            self._save(run_dir, state)
            self.progress(self.stats)

    def _send_status(
        self, info: RunInfo, remote_id: str, state: dict[str, Any], run_dir: str
    ) -> bool:
        final = [info.status.value, info.end_time, info.run_name]
        if not info.status.is_terminated() or state.get("status") == final:
            return False
        if not self.dry_run:
            self.target.update_run(remote_id, info.status, info.end_time, info.run_name)
        state["status"] = final
        self._save(run_dir, state)
        return True

    def _log(
        self,
        remote_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        if not self.dry_run:  # one request: split_batch sized the chunk
            self.target.log_batch(remote_id, metrics, params, tags)
