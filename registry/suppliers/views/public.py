"""Public supplier and group pages: the list, a supplier's profile, groups and their subsidiaries."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from registry.authnz import Permissions
from registry.contracts.datause import data_use
from registry.contracts.models import Contract
from registry.contracts.totals import published_totals
from registry.figures.models import SupplierTotals
from registry.figures.totals import by_value, stored_totals
from registry.identifiers import normalise_companies_house_number, normalise_name
from registry.integers import record_by_number
from registry.listing import ListFilters
from registry.markets.services import market_shares
from registry.pagination import page_number, paginate
from registry.sql import contains
from registry.suppliers import queries
from registry.suppliers.models import Supplier, SupplierGroup
from registry.suppliers.resources import GroupContext, SupplierContext

# The supplier page shows this many of each long list, and links to the rest.
SUMMARY_ROWS = 5
PAGE_ROWS = 50


SORTS: dict[str, str] = {
    "name": "Name (A to Z)",
    "-name": "Name (Z to A)",
    "value": "Published contract value (highest first)",
    "newest": "Most recently added",
}
SME_FILTERS = {"yes": "SMEs only", "no": "Not SMEs", "unknown": "SME status not known"}


def search_clause(q: str) -> Any:
    """Name, other names or Companies House number; case-insensitive, punctuation forgiven."""
    clauses: list[Any] = [
        contains(sa.func.lower(Supplier.name), q.lower()),
        # Aliases are a JSON list: searched as its text, which holds every alias.
        contains(sa.func.lower(sa.cast(Supplier.aliases, sa.Text)), q.lower()),
    ]
    normalised = normalise_name(q)
    if normalised:
        clauses.append(contains(Supplier.normalised_name, normalised))
    number = normalise_companies_house_number(q)
    if number:
        clauses.append(Supplier.companies_house_number == number)
    return sa.or_(*clauses)


@view_config(
    route_name="suppliers.list",
    renderer="suppliers/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def supplier_list(request: Request) -> dict[str, Any]:
    filters = ListFilters(request)
    query = sa.select(Supplier).options(selectinload(Supplier.group))
    q = filters.search_text()
    if q:
        query = query.where(search_clause(q))
    group: SupplierGroup | None = None
    group_text = request.params.get("group", "").strip()
    if group_text:
        group = record_by_number(request.db, SupplierGroup, group_text)
        if group is None:
            filters.errors.append("Group must be the number of a supplier group, like 12")
        else:
            query = query.where(Supplier.group_id == group.id)
    sme = request.params.get("sme", "")
    if sme == "yes":
        query = query.where(Supplier.sme.is_(True))
    elif sme == "no":
        query = query.where(Supplier.sme.is_(False))
    elif sme == "unknown":
        query = query.where(Supplier.sme.is_(None))
    else:
        sme = ""
    include_merged = request.params.get("merged") == "include"
    if not include_merged:
        query = query.where(Supplier.merged_into_id.is_(None))
    sort = filters.sort(SORTS, "name")
    if sort == "value":
        query = by_value(query, SupplierTotals, Supplier).order_by(
            sa.func.lower(Supplier.name), Supplier.id
        )
    elif sort == "-name":
        query = query.order_by(sa.func.lower(Supplier.name).desc(), Supplier.id.desc())
    elif sort == "newest":
        query = query.order_by(Supplier.id.desc())
    else:
        query = query.order_by(sa.func.lower(Supplier.name), Supplier.id)
    page = paginate(request.db, query, page_number(request))
    ids = [s.id for s in page.items]
    stats, computed = stored_totals(request.db, SupplierTotals, Contract.supplier_id, ids)
    return {
        "page": page,
        "stats": stats,
        "figures_computed_at": computed,
        "errors": filters.errors,
        "q": q,
        "group": group,
        "sme": sme,
        "sme_filters": SME_FILTERS,
        "include_merged": include_merged,
        "sort": sort,
        "sorts": SORTS,
        "can_write": request.has_permission(Permissions.AdminSuppliersWrite),
    }


@view_config(
    route_name="suppliers.detail",
    renderer="suppliers/detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def supplier_detail(context: SupplierContext, request: Request) -> dict[str, Any]:
    """Summary first (group, scores, flags, market shares), then the first few of each long
    list with a link to all of them: a large supplier's page stays a page (issue 18)."""
    supplier = context.supplier
    db = request.db
    by_buyer_type = queries.contracts_by_buyer_type(db, supplier.id)
    shares, market_count = market_shares(db, supplier.group_id, SUMMARY_ROWS)
    return {
        "supplier": supplier,
        "memberships": queries.memberships_page(db, supplier.id, 1, SUMMARY_ROWS),
        "obligations": queries.obligations_page(db, supplier.id, 1, SUMMARY_ROWS),
        "market_shares": shares,
        "market_count": market_count,
        "by_buyer_type": by_buyer_type.rows,
        "latest": queries.latest_contracts(db, supplier.id),
        # Every published contract has a buyer: the rows by buyer type count them all.
        "contract_count": by_buyer_type.use.contracts,
        "data_use_figures": by_buyer_type.use,
        "figures_computed_at": by_buyer_type.computed,
        "merges": queries.merges_into(db, supplier.id),
        "group_size": queries.group_counts(db, [supplier.group_id]).get(supplier.group_id, 0),
        "can_write": request.has_permission(Permissions.AdminSuppliersWrite),
    }


