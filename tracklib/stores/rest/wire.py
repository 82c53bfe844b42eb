"""MLflow's REST wire format: JSON shapes, error bodies, artifact URLs.

Pure functions shared by :class:`tracklib.stores.rest.store.RestStore` and the background sender:
JSON uses proto field names in snake_case, int64 values as numbers, and NaN/infinities as
the strings ``"NaN"``/``"Infinity"``/``"-Infinity"``; empty fields are omitted both ways.
A failed answer maps to tracklib's errors (see :func:`error_for`); failures a retry might
fix are :class:`HttpError` s that say whether and when to retry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from tracklib.entities import Experiment, Metric, Param, Run, RunData, RunInfo, RunStatus, RunTag
from tracklib.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    RunStateError,
    StoreError,
    StoreUnavailableError,
)
from tracklib.jsonform import encode_double

if TYPE_CHECKING:  # annotations only: importing this module must not import requests
    import requests

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
HISTORY_PAGE_SIZE = 25000  # what MLflow's client asks for per metrics/get-history page
SEARCH_PAGE_SIZE = 1000
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Statuses after which the server may have applied the request: an internal error midway, or
# a proxy that lost the upstream answer. 408/429/503 mean "not processed, come back later".
_MAYBE_APPLIED_STATUSES = frozenset({500, 502, 504})
_CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    408: "REQUEST_TIMEOUT",
    429: "REQUEST_LIMIT_EXCEEDED",
    501: "NOT_IMPLEMENTED",
    503: "TEMPORARILY_UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class HttpError(StoreError):
    """A request failed in a way that is not the caller's fault.

    Attributes:
        retryable: A later identical request may succeed (connection error, 408/429/5xx).
        retry_after: Seconds the server asked to wait (``Retry-After``), when it said so.
        maybe_applied: The server may have applied the request although no success answer
            arrived; resending could apply it twice.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        maybe_applied: bool = False,
    ) -> None:
        super().__init__(message, status=status, error_code=error_code)
        self.retryable = retryable
        self.retry_after = retry_after
        self.maybe_applied = maybe_applied


class HttpUnavailableError(HttpError, StoreUnavailableError):
    """The server could not be reached, or did not answer in time."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def metric_json(m: Metric) -> dict[str, Any]:
    """One metric point as log-batch's JSON."""
    return {"key": m.key, "value": encode_double(m.value), "timestamp": m.timestamp, "step": m.step}


def kv_json(items: Sequence[Param] | Sequence[RunTag]) -> list[dict[str, str]]:
    return [{"key": i.key, "value": i.value} for i in items]


def _pairs(items: Any) -> dict[str, str]:
    return {str(i["key"]): str(i.get("value", "")) for i in items or ()}


def opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def experiment_from_json(d: Mapping[str, Any]) -> Experiment:
    """An :class:`Experiment` from the server's JSON."""
    return Experiment(
        experiment_id=str(d["experiment_id"]),
        name=str(d.get("name", "")),
        artifact_location=str(d.get("artifact_location", "")),
        lifecycle_stage=str(d.get("lifecycle_stage", "active")),
        creation_time=opt_int(d.get("creation_time")),
        last_update_time=opt_int(d.get("last_update_time")),
        tags=_pairs(d.get("tags")),
    )


def info_from_json(d: Mapping[str, Any]) -> RunInfo:
    """A :class:`RunInfo` from the server's JSON."""
    return RunInfo(
        run_id=str(d.get("run_id") or d["run_uuid"]),
        experiment_id=str(d.get("experiment_id", "")),
        run_name=str(d.get("run_name", "")),
        user_id=str(d.get("user_id", "")),
        status=RunStatus.from_code(d.get("status", "RUNNING")),
        start_time=int(d.get("start_time", 0)),
        end_time=opt_int(d.get("end_time")),
        artifact_uri=str(d.get("artifact_uri", "")),
        lifecycle_stage=str(d.get("lifecycle_stage", "active")),
    )


