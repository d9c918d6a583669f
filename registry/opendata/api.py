"""The import ledger in the JSON API: /api/v1/imports, /api/v1/imports/{id} (issue 11) and the
data quality of each source, /api/v1/imports/sources (issue 17)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from registry.api.responses import (
    DEFAULT_LIMIT,
    decode_cursor,
    encode_cursor,
    json_response,
    keyset_page,
    next_link,
)
from registry.api.validation import ApiError, validate_request
from registry.authnz import Permissions
from registry.opendata import ledger, quality
from registry.opendata.models import ImportRun


def _entries(request: Request, runs: list[ImportRun]) -> list[dict[str, Any]]:
    findings = quality.findings_by_run(request.db, [run.id for run in runs])
    return [
        {
            **ledger.run_json(run, findings[run.id]),
            "url": request.route_url("data.imports.detail", id=run.id),
        }
        for run in runs
    ]


@view_config(route_name="api.imports", permission=Permissions.PublicRead, request_method="GET")
def imports(request: Request) -> Response:
    params = validate_request(request)
    items, cursor = keyset_page(request, params, sa.select(ImportRun), ImportRun.id)
    data = _entries(request, items)
    return json_response(request, {"data": data, "links": {"next": next_link(request, cursor)}})


@view_config(
    route_name="api.imports.detail", permission=Permissions.PublicRead, request_method="GET"
)
def import_detail(request: Request) -> Response:
    params = validate_request(request)
    run = request.db.get(ImportRun, params["id"])
    if run is None:
        raise ApiError(404, f"There is no import numbered {params['id']}")
    return json_response(request, _entries(request, [run])[0])


def _source_json(request: Request, source: dict[str, Any]) -> dict[str, Any]:
    figures = source["quality"]
    return {
        "source_key": source["key"],
        "imports": source["imports"],
        "refused": source["refused"],
        "ocids": source["ocids"],
        "last_import": request.route_url("api.imports.detail", id=source["last_id"]),
        "last_finished_at": source["last"].isoformat(),
        "releases_read": figures["releases"] if figures else 0,
        "findings": figures["findings"] if figures else 0,
        "rules": figures["rules"] if figures else 0,
        "indicators": figures["indicators"] if figures else [],
        "url": request.route_url("data.imports", _query={"source": source["key"]}),
    }


@view_config(
    route_name="api.imports.sources", permission=Permissions.PublicRead, request_method="GET"
)
def import_sources(request: Request) -> Response:
    params = validate_request(request)
    limit = params.get("limit") or DEFAULT_LIMIT
    sources, more = quality.sources_page(request.db, decode_cursor(params), limit)
    cursor = encode_cursor(sources[-1]["first_id"]) if more and sources else None
    data = [_source_json(request, s) for s in sources]
    return json_response(request, {"data": data, "links": {"next": next_link(request, cursor)}})