# A supplier's long lists, each on its own paged page: (query, title, caption noun, if none).
LONG_LISTS: dict[str, tuple[Any, str, str, str]] = {
    "suppliers.memberships": (
        queries.memberships_page,
        "Frameworks and lots",
        "Framework places",
        "Not recorded on any framework.",
    ),
    "suppliers.obligations": (
        queries.obligations_page,
        "Obligations",
        "Obligations",
        "No obligations recorded.",
    ),
}


@view_config(
    route_name="suppliers.memberships",
    renderer="suppliers/long_list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
@view_config(
    route_name="suppliers.obligations",
    renderer="suppliers/long_list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def supplier_long_list(context: SupplierContext, request: Request) -> dict[str, Any]:
    supplier = context.supplier
    query, title, noun, empty = LONG_LISTS[request.matched_route.name]
    page = query(request.db, supplier.id, page_number(request), PAGE_ROWS)
    return {
        "supplier": supplier,
        "page": page,
        "title": title,
        "noun": noun,
        "empty": empty,
        "kind": request.matched_route.name.removeprefix("suppliers."),
    }


@view_config(
    route_name="suppliers.groups.list",
    renderer="suppliers/groups.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def group_list(request: Request) -> dict[str, Any]:
    filters = ListFilters(request)
    query = sa.select(SupplierGroup)
    q = filters.search_text()
    if q:
        query = query.where(contains(sa.func.lower(SupplierGroup.name), q.lower()))
    sort = request.params.get("sort", "name")
    if sort == "size":
        size = (
            sa.select(Supplier.group_id, sa.func.count(Supplier.id).label("n"))
            .where(Supplier.merged_into_id.is_(None))
            .group_by(Supplier.group_id)
            .subquery()
        )
        query = query.outerjoin(size, size.c.group_id == SupplierGroup.id).order_by(
            sa.func.coalesce(size.c.n, 0).desc(), sa.func.lower(SupplierGroup.name)
        )
    else:
        sort = "name"
        query = query.order_by(sa.func.lower(SupplierGroup.name), SupplierGroup.id)
    page = paginate(request.db, query, page_number(request))
    return {
        "page": page,
        "counts": queries.group_counts(request.db, [g.id for g in page.items]),
        "errors": filters.errors,
        "q": q,
        "sort": sort,
        "sorts": {"name": "Name (A to Z)", "size": "Most suppliers"},
        "can_write": request.has_permission(Permissions.AdminSuppliersWrite),
    }


@view_config(
    route_name="suppliers.groups.detail",
    renderer="suppliers/group.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def group_detail(context: GroupContext, request: Request) -> dict[str, Any]:
    group = context.group
    members = queries.group_members(request.db, group.id, include_merged=True)
    count, value = queries.group_value(request.db, group.id)
    figures = data_use(request.db, Supplier.group_id == group.id, by_group=True)
    return {
        "group": group,
        "members": [s for s in members if not s.is_merged],
        "merged_members": [s for s in members if s.is_merged],
        "stats": published_totals(request.db, Contract.supplier_id, [s.id for s in members]),
        "contract_count": count,
        "contract_value": value,
        "data_use_figures": figures,
        "can_write": request.has_permission(Permissions.AdminSuppliersWrite),
    }
