"""The model registry over an MLflow server's REST API (``registered-models/*``,
``model-versions/*``), through the tracking store's HTTP session.

Requests go through :class:`tracklib.stores.rest.store.RestStore`'s ``_call``: one keep-alive
session, its auth/TLS settings, its retry policy, and its error mapping (a missing model is
``NotFoundError``, a taken name ``AlreadyExistsError``, a rejected value ``InvalidInputError``).
Versions travel as strings in MLflow's JSON; they are ints here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tracklib.entities import ModelVersion, RegisteredModel
from tracklib.errors import InvalidInputError, NotFoundError
from tracklib.stores.rest.store import RestStore

_MODELS = "registered-models"
_VERSIONS = "model-versions"


def _tags(items: Any) -> dict[str, str]:
    return {str(t["key"]): str(t.get("value", "")) for t in items or ()}


def _tags_json(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def version_from_json(d: Mapping[str, Any]) -> ModelVersion:
    """A ModelVersion from MLflow's JSON."""
    return ModelVersion(
        name=str(d["name"]),
        version=int(d["version"]),
        creation_timestamp=int(d.get("creation_timestamp") or 0),
        last_updated_timestamp=int(d.get("last_updated_timestamp") or 0),
        source=str(d.get("source") or ""),
        run_id=d.get("run_id") or None,
        description=d.get("description") or None,
        user_id=d.get("user_id") or None,
        current_stage=str(d.get("current_stage") or "None"),
        status=str(d.get("status") or "READY"),
        status_message=d.get("status_message") or None,
        run_link=d.get("run_link") or None,
        tags=_tags(d.get("tags")),
        aliases=sorted(str(a) for a in d.get("aliases") or ()),
        model_id=d.get("model_id") or None,
    )


def model_from_json(d: Mapping[str, Any]) -> RegisteredModel:
    """A RegisteredModel from MLflow's JSON."""
    return RegisteredModel(
        name=str(d["name"]),
        creation_timestamp=int(d.get("creation_timestamp") or 0),
        last_updated_timestamp=int(d.get("last_updated_timestamp") or 0),
        description=d.get("description") or None,
        latest_versions=[version_from_json(v) for v in d.get("latest_versions") or ()],
        tags=_tags(d.get("tags")),
        aliases={str(a["alias"]): int(a["version"]) for a in d.get("aliases") or ()},
        deployment_job_id=d.get("deployment_job_id") or None,
    )


