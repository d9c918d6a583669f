"""GET /api/v1/suggest/<records>?q=: the closest records to what is being typed into a picker,
for the pickers' script (registry/static/pickers.mjs). Read-only and bounded: at most
`MAX_SUGGESTIONS` public records, nothing under two characters, no session used."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy.orm import Session

from registry.authnz import Permissions
from registry.pickers.services import (
    NotPicked,
    Suggestion,
    pick_framework,
    suggest_buyers,
    suggest_frameworks,
    suggest_lots,
    suggest_suppliers,
)

# Fewer characters than this match too much to be worth a query.
MIN_QUERY = 2
MAX_QUERY = 100


def _lots(db: Session, text: str, framework: str) -> list[Suggestion]:
    try:
        chosen = pick_framework(db, framework)
    except NotPicked:
        return []
    return suggest_lots(db, chosen, text)


SUGGESTERS: dict[str, Callable[[Request, str], list[Suggestion]]] = {
    "pickers.suppliers": lambda request, q: suggest_suppliers(request.db, q),
    "pickers.buyers": lambda request, q: suggest_buyers(request.db, q),
    "pickers.frameworks": lambda request, q: suggest_frameworks(request.db, q),
    "pickers.lots": lambda request, q: _lots(
        request.db, q, request.params.get("framework", "")[:MAX_QUERY]
    ),
}


def _answer(body: dict[str, Any]) -> Response:
    response = Response(json_body=body, charset="utf-8", content_type="application/json")
    # The same for everyone (public records only): a browser may keep it for a minute.
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response


@view_config(
    route_name="pickers.suppliers", permission=Permissions.PublicRead, request_method="GET"
)
@view_config(route_name="pickers.buyers", permission=Permissions.PublicRead, request_method="GET")
@view_config(
    route_name="pickers.frameworks", permission=Permissions.PublicRead, request_method="GET"
)
@view_config(route_name="pickers.lots", permission=Permissions.PublicRead, request_method="GET")
def suggest(request: Request) -> Response:
    q = " ".join(str(request.params.get("q", "")).split())[:MAX_QUERY]
    # Lots are few, all worth listing once the framework is chosen.
    short = len(q) < MIN_QUERY and request.matched_route.name != "pickers.lots"
    found = [] if short else SUGGESTERS[request.matched_route.name](request, q)
    return _answer({"query": q, "suggestions": [s.as_json() for s in found]})
