from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions


@view_config(
    route_name="home",
    renderer="home/index.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def home(request: Request) -> dict[str, Any]:
    return {}
