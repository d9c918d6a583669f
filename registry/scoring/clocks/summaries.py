"""The clocks summed up for pages, the API and the home pages: one page of clocks in some
states, the totals per state, and a buyer's assessment record (on-time rate, ratings, overdue)."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.pagination import Page
from registry.scoring.assessments import evidence
from registry.scoring.clocks import rules, services

PAGE_SIZE = 25
SUMMARY_ROWS = 10


def _soonest_due(clock: Any) -> tuple[Any, ...]:
    return (
        sa.case((clock.c.due_day.is_(None), 1), else_=0),
        clock.c.due_day,
        clock.c.contract_id,
        clock.c.kpi_ref,
    )


def _in_states(scope: services.Scope, as_of: datetime.date, states: tuple[str, ...]) -> Any:
    query = services.clocks_select(scope, as_of)
    if states:
        inner = query.subquery("clock_rows")
        query = sa.select(inner).where(inner.c.state.in_(states)).order_by(*_soonest_due(inner))
    return query


def clock_page(
    db: Session,
    scope: services.Scope,
    as_of: datetime.date,
    states: tuple[str, ...],
    number: int,
    size: int = PAGE_SIZE,
    total: int | None = None,
) -> Page:
    """One page of clocks in the given states, soonest due first; paged in SQL. Pass `total`
    when the caller has counted already (state_totals), to save computing the clocks twice."""
    query = _in_states(scope, as_of, states)
    if total is None:
        total = db.execute(
            sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        ).scalar_one()
    pages = max(1, -(-total // size))
    number = min(number, pages)
    rows = db.execute(query.limit(size).offset((number - 1) * size))
    return Page(items=services.to_clocks(rows), number=number, size=size, total=total)


def state_summary(
    db: Session, scope: services.Scope, as_of: datetime.date, state: str, size: int
) -> tuple[dict[str, int], Page]:
    """The clocks in each state, and the first `size` in one state, soonest due first: one
    query, the clocks computed once (each state's first row carries its count)."""
    _, values = services.bound(scope)
    rows = db.execute(_summary_statement(services.shape(scope), as_of, state, size), values).all()
    totals = dict.fromkeys(rules.STATE_LABELS, 0)
    for row in rows:
        totals[row.state] = row.state_total
    first = services.to_clocks(row for row in rows if row.state == state)
    return totals, Page(items=first, number=1, size=size, total=totals[state])


@functools.lru_cache(maxsize=32)
def _summary_statement(
    shape: tuple[bool, tuple[str, ...]], as_of: datetime.date, state: str, size: int
) -> sa.Select[Any]:
    """state_summary's statement for every scope of one shape (e.g. any one supplier's), its ids
    bound when executed: built once per shape and day, as building it costs many times more
    than running it for one supplier (issue 8, the supplier page under load)."""
    published_only, names = shape
    scope, _ = services.bound(
        services.Scope(published_only=published_only, **dict.fromkeys(names, 0))
    )
    clock = services.clocks_select(scope, as_of).order_by(None).subquery("clock_rows")
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


def state_totals(db: Session, scope: services.Scope, as_of: datetime.date) -> dict[str, int]:
    totals = dict.fromkeys(rules.STATE_LABELS, 0)
    for _, state, count in db.execute(services.state_counts(scope, as_of)):
        totals[state] += count
    return totals


@dataclasses.dataclass(frozen=True)
class BuyerRecord:
    """What the buyer page shows: the on-time record and the distribution of ratings."""

    as_of: datetime.date
    on_time: services.OnTime
    ratings: evidence.Distribution
    overdue: list[services.Clock]


def buyer_record(db: Session, buyer_id: int, as_of: datetime.date) -> BuyerRecord:
    # The clocks computed once: the totals per state and the longest overdue in one query
    # (state_summary), as the supplier page has them (issue 21).
    totals, overdue = state_summary(
        db, services.Scope(buyer_id=buyer_id), as_of, rules.OVERDUE, SUMMARY_ROWS
    )
    on_time = services.on_time_of(
        ((buyer_id, state, count) for state, count in totals.items()),
        db.execute(_buyer_history(), {"scope_buyer_id": buyer_id}),
    )
    return BuyerRecord(
        as_of=as_of,
        on_time=on_time,
        ratings=evidence.distribution(db, buyer_id),
        overdue=list(overdue.items),
    )


@functools.cache
def _buyer_history() -> Any:
    """buyer_record's history for any one buyer, its id bound when executed: built once per
    process, as building it costs many times more than running it."""
    scope, _ = services.bound(services.Scope(buyer_id=0))
    return services.history_counts(scope)
