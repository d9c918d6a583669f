"""Assessment clocks on pages: the public list with its rules (/assessment-clocks), and the data
the contract, supplier and buyer pages' partials ask for (request methods, so those pages need
no scoring code)."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from typing import Any

import sqlalchemy as sa
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy.orm import Session

from registry.authnz import Permissions
from registry.buyers.models import Buyer
from registry.clock import today
from registry.integers import record_by_number
from registry.pagination import Page, page_number
from registry.scoring import clock_rules as rules
from registry.scoring import clocks, evidence
from registry.scoring.models import Rating
from registry.suppliers.models import Supplier

PAGE_SIZE = 25
SUMMARY_ROWS = 10


def _soonest_due(clock: Any) -> tuple[Any, ...]:
    return (
        sa.case((clock.c.due_day.is_(None), 1), else_=0),
        clock.c.due_day,
        clock.c.contract_id,
        clock.c.kpi_ref,
    )


def clock_page(
    db: Session,
    scope: clocks.Scope,
    as_of: datetime.date,
    states: tuple[str, ...],
    number: int,
    size: int = PAGE_SIZE,
    total: int | None = None,
) -> Page:
    """One page of clocks in the given states, soonest due first; paged in SQL. Pass `total`
    when the caller has counted already (state_totals), to save computing the clocks twice."""
    query = clocks.clocks_select(scope, as_of)
    if states:
        inner = query.subquery("clock_rows")
        query = sa.select(inner).where(inner.c.state.in_(states)).order_by(*_soonest_due(inner))
    if total is None:
        total = db.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        ).scalar_one()
    pages = max(1, -(-total // size))
    number = min(number, pages)
    rows = db.execute(query.limit(size).offset((number - 1) * size))
    return Page(items=clocks.to_clocks(rows), number=number, size=size, total=total)


def state_summary(
    db: Session, scope: clocks.Scope, as_of: datetime.date, state: str, size: int
) -> tuple[dict[str, int], Page]:
    """The clocks in each state, and the first `size` in one state, soonest due first: one
    query, the clocks computed once (each state's first row carries its count)."""
    _, values = clocks.bound(scope)
    rows = db.execute(_summary_statement(clocks.shape(scope), as_of, state, size), values).all()
    totals = dict.fromkeys(rules.STATE_LABELS, 0)
    for row in rows:
        totals[row.state] = row.state_total
    first = clocks.to_clocks(row for row in rows if row.state == state)
    return totals, Page(items=first, number=1, size=size, total=totals[state])


@functools.lru_cache(maxsize=32)
def _summary_statement(
    shape: tuple[bool, tuple[str, ...]], as_of: datetime.date, state: str, size: int
) -> sa.Select[Any]:
    """state_summary's statement for every scope of one shape (e.g. any one supplier's), its ids
    bound when executed: built once per shape and day, as building it costs many times more
    than running it for one supplier (issue 8, the supplier page under load)."""
    published_only, names = shape
    scope, _ = clocks.bound(clocks.Scope(published_only=published_only, **dict.fromkeys(names, 0)))
    clock = clocks.clocks_select(scope, as_of).order_by(None).subquery("clock_rows")
    ranked = sa.select(
        clock,
        sa.func.count().over(partition_by=clock.c.state).label("state_total"),
        sa.func.row_number()
        .over(partition_by=clock.c.state, order_by=_soonest_due(clock))
        .label("state_rank"),
    ).subquery("ranked_clocks")
    return (
        sa.select(ranked)
        .where(
            sa.or_(
                ranked.c.state_rank == 1,
                sa.and_(ranked.c.state == state, ranked.c.state_rank <= size),
            )
        )
        .order_by(ranked.c.state_rank)
    )


def state_totals(db: Session, scope: clocks.Scope, as_of: datetime.date) -> dict[str, int]:
    totals = dict.fromkeys(rules.STATE_LABELS, 0)
    for _, state, count in db.execute(clocks.state_counts(scope, as_of)):
        totals[state] += count
    return totals


@dataclasses.dataclass(frozen=True)
class BuyerRecord:
    """What the buyer page shows: the on-time record and the distribution of ratings."""

    as_of: datetime.date
    on_time: clocks.OnTime
    ratings: evidence.Distribution
    overdue: list[clocks.Clock]


def buyer_record(db: Session, buyer_id: int, as_of: datetime.date) -> BuyerRecord:
    scope = clocks.Scope(buyer_id=buyer_id)
    on_time = clocks.on_time(db, scope, as_of)
    return BuyerRecord(
        as_of=as_of,
        on_time=on_time,
        ratings=evidence.distribution(db, buyer_id),
        overdue=clock_page(
            db, scope, as_of, (rules.OVERDUE,), 1, SUMMARY_ROWS, on_time.overdue
        ).items,
    )


# -- request methods for the partials ---------------------------------------------------------


def contract_clocks(request: Request, contract_id: int) -> dict[str, Any]:
    as_of = today()
    return {
        "as_of": as_of,
        "clocks": clocks.clocks(request.db, clocks.Scope(contract_id=contract_id), as_of),
    }


def supplier_clocks(request: Request, supplier_id: int) -> dict[str, Any]:
    as_of = today()
    totals, overdue = state_summary(
        request.db, clocks.Scope(supplier_id=supplier_id), as_of, rules.OVERDUE, SUMMARY_ROWS
    )
    return {"as_of": as_of, "totals": totals, "labels": rules.STATE_LABELS, "overdue": overdue}


def buyer_assessment_record(request: Request, buyer_id: int) -> BuyerRecord:
    return buyer_record(request.db, buyer_id, today())


# -- the public page --------------------------------------------------------------------------


def _id_param(request: Request, name: str, model: Any, label: str, errors: list[str]) -> Any:
    raw = request.params.get(name, "").strip()
    if not raw:
        return None
    found = record_by_number(request.db, model, raw)
    if found is None:
        errors.append(f"{label} must be a registry number from a {label.lower()}'s page")
    return found


@view_config(
    route_name="clocks",
    renderer="scoring/clocks.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def clock_list(request: Request) -> dict[str, Any]:
    errors: list[str] = []
    buyer = _id_param(request, "buyer", Buyer, "Buyer", errors)
    supplier = _id_param(request, "supplier", Supplier, "Supplier", errors)
    state = request.params.get("state", rules.OVERDUE)
    if state not in rules.STATE_LABELS:
        errors.append("State must be one of the states listed")
        state = rules.OVERDUE
    scope = clocks.Scope(
        buyer_id=buyer.id if buyer else None, supplier_id=supplier.id if supplier else None
    )
    as_of = today()
    totals = state_totals(request.db, scope, as_of)
    return {
        "rules": rules,
        "ratings": [r.value for r in Rating],
        "as_of": as_of,
        "buyer": buyer,
        "supplier": supplier,
        "state": state,
        "errors": errors,
        "totals": totals,
        "page": clock_page(
            request.db, scope, as_of, (state,), page_number(request), total=totals[state]
        ),
    }
