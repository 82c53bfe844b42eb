"""RestArtifacts: a run's artifacts through an MLflow server's ``mlflow-artifacts`` proxy,
streamed from and to disk (mixed into :class:`tracklib.stores.rest.store.RestStore`).

Without a proxy, downloads fall back to the server's ``get-artifact`` endpoint; uploads
then fail with a message saying how to start the server.
"""

from __future__ import annotations

import mimetypes
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import requests

from tracklib.entities import FileInfo, Run
from tracklib.errors import InvalidInputError, StoreError
from tracklib.stores.rest.http import HttpSession
from tracklib.stores.rest.wire import (
    HttpError,
    HttpUnavailableError,
    artifact_proxy_url,
    no_proxy_error,
    not_proxied_error,
    opt_int,
)
from tracklib.validation import artifact_subpath

_DOWNLOAD_CHUNK = 1 << 20
_T = TypeVar("_T")


class RestArtifacts:
    """The artifact half of :class:`~tracklib.stores.rest.store.RestStore`."""

    http: HttpSession
    _artifact_urls: dict[str, tuple[str | None, str]]

    if TYPE_CHECKING:  # provided by RestStore

        def get_run(self, run_id: str) -> Run: ...

        def _call(
            self,
            method: str,
            endpoint: str,
            body: Mapping[str, Any] | None = None,
            idempotent: bool = True,
        ) -> dict[str, Any]: ...

        def _retry(self, attempt: Callable[[], _T]) -> _T: ...

    def _artifact_base(self, run_id: str) -> str | None:
        """The proxy URL of a run's artifact root, or None when not proxied (cached)."""
        if run_id not in self._artifact_urls:
            uri = self.get_run(run_id).info.artifact_uri
            self._artifact_urls[run_id] = (artifact_proxy_url(self.http.base_url, uri), uri)
        return self._artifact_urls[run_id][0]

    def _upload_url(self, run_id: str, target: str) -> str:
        base = self._artifact_base(run_id)
        if base is None:
            raise not_proxied_error(run_id, self._artifact_urls[run_id][1])
        return f"{base}/{quote(target, safe='/')}"

    def _proxy(self, method: str, url: str, **kw: Any) -> requests.Response:
        """One request to the artifact proxy; a server without one is a clear, final error."""
        try:
            return self.http.request(method, url, **kw)
        except HttpError as exc:
            if exc.status in (501, 503) and "serve-artifacts" in str(exc):
                raise no_proxy_error(self.http.base_url, exc) from None
            raise

    def _put_file(self, run_id: str, source: str, target: str) -> None:
        url = self._upload_url(run_id, target)
        headers = {"Content-Type": mimetypes.guess_type(source)[0] or "application/octet-stream"}

        def attempt() -> None:
            with open(source, "rb") as body:  # the file object itself is the body: streamed
                self._proxy("PUT", url, data=body, headers=headers).close()

        self._retry(attempt)

    def log_artifact(
        self, run_id: str, local_path: str | os.PathLike[str], artifact_path: str | None
    ) -> None:
        """Upload one file to ``<artifact_path>/<basename>``, streamed from disk."""
        source = os.fspath(local_path)
        if not os.path.isfile(source):
            hint = " (it is a folder: use log_artifacts)" if os.path.isdir(source) else ""
            raise InvalidInputError(f"log_artifact: no file at {source!r}{hint}.")
        sub = artifact_subpath(artifact_path)
        self._put_file(run_id, source, "/".join(p for p in (sub, os.path.basename(source)) if p))

    def log_artifacts(
        self, run_id: str, local_dir: str | os.PathLike[str], artifact_path: str | None
    ) -> None:
        """Upload a folder's files under ``artifact_path`` (empty folders are not kept)."""
        root = os.fspath(local_dir)
        if not os.path.isdir(root):
            raise InvalidInputError(f"log_artifacts: {root!r} is not an existing folder.")
        sub = artifact_subpath(artifact_path)
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            rel = os.path.relpath(folder, root).replace(os.sep, "/")
            for name in sorted(files):
                parts = (sub, "" if rel == "." else rel, name)
                self._put_file(run_id, os.path.join(folder, name), "/".join(p for p in parts if p))

    def log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        """Upload bytes as one artifact file."""
        sub = artifact_subpath(artifact_file, "artifact_file")
        if not sub:
            raise InvalidInputError("artifact_file must name a file, e.g. 'notes/readme.txt'.")
        url = self._upload_url(run_id, sub)
        self._retry(lambda: self._proxy("PUT", url, data=data).close())

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        """List the artifacts directly under ``path`` (run-relative paths, sorted)."""
        sub = artifact_subpath(path, "path")
        infos: list[FileInfo] = []
        token: str | None = None
        while True:
            query = {"run_id": run_id, **({"path": sub} if sub else {})}
            if token:
                query["page_token"] = token
            reply = self._call("GET", "artifacts/list", query)
            for f in reply.get("files") or ():
                size = f.get("file_size")
                infos.append(FileInfo(str(f["path"]), bool(f.get("is_dir")), opt_int(size)))
            token = reply.get("next_page_token")
            if not token:
                return sorted(infos, key=lambda info: info.path)

    def download_artifacts(
        self, run_id: str, path: str | None, dst_path: str | os.PathLike[str] | None
    ) -> str:
        """Download an artifact file or folder; return its local path.

        The result is ``<dst_path>/<basename of path>`` (``<dst_path>/artifacts`` for the
        whole root), like the file store's; without ``dst_path`` a new temporary folder is used.

        Raises:
            NotFoundError: There is no such artifact.
        """
        sub = artifact_subpath(path, "path")
        dst_root = (
            os.fspath(dst_path) if dst_path is not None else tempfile.mkdtemp(prefix="tracklib-")
        )
        target = os.path.join(dst_root, sub.rsplit("/", 1)[-1] if sub else "artifacts")
        entries = self.list_artifacts(run_id, sub)
        if sub and not entries:  # a file, or nothing
            self._download_file(run_id, sub, target)
        else:
            os.makedirs(target, exist_ok=True)
            self._download_tree(run_id, sub, entries, target)
        return target

    def _download_tree(self, run_id: str, sub: str, entries: list[FileInfo], target: str) -> None:
        for entry in entries:
            rel = artifact_subpath(entry.path, "path")  # never trust a server path blindly
            if sub and not rel.startswith(sub + "/"):
                raise StoreError(f"The server listed {entry.path!r} under {sub!r}.")
            local = os.path.join(target, *rel[len(sub) :].strip("/").split("/"))
            if entry.is_dir:
                os.makedirs(local, exist_ok=True)
                self._download_tree(run_id, rel, self.list_artifacts(run_id, rel), local)
            else:
                self._download_file(run_id, rel, local)

    def _download_file(self, run_id: str, sub: str, target: str) -> None:
        base = self._artifact_base(run_id)  # without a proxy, the server's get-artifact reads
        if base is not None:
            url, params = f"{base}/{quote(sub, safe='/')}", None
        else:
            url, params = self.http.url("/get-artifact"), {"run_id": run_id, "path": sub}
        os.makedirs(os.path.dirname(target) or ".", exist_ok=True)

        def attempt() -> None:
            response = self._proxy("GET", url, params=params, stream=True)
            partial = target + ".part"
            try:
                with response, open(partial, "wb") as out:
                    for chunk in response.iter_content(_DOWNLOAD_CHUNK):
                        out.write(chunk)
            except requests.RequestException as exc:  # the connection broke mid-body
                raise HttpUnavailableError(
                    f"Download of {sub!r} from {self.http.base_url} broke off: {exc}",
                    retryable=True,
                ) from None
            os.replace(partial, target)

        self._retry(attempt)
