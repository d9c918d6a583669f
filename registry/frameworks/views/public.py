"""Public framework pages: the list, a framework with its lots, suppliers and obligations, a lot."""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import selectinload

from registry import clock
from registry.authnz import Permissions
from registry.frameworks import lifecycle
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    Lot,
    Membership,
    MembershipStatus,
    Obligation,
    ObligationCategory,
)
from registry.frameworks.money import framework_total, lot_ceiling_use, lot_ceiling_use_computed
from registry.frameworks.resources import FrameworkContext, LotContext
from registry.frameworks.services import allowed_statuses
from registry.listing import ListFilters
from registry.pagination import page_number, paginate
from registry.suppliers.models import Supplier


def _status_order() -> Any:
    """Lifecycle order of the status shown today, so "status" sorts coming → expired rather
    than alphabetically, with frameworks past their end among the expired."""
    return sa.case(
        {status.value: index for index, status in enumerate(FrameworkStatus)},
        value=lifecycle.shown_status_sql(clock.today()),
        else_=len(FrameworkStatus),
    )


def _nulls_last(column: Any) -> Any:
    # NULLS LAST spelled so SQLite and PostgreSQL sort alike.
    return sa.case((column.is_(None), 1), else_=0)


SORTS: dict[str, tuple[str, Any]] = {
    "reference": ("Reference", sa.func.lower(Framework.reference)),
    "title": ("Title", sa.func.lower(Framework.title)),
    "status": ("Status", None),  # today's: _status_order()
    "start": ("Start", Framework.start_date),
    "end": ("End", Framework.end_date),
}
RETRACTED = "retracted"


def _counts(request: Request, framework_ids: list[int]) -> dict[int, dict[str, int]]:
    """Live lots and suppliers (not removed) per framework, two grouped queries for the page."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"lots": 0, "suppliers": 0})
    if not framework_ids:
        return counts
    lots = request.db.execute(
        sa.select(Lot.framework_id, sa.func.count(Lot.id))
        .where(Lot.framework_id.in_(framework_ids), Lot.retracted_at.is_(None))
        .group_by(Lot.framework_id)
    )
    for framework_id, n in lots:
        counts[framework_id]["lots"] = n
    suppliers = request.db.execute(
        sa.select(Lot.framework_id, sa.func.count(sa.distinct(Membership.supplier_id)))
        .join(Membership, Membership.lot_id == Lot.id)
        .where(
            Lot.framework_id.in_(framework_ids),
            Lot.retracted_at.is_(None),
            Membership.status != MembershipStatus.removed,
        )
        .group_by(Lot.framework_id)
    )
    for framework_id, n in suppliers:
        counts[framework_id]["suppliers"] = n
    return counts


@view_config(
    route_name="frameworks.list",
    renderer="frameworks/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def framework_list(request: Request) -> dict[str, Any]:
    filters = ListFilters(request)
    query = sa.select(Framework)
    statuses = [s.value for s in FrameworkStatus]
    status = filters.choice(
        "status", [*statuses, RETRACTED], "Status must be one of the statuses listed"
    )
    if status == RETRACTED:
        query = query.where(Framework.retracted_at.is_not(None))
    else:
        # Retracted frameworks are kept, but listed only when asked for.
        query = query.where(Framework.retracted_at.is_(None))
        if status:
            # The status shown: "expired" finds a framework recorded live whose end has passed.
            query = query.where(lifecycle.shown_status_sql(clock.today()) == status)
    owners = list(
        request.db.execute(
            sa.select(Framework.owner_body).distinct().order_by(Framework.owner_body)
        ).scalars()
    )
    owner = filters.choice("owner", owners, "Owner must be one of the owners listed")
    if owner:
        query = query.where(Framework.owner_body == owner)
    sort = filters.sort(SORTS, "reference")
    descending = request.params.get("order") == "desc"
    column = SORTS[sort][1] if sort != "status" else _status_order()
    order = [column.desc() if descending else column, Framework.reference]
    if sort in ("start", "end"):
        order.insert(0, _nulls_last(column))
    query = query.order_by(*order)
    page = paginate(request.db, query, page_number(request))
    can_write = request.has_permission(Permissions.AdminFrameworksWrite)
    return {
        "page": page,
        "counts": _counts(request, [f.id for f in page.items]),
        "errors": filters.errors,
        "status": status,
        "statuses": statuses,
        "owner": owner,
        "owners": owners,
        "sort": sort,
        "descending": descending,
        "sorts": {key: label for key, (label, _) in SORTS.items()},
        "can_write": can_write,
        # For an admin: recorded statuses that disagree with their frameworks' dates (issue 19).
        "disagreements": lifecycle.disagreements(request.db, clock.today()) if can_write else [],
    }


def _obligation_groups(obligations: list[Obligation]) -> list[tuple[str, list[Obligation]]]:
    """Obligations by category in the category list's order; retracted ones last in each."""
    groups: dict[str, list[Obligation]] = defaultdict(list)
    for obligation in obligations:
        groups[obligation.category.value].append(obligation)
    return [
        (category.value, sorted(groups[category.value], key=lambda o: (o.is_retracted, o.id)))
        for category in ObligationCategory
        if groups.get(category.value)
    ]


