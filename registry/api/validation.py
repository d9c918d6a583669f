"""Requests and responses checked against the OpenAPI document (schemas/openapi.yaml) with
openapi-core; what is wrong becomes one JSON error naming each parameter or JSON path."""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from pyramid.request import Request
from pyramid.response import Response
from werkzeug.datastructures import Headers, ImmutableMultiDict

from registry import PROJECT_ROOT

log = logging.getLogger(__name__)

SPEC_PATH = PROJECT_ROOT / "schemas" / "openapi.yaml"
REQUIRED = re.compile(r"'([^']+)' is a required property")


class ApiError(Exception):
    """Rendered as {"error": {"status", "message", "fields"}} by the API's exception view."""

    def __init__(
        self, status: int, message: str, fields: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or []


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        spec: dict[str, Any] = yaml.safe_load(stream)
    return spec


@functools.cache
def openapi(path: Path = SPEC_PATH) -> OpenAPI:
    """Checked when the app starts: a broken document fails start-up, not the first request."""
    return OpenAPI.from_dict(load_spec(path))


class _Request:
    """A Pyramid request as openapi-core reads it."""

    def __init__(self, request: Request) -> None:
        self.host_url = request.host_url
        self.path = request.path
        self.method = request.method.lower()
        self.content_type = request.content_type or ""
        self.body = request.body or None
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.GET.items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(list(request.cookies.items())),
            path=dict(request.matchdict or {}),
        )


class _Response:
    def __init__(self, response: Response) -> None:
        self.data = response.body
        self.status_code = response.status_code
        self.content_type = response.content_type or ""
        self.headers = Headers(list(response.headers.items()))


def _schema_fields(prefix: str, cause: Any) -> list[dict[str, str]]:
    fields = []
    for error in getattr(cause, "schema_errors", ()) or ():
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        message = error.message
        if error.validator == "required":
            match = REQUIRED.search(error.message)
            if match:
                path += f".{match.group(1)}"
                message = f"{match.group(1)} is required"
        fields.append({"field": f"{prefix}{path}", "message": message})
    return fields


def _fields(error: Any) -> list[dict[str, str]]:
    name = getattr(error, "name", None)
    location = getattr(error, "location", None)
    cause = error.__cause__
    if name and location:
        prefix = f"{location}.{name}"
        nested = _schema_fields(prefix, cause)
        if nested:
            return nested
        if cause is not None and type(cause).__name__ == "CastError":
            return [{"field": prefix, "message": f"{name} must be a {cause.type}"}]
        if "Missing" in type(error).__name__:
            return [{"field": prefix, "message": f"{name} is required"}]
        return [{"field": prefix, "message": str(cause or error)}]
    if "RequestBody" in type(error).__name__ or "Body" in type(error).__name__:
        nested = _schema_fields("$", cause)
        if nested:
            return nested
        if "Missing" in type(error).__name__:
            return [{"field": "$", "message": "a JSON body is required"}]
        return [{"field": "$", "message": "the body is not valid JSON"}]
    return [{"field": "request", "message": str(error)}]


def validate_request(request: Request) -> dict[str, Any]:
    """The request's parameters as the document types them; ApiError(400) naming each bad one."""
    result = openapi().unmarshal_request(_Request(request))
    errors = [e for e in result.errors if type(e).__name__ != "SecurityValidationError"]
    if errors:
        fields = [f for e in errors for f in _fields(e)]
        raise ApiError(
            400,
            "The request is not valid: "
            + "; ".join(f"{f['field']}: {f['message']}" for f in fields),
            fields,
        )
    if result.body is not None:
        nul = _nul_paths(result.body, "$")
        if nul:
            fields = [
                {"field": path, "message": "must not contain a NUL character"} for path in nul
            ]
            raise ApiError(400, "The request is not valid: text must not contain NUL", fields)
    params: dict[str, Any] = dict(result.parameters.query or {})
    params.update(result.parameters.path or {})
    if result.body is not None:
        params["body"] = result.body
    return params


def _nul_paths(value: Any, path: str) -> list[str]:
    """Where a body holds NUL, which PostgreSQL cannot store in text."""
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nul_paths(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_paths(v, f"{path}[{i}]")]
    return []


def validate_response(request: Request, response: Response) -> None:
    """A response that breaks the published document is a bug: log it loudly and fail."""
    result = openapi().unmarshal_response(_Request(request), _Response(response))
    if result.errors:
        log.error("API response breaks the OpenAPI document: %s", result.errors)
        raise ApiError(500, "The service produced a response it does not document")