class RestRegistry:
    """The registry of the MLflow server behind ``store``.

    Args:
        store: The tracking store of the same server (its session is shared).
    """

    versions_as_text = True

    def __init__(self, store: RestStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"RestRegistry({self.store.http.base_url!r})"

    def _call(
        self, method: str, endpoint: str, body: Mapping[str, Any], idempotent: bool = True
    ) -> dict[str, Any]:
        return self.store._call(method, endpoint, body, idempotent)

    def _model(self, method: str, endpoint: str, body: Mapping[str, Any]) -> RegisteredModel:
        reply = self._call(method, f"{_MODELS}/{endpoint}", body, method != "POST")
        return model_from_json(reply["registered_model"])

    def _version(self, method: str, path: str, body: Mapping[str, Any]) -> ModelVersion:
        reply = self._call(method, path, body, method != "POST")
        return version_from_json(reply["model_version"])

    # ------------------------------------------------------------ registered models
    def create_registered_model(
        self, name: str, tags: Mapping[str, str], description: str | None
    ) -> RegisteredModel:
        """Create an empty model (AlreadyExistsError if the name is taken)."""
        body: dict[str, Any] = {"name": name, "tags": _tags_json(tags)}
        if description is not None:
            body["description"] = description
        return self._model("POST", "create", body)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """Return a model with its tags, aliases and latest versions."""
        return self._model("GET", "get", {"name": name})

    def search_registered_models(
        self, filter_string: str, max_results: int, order_by: Sequence[str], page_token: str | None
    ) -> tuple[list[RegisteredModel], str | None]:
        """One page of models, as the server orders them."""
        reply = self._call(
            "GET",
            f"{_MODELS}/search",
            _search_params(filter_string, max_results, order_by, page_token),
        )
        found = [model_from_json(m) for m in reply.get("registered_models") or ()]
        return found, reply.get("next_page_token") or None

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model."""
        return self._model("POST", "rename", {"name": name, "new_name": new_name})

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        """Set a model's description."""
        return self._model("PATCH", "update", {"name": name, "description": description or ""})

    def delete_registered_model(self, name: str) -> None:
        """Delete a model and its versions."""
        self._call("DELETE", f"{_MODELS}/delete", {"name": name}, idempotent=False)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set a model tag."""
        self._call("POST", f"{_MODELS}/set-tag", {"name": name, "key": key, "value": value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a model tag."""
        self._call("DELETE", f"{_MODELS}/delete-tag", {"name": name, "key": key})

    def get_latest_versions(self, name: str, stages: Sequence[str]) -> list[ModelVersion]:
        """The highest version per stage."""
        reply = self._call(
            "POST", f"{_MODELS}/get-latest-versions", {"name": name, "stages": list(stages)}
        )
        return [version_from_json(v) for v in reply.get("model_versions") or ()]

    # ------------------------------------------------------------ versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: Mapping[str, str],
        run_link: str | None,
        description: str | None,
    ) -> ModelVersion:
        """Add the next version (the server numbers it)."""
        body: dict[str, Any] = {"name": name, "source": source, "tags": _tags_json(tags)}
        for key, value in (
            ("run_id", run_id),
            ("run_link", run_link),
            ("description", description),
        ):
            if value is not None:
                body[key] = value
        return self._version("POST", f"{_VERSIONS}/create", body)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """Return one version."""
        return self._version("GET", f"{_VERSIONS}/get", {"name": name, "version": str(version)})

    def update_model_version(
        self, name: str, version: int, description: str | None
    ) -> ModelVersion:
        """Set a version's description."""
        body = {"name": name, "version": str(version), "description": description or ""}
        return self._version("PATCH", f"{_VERSIONS}/update", body)

    def delete_model_version(self, name: str, version: int) -> None:
        """Delete a version."""
        body = {"name": name, "version": str(version)}
        self._call("DELETE", f"{_VERSIONS}/delete", body, idempotent=False)

    def search_model_versions(
        self, filter_string: str, max_results: int, order_by: Sequence[str], page_token: str | None
    ) -> tuple[list[ModelVersion], str | None]:
        """One page of versions, as the server orders them."""
        reply = self._call(
            "GET",
            f"{_VERSIONS}/search",
            _search_params(filter_string, max_results, order_by, page_token),
        )
        found = [version_from_json(v) for v in reply.get("model_versions") or ()]
        return found, reply.get("next_page_token") or None

    def set_model_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set a version tag."""
        body = {"name": name, "version": str(version), "key": key, "value": value}
        self._call("POST", f"{_VERSIONS}/set-tag", body)

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """Remove a version tag."""
        self._call(
            "DELETE", f"{_VERSIONS}/delete-tag", {"name": name, "version": str(version), "key": key}
        )

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point an alias at a version."""
        body = {"name": name, "alias": alias, "version": str(version)}
        self._call("POST", f"{_MODELS}/alias", body)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias."""
        self._call("DELETE", f"{_MODELS}/alias", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at (NotFoundError when the alias is not set)."""
        try:
            return self._version("GET", f"{_MODELS}/alias", {"name": name, "alias": alias})
        except InvalidInputError as exc:  # MLflow answers a missing alias with 400
            if "not found" in str(exc).lower():
                raise NotFoundError(str(exc)) from None
            raise

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        """Where the server says the version's files are."""
        reply = self._call(
            "GET", f"{_VERSIONS}/get-download-uri", {"name": name, "version": str(version)}
        )
        return str(reply.get("artifact_uri") or "")


def _search_params(
    filter_string: str, max_results: int, order_by: Sequence[str], page_token: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {"max_results": max_results}
    if filter_string:
        params["filter"] = filter_string
    if order_by:
        params["order_by"] = list(order_by)
    if page_token:
        params["page_token"] = page_token
    return params