def _memberships_by_lot(request: Request, lot_ids: list[int]) -> dict[int, list[Membership]]:
    result: dict[int, list[Membership]] = defaultdict(list)
    if not lot_ids:
        return result
    memberships = request.db.execute(_memberships_statement(), {"lot_ids": lot_ids}).scalars()
    for membership in memberships:
        result[membership.lot_id].append(membership)
    return result


# The framework page's statements take longer to build than to run for one framework: built once
# per process, the lots or framework bound when they run (issue 8, public pages under load).
@functools.cache
def _memberships_statement() -> sa.Select[Any]:
    return (
        sa.select(Membership)
        .join(Supplier, Supplier.id == Membership.supplier_id)
        .where(Membership.lot_id.in_(sa.bindparam("lot_ids", expanding=True)))
        .options(selectinload(Membership.supplier), selectinload(Membership.status_changes))
        .order_by(
            sa.case((Membership.status == MembershipStatus.removed, 1), else_=0),
            sa.func.lower(Supplier.name),
        )
    )


@functools.cache
def _framework_obligations_statement() -> sa.Select[Any]:
    return _obligations_query(
        Obligation.framework_id == sa.bindparam("framework_id", type_=sa.Integer)
    )


def _obligations_query(*where: Any) -> sa.Select[Any]:
    return (
        sa.select(Obligation)
        .where(*where)
        .options(selectinload(Obligation.lot), selectinload(Obligation.supplier))
        .order_by(Obligation.id)
    )


def _obligations(request: Request, *where: Any) -> list[Obligation]:
    return list(request.db.execute(_obligations_query(*where)).scalars())


@view_config(
    route_name="frameworks.detail",
    renderer="frameworks/detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def framework_detail(context: FrameworkContext, request: Request) -> dict[str, Any]:
    framework = context.framework
    lots = list(framework.lots)
    lot_money, computed = lot_ceiling_use_computed(request.db, lots)
    return {
        "framework": framework,
        "lots": lots,
        "lot_money": lot_money,
        "money": framework_total(framework, list(lot_money.values())),
        "figures_computed_at": computed,
        "memberships": _memberships_by_lot(request, [lot.id for lot in lots]),
        "obligation_groups": _obligation_groups(
            list(
                request.db.execute(
                    _framework_obligations_statement(), {"framework_id": framework.id}
                ).scalars()
            )
        ),
        "status_changes": framework.status_changes,
        "next_statuses": allowed_statuses(framework),
        "can_write": request.has_permission(Permissions.AdminFrameworksWrite)
        and not framework.is_retracted,
    }


@view_config(
    route_name="frameworks.lots.detail",
    renderer="frameworks/lot.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def lot_detail(context: LotContext, request: Request) -> dict[str, Any]:
    framework, lot = context.framework, context.lot
    obligations = _obligations(
        request,
        Obligation.framework_id == framework.id,
        sa.or_(Obligation.lot_id.is_(None), Obligation.lot_id == lot.id),
    )
    return {
        "framework": framework,
        "lot": lot,
        "money": lot_ceiling_use(request.db, [lot])[lot.id],
        "memberships": _memberships_by_lot(request, [lot.id])[lot.id],
        "obligation_groups": _obligation_groups(obligations),
        "can_write": request.has_permission(Permissions.AdminFrameworksWrite)
        and not framework.is_retracted
        and not lot.is_retracted,
    }
