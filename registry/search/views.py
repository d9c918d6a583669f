"""The search page (/search) and the comparison page (/compare)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.pagination import page_number
from registry.search.basket import basket_query, compare_query, on_the_same_lots, read_basket
from registry.search.compare import MAX_SUPPLIERS, CompareError, compare, parse_ids
from registry.search.highlight import highlight
from registry.search.interfaces import (
    FACETS,
    KIND_LABELS,
    ISearchService,
    SearchTooBroad,
    SearchUnavailable,
    selected_filters,
)

PAGE_SIZE = 20
FACET_LABELS = {
    "kind": "Type",
    "frameworks": "Framework",
    "category": "Obligation category",
    "score_band": "Supplier score",
    "open_flags": "Open lock-in flags",
}


def result_url(request: Request, kind: str, link: str) -> str:
    """Where a search result leads: the record's own page, or its framework's."""
    if kind == "supplier":
        return request.route_path("suppliers.detail", id=link)
    if kind == "contract":
        return request.route_path("contracts.detail", id=link)
    return request.route_path("frameworks.detail", reference=link)


@view_config(
    route_name="search",
    renderer="search/search.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def search_page(request: Request) -> dict[str, Any]:
    q = request.params.get("q", "")
    filters = selected_filters(request.params)
    basket = read_basket(request.db, request.params)
    context: dict[str, Any] = {
        "q": q,
        "results": None,
        "unavailable": False,
        "facet_labels": FACET_LABELS,
        "kind_labels": KIND_LABELS,
        "highlight": highlight,
        "result_url": lambda kind, link: result_url(request, kind, link),
        "max_compare": MAX_SUPPLIERS,
        "basket": basket,
        "basket_link": lambda ids: _search_url(request, q, filters, ids),
        "compare_link": lambda ids: request.route_path("compare") + "?" + compare_query(ids),
        "too_broad": None,
    }
    if not q.strip():
        if not basket.full:
            context["neighbours"] = on_the_same_lots(request.db, basket.ids)
        return context
    service = request.find_service(ISearchService)
    try:
        results = service.search(q, filters=filters, page=page_number(request), page_size=PAGE_SIZE)
    except SearchUnavailable:
        # Committed data is safe in the database; only the index has to be built again.
        request.response.status = 503
        context["unavailable"] = True
        return context
    except SearchTooBroad as exc:
        request.response.status = 400
        context["too_broad"] = str(exc)
        return context
    context["results"] = results
    context["facet_links"] = _facet_links(request, results.query, filters, basket.ids)
    return context


def _search_url(request: Request, q: str, filters: dict[str, list[str]], basket: list[int]) -> str:
    """This search, with these facet choices and this compare basket."""
    params = [("q", q)] + [(k, v) for k in FACETS for v in filters.get(k, [])]
    return request.route_path("search") + "?" + urlencode(params + basket_query(basket))


def _facet_links(request: Request, q: str, filters: dict[str, list[str]], basket: list[int]) -> Any:
    """The link that ticks or unticks a facet value, keeping the other choices and the basket."""

    def link(name: str, value: str) -> str:
        chosen = {k: list(v) for k, v in filters.items()}
        values = chosen.setdefault(name, [])
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        return _search_url(request, q, chosen, basket)

    return link


@view_config(
    route_name="compare",
    renderer="search/compare.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def compare_page(request: Request) -> dict[str, Any]:
    try:
        ids = parse_ids(request.params.getall("ids"))
        comparison = compare(request.db, ids, request.registry.get("registry.markets.cpv_depth", 5))
    except CompareError as exc:
        request.response.status = 400
        return {"error": str(exc), "comparison": None}
    return {"error": None, "comparison": comparison}
