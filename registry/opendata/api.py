"""The import ledger in the JSON API: /api/v1/imports and /api/v1/imports/{id} (issue 11)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from registry.api.validation import ApiError, validate_request
from registry.api.views import _json, _keyset_page, _next_link
from registry.authnz import Permissions
from registry.opendata import ledger
from registry.opendata.models import ImportRun


def _entry(request: Request, run: ImportRun) -> dict[str, Any]:
    return {**ledger.run_json(run), "url": request.route_url("data.imports.detail", id=run.id)}


@view_config(route_name="api.imports", permission=Permissions.PublicRead, request_method="GET")
def imports(request: Request) -> Response:
    params = validate_request(request)
    items, cursor = _keyset_page(request, params, sa.select(ImportRun), ImportRun.id)
    data = [_entry(request, run) for run in items]
    return _json(request, {"data": data, "links": {"next": _next_link(request, cursor)}})


@view_config(
    route_name="api.imports.detail", permission=Permissions.PublicRead, request_method="GET"
)
def import_detail(request: Request) -> Response:
    params = validate_request(request)
    run = request.db.get(ImportRun, params["id"])
    if run is None:
        raise ApiError(404, f"There is no import numbered {params['id']}")
    return _json(request, _entry(request, run))