def run_from_json(d: Mapping[str, Any]) -> Run:
    """A :class:`Run` from the server's JSON (latest value per metric)."""
    data = d.get("data") or {}
    metrics = {str(m["key"]): float(m.get("value", "NaN")) for m in data.get("metrics") or ()}
    return Run(
        info=info_from_json(d["info"]),
        data=RunData(
            metrics=metrics, params=_pairs(data.get("params")), tags=_pairs(data.get("tags"))
        ),
    )


def artifact_proxy_url(tracking_base: str, artifact_uri: str) -> str | None:
    """The proxy URL of an ``mlflow-artifacts:`` location, or None for any other scheme."""
    parts = urlsplit(artifact_uri)
    if parts.scheme != "mlflow-artifacts":
        return None
    base = urlsplit(tracking_base)
    netloc = parts.netloc or base.netloc  # mlflow-artifacts://host:port/... names its own host
    path = quote(parts.path.strip("/"), safe="/")
    return f"{base.scheme}://{netloc}{base.path}{ARTIFACTS_API}/{path}".rstrip("/")


def not_proxied_error(run_id: str, artifact_uri: str) -> StoreError:
    """The error for writing artifacts of a run whose root the server does not proxy."""
    return _final(
        StoreError(
            f"Run {run_id} stores its artifacts at {artifact_uri!r}, which tracklib can reach "
            "only through the server's artifact proxy (mlflow-artifacts: locations). Start the "
            "server with `--serve-artifacts --artifacts-destination <folder or s3://bucket/path>`; "
            "experiments created before keep their old location, so log to one created afterwards."
        )
    )


def no_proxy_error(base_url: str, exc: StoreError) -> StoreError:
    """The error for a server that answers its artifact-proxy endpoints with 'disabled'."""
    return _final(
        StoreError(
            f"The tracking server at {base_url} does not serve artifacts (it runs with "
            "--no-serve-artifacts). Restart it with `mlflow server --serve-artifacts "
            "--artifacts-destination <folder or s3://bucket/path>` to upload and download "
            "artifacts through it.",
            status=exc.status,
            error_code=exc.error_code,
        )
    )


def _final(error: StoreError) -> StoreError:
    """Mark an error that only a change on the server fixes (the sender reports, not retries)."""
    setattr(error, "retryable", False)  # noqa: B010 - read with getattr by tracklib.remote.sender
    return error


def snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def error_for(response: requests.Response, method: str, url: str) -> Exception:
    """Map a failed response to the tracklib error to raise."""
    status = response.status_code
    code, message = _parse_error(response)
    where = f"{method} {url.split('?', 1)[0]}"
    if code == "RESOURCE_DOES_NOT_EXIST":
        return NotFoundError(message)
    if code == "RESOURCE_ALREADY_EXISTS":
        return AlreadyExistsError(message.splitlines()[0] if message else where)
    if code == "INVALID_PARAMETER_VALUE" and status < 500:
        if "must be in the 'active' state" in message:
            return RunStateError(message)
        return InvalidInputError(message)
    hint = ""
    if status in (401, 403):
        hint = (
            " Check the credentials in TRACKLIB_TRACKING_TOKEN, or TRACKLIB_TRACKING_USERNAME "
            "and TRACKLIB_TRACKING_PASSWORD (or their MLFLOW_ equivalents)."
        )
    elif code == "ENDPOINT_NOT_FOUND":
        hint = " Is the tracking URI (including any path prefix) an MLflow server?"
    return HttpError(
        f"{where} failed with HTTP {status} {code}: {message}{hint}",
        status=status,
        error_code=code,
        retryable=status in RETRY_STATUSES,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
        maybe_applied=status in _MAYBE_APPLIED_STATUSES,
    )


def _parse_error(response: requests.Response) -> tuple[str, str]:
    """``(error_code, message)`` from MLflow's JSON body, or derived from the status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    default = _CODE_BY_STATUS.get(response.status_code)
    if default is None:
        default = "INTERNAL_ERROR" if response.status_code >= 500 else "BAD_REQUEST"
    if isinstance(body, dict) and isinstance(body.get("error_code"), str):
        return body["error_code"], str(body.get("message", ""))
    if isinstance(body, dict) and "detail" in body:  # FastAPI-style errors
        return default, str(body["detail"])
    return default, snippet(response.text) or response.reason or ""
