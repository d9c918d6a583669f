"""Buyer pages: the public list and profile, and admins' forms to record and edit buyers."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import Session

from registry.authnz import Permissions
from registry.buyers.forms import BuyerForm
from registry.buyers.interfaces import IBuyerService
from registry.buyers.models import Buyer, BuyerType
from registry.buyers.resources import BuyerContext
from registry.buyers.services import BuyerError, BuyerInput, known_as
from registry.contracts.datause import DataUse, add_up, data_use, use_of
from registry.contracts.models import Contract
from registry.contracts.queries import gbp_value
from registry.contracts.totals import published_totals
from registry.figures.models import BuyerSupplierFigures, BuyerTotals
from registry.figures.reading import Computed
from registry.figures.services import USE_NAMES
from registry.figures.totals import by_value, stored_totals
from registry.forms import Form
from registry.listing import ListFilters
from registry.pagination import page_number, paginate
from registry.sql import contains
from registry.suppliers.models import Supplier, SupplierGroup
from registry.suppliers.queries import PUBLISHED, latest_statement
from registry.views import FormView, form_views

SORTS = {
    "name": "Name (A to Z)",
    "type": "Type",
    "region": "Region",
    "value": "Published contract value (highest first)",
}


@view_config(
    route_name="buyers.list",
    renderer="buyers/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def buyer_list(request: Request) -> dict[str, Any]:
    filters = ListFilters(request)
    query = sa.select(Buyer)
    q = filters.search_text()
    if q:
        query = query.where(
            sa.or_(
                contains(sa.func.lower(Buyer.name), q.lower()),
                known_as(q),
                Buyer.identifier == q.upper(),
                Buyer.identifier == q,
            )
        )
    types = [t.value for t in BuyerType]
    buyer_type = filters.choice("type", types, "Type must be one of the types listed")
    if buyer_type:
        query = query.where(Buyer.buyer_type == BuyerType(buyer_type))
    regions = [
        r
        for r in request.db.execute(
            sa.select(Buyer.region)
            .where(Buyer.region.is_not(None))
            .distinct()
            .order_by(Buyer.region)
        ).scalars()
    ]
    region = filters.choice("region", regions, "Region must be one of the regions listed")
    if region:
        query = query.where(Buyer.region == region)
    sort = filters.sort(SORTS, "name")
    name_order = [sa.func.lower(Buyer.name), Buyer.id]
    if sort == "type":
        query = query.order_by(Buyer.buyer_type, *name_order)
    elif sort == "region":
        query = query.order_by(
            sa.case((Buyer.region.is_(None), 1), else_=0), Buyer.region, *name_order
        )
    elif sort == "value":
        query = by_value(query, BuyerTotals, Buyer).order_by(*name_order)
    else:
        query = query.order_by(*name_order)
    page = paginate(request.db, query, page_number(request))
    ids = [b.id for b in page.items]
    stats, computed = stored_totals(request.db, BuyerTotals, Contract.buyer_id, ids)
    return {
        "page": page,
        "stats": stats,
        "figures_computed_at": computed,
        "errors": filters.errors,
        "q": q,
        "buyer_type": buyer_type,
        "types": types,
        "region": region,
        "regions": regions,
        "sort": sort,
        "sorts": SORTS,
        "can_write": request.has_permission(Permissions.AdminSuppliersWrite),
    }


@dataclasses.dataclass
class GroupShare:
    group_id: int
    group_name: str
    contracts: int
    value: Decimal
    share: float | None
    suppliers: list[tuple[int, str]]


def group_shares(db: Session, buyer_id: int) -> list[GroupShare]:
    """The buyer's published spend by supplier group: concentration is measured on groups."""
    rows = db.execute(
        sa.select(
            SupplierGroup.id,
            SupplierGroup.name,
            sa.func.count(Contract.id),
            # Pounds only: values in other currencies cannot be added to them.
            sa.func.coalesce(sa.func.sum(gbp_value()), 0),
        )
        .select_from(Contract)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(SupplierGroup, SupplierGroup.id == Supplier.group_id)
        .where(PUBLISHED, Contract.buyer_id == buyer_id)
        .group_by(SupplierGroup.id, SupplierGroup.name)
        .order_by(sa.func.coalesce(sa.func.sum(gbp_value()), 0).desc(), SupplierGroup.name)
    ).all()
    names: dict[int, list[tuple[int, str]]] = {}
    for group_id, supplier_id, name in db.execute(
        sa.select(Supplier.group_id, Supplier.id, Supplier.name)
        .where(
            Supplier.id.in_(
                sa.select(Contract.supplier_id).where(PUBLISHED, Contract.buyer_id == buyer_id)
            )
        )
        .order_by(Supplier.name)
    ).all():
        names.setdefault(group_id, []).append((supplier_id, name))
    total = sum((Decimal(row[3] or 0) for row in rows), Decimal(0))
    return [
        GroupShare(
            group_id=row[0],
            group_name=row[1],
            contracts=row[2],
            value=Decimal(row[3] or 0),
            share=float(Decimal(row[3] or 0) / total) if total else None,
            suppliers=names.get(row[0], []),
        )
        for row in rows
    ]


