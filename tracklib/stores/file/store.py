"""FileStore: MLflow's ``mlruns/`` layout, crash-safe and safe for many processes.

What is on disk is exactly MLflow 3.17's file store (see docs/file-store.md). Runs,
params, tags and metric points are plain files; :mod:`tracklib.stores.file.disk` explains how
each write stays whole across crashes and concurrent writers. Metric files stay open
(``O_APPEND``) between calls, so logging a point is one ``write`` system call.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Sequence

from tracklib.entities import (
    FileInfo,
    LifecycleStage,
    Metric,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from tracklib.errors import NotFoundError, RunStateError
from tracklib.query import grammar
from tracklib.stores.file import artifacts, runfiles
from tracklib.stores.file.disk import (
    OPEN_APPEND,
    create_file,
    load_yaml,
    metric_line,
    replace_file,
    write_all,
    write_new,
)
from tracklib.stores.file.experiments import ExperimentFolders
from tracklib.tags import RUN_NAME

_MAX_OPEN_METRIC_FILES = 256


class FileStore(ExperimentFolders):
    """A tracking store in a local folder, in MLflow's file-store format.

    Args:
        root: The store's folder; created (with the Default experiment) if missing.
    """

    def __init__(self, root: str) -> None:
        self._run_dirs: dict[str, str] = {}
        self._artifact_roots: dict[str, str] = {}
        self._writable: set[str] = set()  # runs this process has seen active
        self._metric_fds: dict[tuple[str, str], int] = {}
        self._fd_lock = threading.Lock()
        super().__init__(root)

    def __repr__(self) -> str:
        return f"FileStore({self.root!r})"

    def _forget_runs(self) -> None:
        self._run_dirs.clear()
        self._artifact_roots.clear()
        # The runs may have been deleted with their experiment: check again before writing.
        self._writable.clear()
        self._close_metric_files(None)

    # ----------------------------------------------------------------- runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[RunTag] = (),
        run_id: str | None = None,
    ) -> RunInfo:
        """Create a RUNNING run in an active experiment.

        ``run_id`` gives the run a known id (the server's, when this store is the spool of a
        remote run); by default a new uuid4 hex id.

        Raises:
            NotFoundError: The experiment does not exist.
            RunStateError: The experiment is deleted.
        """
        experiment = self.get_experiment(experiment_id)
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise RunStateError(
                f"Experiment {experiment.name!r} ({experiment_id}) is deleted; restore it or "
                "log to another experiment."
            )
        run_id = run_id or uuid.uuid4().hex
        run_dir = os.path.join(self._experiment_dir(experiment_id), run_id)
        os.mkdir(run_dir)
        for sub in ("metrics", "params", "artifacts", "tags"):
            os.mkdir(f"{run_dir}{os.sep}{sub}")
        info = RunInfo(
            run_id=run_id,
            experiment_id=experiment_id,
            run_name=run_name,
            user_id=user_id,
            status=RunStatus.RUNNING,
            start_time=start_time,
            end_time=None,
            artifact_uri=f"{experiment.artifact_location}/{run_id}/artifacts",
        )
        # No reader sees the run before its meta.yaml exists, so the tags need no temp files.
        for tag in {t.key: t for t in (*tags, RunTag(RUN_NAME, run_name))}.values():
            path = runfiles.key_path(run_dir, "tags", tag.key)
            if "/" in tag.key:
                os.makedirs(os.path.dirname(path), exist_ok=True)
            write_new(path, tag.value.encode())
        runfiles.write_run_meta(run_dir, runfiles.info_to_meta(info))
        self._run_dirs[run_id] = run_dir
        self._writable.add(run_id)
        return info

    def run_dir(self, run_id: str) -> str:
        """Return the folder of a run.

        Raises:
            NotFoundError: No run has this id.
        """
        return self._run_dir(run_id)

    def run_ids(self) -> list[str]:
        """Every run id of the store, deleted runs and experiments included (folder names)."""
        return [
            os.path.basename(run_dir)
            for experiment_dir in self._experiment_dirs(ViewType.ALL)
            for run_dir in runfiles.run_dirs(experiment_dir)
        ]

    def _run_dir(self, run_id: str) -> str:
        cached = self._run_dirs.get(run_id)
        if cached is not None and os.path.isfile(f"{cached}{os.sep}meta.yaml"):
            return cached
        for folder in self._experiment_dirs(ViewType.ALL):
            candidate = os.path.join(folder, run_id)
            if os.path.isfile(os.path.join(candidate, "meta.yaml")):
                self._run_dirs[run_id] = candidate
                return candidate
        raise NotFoundError(f"Run {run_id!r} not found in {self.root}.")

    def _writable_run_dir(self, run_id: str) -> str:
        run_dir = self._run_dir(run_id)
        if run_id not in self._writable:
            if runfiles.read_run_info(run_dir).lifecycle_stage != LifecycleStage.ACTIVE:
                raise RunStateError(
                    f"Run {run_id} is deleted; restore it (Client().restore_run) to log to it."
                )
            self._writable.add(run_id)
        return run_dir

    def get_run(self, run_id: str) -> Run:
        """Return a snapshot of a run.

        Raises:
            NotFoundError: No run has this id.
        """
        return runfiles.read_run(self._run_dir(run_id))

    def update_run(
        self, run_id: str, status: RunStatus, end_time: int | None, run_name: str | None = None
    ) -> RunInfo:
        """Rewrite a run's meta.yaml with a new status, end time and (optionally) name.

        Raises:
            NotFoundError: No run has this id.
            RunStateError: The run is deleted (MLflow refuses to update it too).
        """
        run_dir = self._run_dir(run_id)
        meta = load_yaml(os.path.join(run_dir, "meta.yaml"))
        if meta.get("lifecycle_stage", "active") != LifecycleStage.ACTIVE:
            raise RunStateError(f"Run {run_id} is deleted; restore it to update it.")
        meta.update(status=status.code, end_time=end_time)
        if run_name is not None:
            meta["run_name"] = run_name
            replace_file(runfiles.key_path(run_dir, "tags", RUN_NAME), run_name.encode(), run_dir)
        runfiles.write_run_meta(run_dir, meta)
        if status.is_terminated():
            self._close_metric_files(run_id)
        return runfiles.meta_to_info(run_dir, meta, None)

    def _set_run_stage(self, run_id: str, stage: LifecycleStage) -> None:
        run_dir = self._run_dir(run_id)
        meta = load_yaml(os.path.join(run_dir, "meta.yaml"))
        meta["lifecycle_stage"] = stage.value
        if stage is LifecycleStage.DELETED:
            meta["deleted_time"] = int(time.time() * 1000)
            self._writable.discard(run_id)
            self._close_metric_files(run_id)
        else:
            meta.pop("deleted_time", None)
        runfiles.write_run_meta(run_dir, meta)

    def delete_run(self, run_id: str) -> None:
        """Mark a run deleted (its folder stays, as in MLflow).

        Raises:
            NotFoundError: No run has this id.
        """
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        """Mark a deleted run active again.

        Raises:
            NotFoundError: No run has this id.
        """
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

    # ----------------------------------------------------------------- logging
    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        """Append one point: a single O_APPEND write to an already-open file.

        Raises:
            NotFoundError: No run has this id.
            RunStateError: The run is deleted.
            InvalidInputError: The key clashes with another key's folder (``a`` vs ``a/b``).
        """
        line = f"{timestamp} {value!r} {step}\n".encode()  # disk.metric_line, inlined
        fd = self._metric_fds.get((run_id, key))
        if fd is None:
            fd = self._open_metric(run_id, key, line)
            if fd is None:
                return
        written = os.write(fd, line)
        if written != len(line):  # a short write (disk nearly full): finish it or raise
            write_all(fd, line[written:])

    def _open_metric(self, run_id: str, key: str, first_line: bytes) -> int | None:
        """Open a metric file for appending; create it with ``first_line`` if it is new.

        Returns None when ``first_line`` went into the new file (nothing left to write).
        """
        run_dir = self._writable_run_dir(run_id)
        path = runfiles.key_path(run_dir, "metrics", key)
        written = False
        with runfiles.key_clash_as_input_error("metric", key):
            try:
                create_file(path, first_line, run_dir)
                written = True
            except FileExistsError:
                pass
            fd = os.open(path, OPEN_APPEND)
        with self._fd_lock:
            if len(self._metric_fds) >= _MAX_OPEN_METRIC_FILES:
                self._close_metric_files(None)
            self._metric_fds[(run_id, key)] = fd
        return None if written else fd

    def _close_metric_files(self, run_id: str | None) -> None:
        for cache_key in [k for k in self._metric_fds if run_id is None or k[0] == run_id]:
            fd = self._metric_fds.pop(cache_key, None)
            if fd is not None:
                os.close(fd)

    def log_param(self, run_id: str, key: str, value: str) -> None:
        """Record a param once; see :meth:`log_batch`.

        Raises:
            InvalidInputError: The param exists with a different value.
        """
        self.log_batch(run_id, params=[Param(key, value)])

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        """Set a tag; see :meth:`log_batch`."""
        self.log_batch(run_id, tags=[RunTag(key, value)])

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Write params, then tags, then metrics (one write per metric key).

        Raises:
            NotFoundError: No run has this id.
            RunStateError: The run is deleted.
            InvalidInputError: A param exists (or repeats in the batch) with another value;
                nothing is written then.
        """
        run_dir = self._writable_run_dir(run_id)
        new_params = runfiles.params_to_write(run_dir, params)
        for param in new_params:
            runfiles.create_param(run_dir, param)
        for tag in tags:
            with runfiles.key_clash_as_input_error("tag", tag.key):
                path = runfiles.key_path(run_dir, "tags", tag.key)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                replace_file(path, tag.value.encode(), run_dir)
            if tag.key == RUN_NAME:
                meta = load_yaml(os.path.join(run_dir, "meta.yaml"))
                runfiles.write_run_meta(run_dir, {**meta, "run_name": tag.value})
        lines: dict[str, list[bytes]] = {}
        for m in metrics:
            lines.setdefault(m.key, []).append(metric_line(m.timestamp, m.value, m.step))
        for key, chunk in lines.items():
            data = b"".join(chunk)
            fd = self._metric_fds.get((run_id, key))
            if fd is None:
                fd = self._open_metric(run_id, key, data)
            if fd is not None:
                write_all(fd, data)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Delete a tag file.

        Raises:
            NotFoundError: No run has this id, or it has no such tag.
            RunStateError: The run is deleted.
        """
        run_dir = self._writable_run_dir(run_id)
        try:
            os.unlink(runfiles.key_path(run_dir, "tags", key))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFoundError(f"Run {run_id} has no tag {key!r}.") from None

    # ----------------------------------------------------------------- reads
    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Return every point of a metric in logged order ([] for an unknown key).

        Raises:
            NotFoundError: No run has this id.
        """
        return runfiles.read_metric(self._run_dir(run_id), key)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> tuple[list[Run], str | None]:
        """Return one page of the experiments' runs matching MLflow's filter grammar, in
        MLflow's order (``order_by`` keys, then newest first, then run id).

        Only meta.yaml and the files the filter and ordering name are read for every run;
        whole runs are read for the returned page only.

        Raises:
            InvalidInputError: A malformed filter, order_by or page token, or
                max_results negative or above 50,000.
            NotFoundError: An experiment does not exist.
        """
        query = grammar.parse_query(filter_string, order_by)
        folders = [self._experiment_dir(experiment_id) for experiment_id in experiment_ids]
        from tracklib.stores.file import search  # its summary cache is not needed to log a run

        return search.search_folders(folders, query, view_type, max_results, page_token)

    # ----------------------------------------------------------------- artifacts
    def _artifact_root(self, run_id: str) -> str:
        root = self._artifact_roots.get(run_id)  # a run's artifact URI never changes
        if root is None:
            uri = runfiles.read_run_info(self._run_dir(run_id)).artifact_uri
            root = self._artifact_roots[run_id] = artifacts.artifact_root(uri)
        return root

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None
    ) -> None:
        """Copy a local file into the run's artifacts.

        Raises:
            InvalidInputError: The file is missing or the target escapes the artifact folder.
        """
        self._writable_run_dir(run_id)
        artifacts.copy_file(self._artifact_root(run_id), local_path, artifact_path)

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None
    ) -> None:
        """Copy a local folder's content into the run's artifacts.

        Raises:
            InvalidInputError: The folder is missing or the target escapes the artifact folder.
        """
        self._writable_run_dir(run_id)
        artifacts.copy_tree(self._artifact_root(run_id), local_dir, artifact_path)

    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        """Write bytes as one artifact file, atomically.

        Raises:
            InvalidInputError: ``artifact_file`` escapes the artifact folder.
        """
        self._writable_run_dir(run_id)
        artifacts.write_bytes(self._artifact_root(run_id), artifact_file, data)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List the artifacts directly under ``path``."""
        return artifacts.list_files(self._artifact_root(run_id), path)

    def download_artifacts(
        self, run_id: str, path: str | None, dst_path: str | os.PathLike[str] | None
    ) -> str:
        """Return a local path holding the artifact (copied to ``dst_path`` when given).

        Raises:
            NotFoundError: There is no such artifact.
        """
        return artifacts.download(self._artifact_root(run_id), path, dst_path)
