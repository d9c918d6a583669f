"""What every /api/v1 view answers with: a checked JSON response, keyset pages behind opaque
cursors, the next page's link and ISO dates. Shared by the API's own views and the features'
API views (open data, products, coverage, accountability)."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from pyramid.request import Request
from pyramid.response import Response

from registry.api.validation import ApiError, validate_response
from registry.integers import whole_number

DEFAULT_LIMIT = 25


def json_response(request: Request, body: Any, status: int = 200) -> Response:
    response = Response(json_body=body, status=status, charset="utf-8")
    response.content_type = "application/json"
    validate_response(request, response)
    return response


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"c1:{value}".encode()).decode().rstrip("=")


def decode_cursor(params: dict[str, Any]) -> int:
    raw = params.get("cursor")
    if not raw:
        return 0
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
        kind, value = text.split(":", 1)
        number = whole_number(value)
        if kind != "c1" or number is None:
            raise ValueError(text)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ApiError(
            400,
            "The cursor is not one this API gave: follow links.next from the previous page",
            [{"field": "query.cursor", "message": "not a cursor this API gave"}],
        ) from None
    return number


def next_link(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = [(k, v) for k, v in request.GET.items() if k != "cursor"] + [("cursor", cursor)]
    return request.path + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params)


def keyset_page(request: Request, params: dict[str, Any], query: Any, id_column: Any) -> Any:
    """Items after the cursor's id, one more than asked to know whether a next page exists."""
    limit = params.get("limit") or DEFAULT_LIMIT
    after = decode_cursor(params)
    rows = list(
        request.db.execute(
            query.where(id_column > after).order_by(id_column).limit(limit + 1)
        ).scalars()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].id) if more and rows else None)


def iso_date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