@dataclasses.dataclass
class BuyerFigures:
    contracts: int
    value: Decimal  # every currency summed, as the list's column
    shares: list[GroupShare]
    use: DataUse
    computed: Computed | None  # None: worked out now


_STORED = (
    sa.select(
        Supplier.group_id,
        SupplierGroup.name.label("group_name"),
        Supplier.id.label("supplier_id"),
        Supplier.name,
        BuyerSupplierFigures.amount,
        *(getattr(BuyerSupplierFigures, name) for name in USE_NAMES),
        BuyerSupplierFigures.method_version,
        BuyerSupplierFigures.computed_at,
    )
    .join(Supplier, Supplier.id == BuyerSupplierFigures.supplier_id)
    .join(SupplierGroup, SupplierGroup.id == Supplier.group_id)
    .where(BuyerSupplierFigures.buyer_id == sa.bindparam("buyer_id", type_=sa.Integer))
    .order_by(Supplier.name)
)


def buyer_figures(db: Session, buyer_id: int) -> BuyerFigures:
    """The buyer's totals and shares by supplier group: from its stored rows, one per supplier
    (registry.figures), added up by group here; worked out live for a buyer without any."""
    rows = db.execute(_STORED, {"buyer_id": buyer_id}).all()
    if not rows:
        count, value = published_totals(db, Contract.buyer_id, [buyer_id]).get(
            buyer_id, (0, Decimal(0))
        )
        use = data_use(db, Contract.buyer_id == buyer_id)
        return BuyerFigures(count, value, group_shares(db, buyer_id), use, None)
    use = add_up(use_of(row[5:11]) for row in rows)
    groups: dict[int, GroupShare] = {}
    for row in rows:
        share = groups.setdefault(
            row.group_id, GroupShare(row.group_id, row.group_name, 0, Decimal(0), None, [])
        )
        share.contracts += row.contracts
        share.value += Decimal(row.value or 0)
        share.suppliers.append((row.supplier_id, row.name))
    shares = sorted(groups.values(), key=lambda g: (-g.value, g.group_name))
    for share in shares:
        share.share = float(share.value / use.value) if use.value else None
    amount = sum((Decimal(row.amount or 0) for row in rows), Decimal(0))
    return BuyerFigures(use.contracts, amount, shares, use, Computed.of(rows))


@view_config(
    route_name="buyers.detail",
    renderer="buyers/detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def buyer_detail(context: BuyerContext, request: Request) -> dict[str, Any]:
    buyer = context.buyer
    db = request.db
    figures = buyer_figures(db, buyer.id)
    latest = list(db.execute(latest_statement("buyer", 10), {"party_id": buyer.id}).scalars())
    return {
        "buyer": buyer,
        "contract_count": figures.contracts,
        "contract_value": figures.value,
        "latest": latest,
        "shares": figures.shares,
        "data_use_figures": figures.use,
        "figures_computed_at": figures.computed,
        "can_write": request.has_permission(Permissions.AdminSuppliersWrite),
    }


class BuyerView(FormView):
    service_interface = IBuyerService
    form_class = BuyerForm
    error_class = BuyerError
    buyer: Buyer | None = None

    def page(self, form: Form, **extra: Any) -> dict[str, Any]:
        return {"form": form, "buyer": self.buyer}

    def to_buyer(self, buyer: Buyer, message: str) -> HTTPSeeOther:
        return self.done(message, self.request.route_path("buyers.detail", id=buyer.id))


@form_views("buyers.new", "buyers/form.html", Permissions.AdminSuppliersWrite)
class NewBuyerViews(BuyerView):
    def save(self, form: BuyerForm) -> HTTPSeeOther:
        buyer = self.service.create(form.to_input(), actor=self.request.identity)
        return self.to_buyer(buyer, f"{buyer.name} added.")


@form_views("buyers.edit", "buyers/form.html", Permissions.AdminSuppliersWrite)
class EditBuyerViews(BuyerView):
    buyer: Buyer

    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.buyer = request.context.buyer

    def show(self) -> dict[str, Any]:
        return self.page(BuyerForm(data=dataclasses.asdict(BuyerInput.from_buyer(self.buyer))))

    def save(self, form: BuyerForm) -> HTTPSeeOther:
        self.service.update(self.buyer, form.to_input(), actor=self.request.identity)
        return self.to_buyer(self.buyer, "Buyer updated.")
