"""Requests and responses checked against the OpenAPI document (schemas/openapi.yaml) with
openapi-core; what is wrong becomes one JSON error naming each parameter or JSON path."""

from __future__ import annotations

import functools
import json
import logging
import re
from decimal import Decimal
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
# How deep a JSON body may nest: the API's deepest document is a few levels.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")
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
        if error.validator in _BOUNDS:
            message = f"must be {_range(error.schema)}"
        elif error.validator == "format" and error.validator_value == "date":
            message = f"{str(error.instance)[:40]!r} is not a real date in the form YYYY-MM-DD"
        elif error.validator == "required":
            match = REQUIRED.search(error.message)
            if match:
                path += f".{match.group(1)}"
                message = f"{match.group(1)} is required"
        fields.append({"field": f"{prefix}{path}", "message": message})
    return fields


_BOUNDS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}


def _range(schema: dict[str, Any]) -> str:
    """What a number property takes, from its schema: 'a whole number from 1 to 2,147,483,647'."""
    kind = "a whole number" if schema.get("type") == "integer" else "a number"
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"{kind} from {low:,} to {high:,}"
    if low is not None:
        return f"{kind} of at least {low:,}"
    return f"{kind} of at most {high:,}" if high is not None else kind


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
    read = check_body(request)
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
    params: dict[str, Any] = dict(result.parameters.query or {})
    params.update(result.parameters.path or {})
    if result.body is not None:
        params["body"] = _exact_numbers(result.body, read)
    return params


def read_json(value: bytes | str) -> Any:
    """A JSON body as the API reads it: numbers with a fraction or an exponent as Decimal, never
    float (999999999999999.99 stays what was sent), and NaN or Infinity (which Python's reader
    takes, and JSON has not) kept as a `NotANumber` for `check_body` to refuse by its path."""
    return json.loads(value, parse_float=Decimal, parse_constant=NotANumber)


class NotANumber:
    """NaN, Infinity or -Infinity where a JSON body holds a number: no JSON number, no column."""

    def __init__(self, name: str) -> None:
        self.name = name


def check_body(request: Request) -> Any:
    """Refuse, before anything reads it, a JSON body nested deeper than MAX_DEPTH or holding a
    lone surrogate (no UTF-8 can store it), NUL (PostgreSQL text cannot) or NaN or Infinity (no
    JSON number), naming the path."""
    if not request.body or "json" not in (request.content_type or ""):
        return None  # openapi-core names a missing body or another media type
    try:
        body = read_json(request.body)
    except RecursionError:
        fields = [{"field": "$", "message": f"nested deeper than {MAX_DEPTH} levels"}]
        raise ApiError(
            400, "The request is not valid: the body is nested too deeply", fields
        ) from None
    except ValueError as exc:  # not JSON, or not UTF-8
        fields = [{"field": "$", "message": f"the body is not valid JSON: {exc}"[:200]}]
        raise ApiError(
            400, "The request is not valid: the body is not valid JSON", fields
        ) from None
    fields = _text_problems(body)
    if fields:
        raise ApiError(
            400,
            "The request is not valid: "
            + "; ".join(f"{f['field']}: {f['message']}" for f in fields[:10]),
            fields,
        )
    return body


def _exact_numbers(checked: Any, read: Any) -> Any:
    """The body openapi-core checked, with the numbers as read (Decimal): it casts every
    `number` to float, which rounds 999999999999999.99 up to 1000000000000000."""
    if isinstance(checked, float) and isinstance(read, Decimal):
        return read
    if isinstance(checked, dict) and isinstance(read, dict):
        return {k: _exact_numbers(v, read.get(k)) for k, v in checked.items()}
    if isinstance(checked, list) and isinstance(read, list) and len(checked) == len(read):
        return [_exact_numbers(c, r) for c, r in zip(checked, read, strict=True)]
    return checked


def _text_problems(body: Any) -> list[dict[str, str]]:
    """Walked without recursion, so depth is measured rather than met as a RecursionError."""
    problems = []
    stack: list[tuple[Any, str, int]] = [(body, "$", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return [{"field": path, "message": f"nested deeper than {MAX_DEPTH} levels"}]
        if isinstance(value, NotANumber):
            problems.append(
                {
                    "field": path,
                    "message": f"{value.name} is not a number: JSON has no {value.name}",
                }
            )
        elif isinstance(value, str):
            if "\x00" in value:
                problems.append({"field": path, "message": "must not contain a NUL character"})
            if _SURROGATE.search(value):
                problems.append({"field": path, "message": "must not hold a lone surrogate"})
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                stack.append((key, f"{path}.{_printable(key)} (name)", depth + 1))
                stack.append((item, f"{path}.{_printable(key)}", depth + 1))
        elif isinstance(value, list):
            stack.extend(
                (item, f"{path}[{i}]", depth + 1) for i, item in reversed(list(enumerate(value)))
            )
    return problems


def _printable(key: str) -> str:
    return key.encode("utf-8", "backslashreplace").decode("utf-8")[:100]


def validate_response(request: Request, response: Response) -> None:
    """A response that breaks the published document is a bug: log it loudly and fail."""
    result = openapi().unmarshal_response(_Request(request), _Response(response))
    if result.errors:
        log.error("API response breaks the OpenAPI document: %s", result.errors)
        raise ApiError(500, "The service produced a response it does not document")
