"""Products in the JSON API: /api/v1/products (issue 10), oldest first, paged by cursor."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy.orm import joinedload

from registry.api.responses import iso_date, json_response, keyset_page, next_link
from registry.api.validation import validate_request
from registry.authnz import Permissions
from registry.contracts.models import Contract
from registry.contracts.queries import public_contract
from registry.products.models import ContractProduct, Product


def product_json(request: Request, product: Product, contracts: int) -> dict[str, Any]:
    return {
        "id": product.id,
        "url": request.route_url("products.detail", id=product.id),
        "name": product.name,
        "version": product.version,
        "label": product.label,
        "vendor": {"id": product.group.id, "name": product.group.name},
        "mainstream_support_end": iso_date(product.mainstream_support_end),
        "extended_support_end": iso_date(product.extended_support_end),
        "support_end": iso_date(product.support_end),
        "source_url": product.source_url,
        "notes": product.notes,
        "published_contracts": contracts,
    }


def _contract_counts(request: Request, ids: list[int]) -> dict[int, int]:
    """How many published contracts depend on each product: one query for the page."""
    if not ids:
        return {}
    rows = request.db.execute(
        sa.select(ContractProduct.product_id, sa.func.count())
        .join(Contract, Contract.id == ContractProduct.contract_id)
        .where(ContractProduct.product_id.in_(ids), public_contract())
        .group_by(ContractProduct.product_id)
    )
    return {product_id: int(count) for product_id, count in rows}


@view_config(route_name="api.products", permission=Permissions.PublicRead, request_method="GET")
def products(request: Request) -> Response:
    params = validate_request(request)
    query = (
        sa.select(Product)
        .options(joinedload(Product.group))  # the vendor's name, in the same query
        .where(Product.retracted_at.is_(None))
    )
    items, cursor = keyset_page(request, params, query, Product.id)
    counts = _contract_counts(request, [p.id for p in items])
    data = [product_json(request, p, counts.get(p.id, 0)) for p in items]
    return json_response(request, {"data": data, "links": {"next": next_link(request, cursor)}})
