"""The open data tables of the assessment clocks and of each buyer's assessment record (on-time
rate and rating distribution), as SQL selects for registry.opendata.export: one query each."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.clock import today
from registry.scoring.assessments import evidence
from registry.scoring.assessments.models import Assessment, Rating
from registry.scoring.clocks import days, rules
from registry.scoring.clocks import services as clocks

CLOCK_COLUMNS = [
    ("contract_id", "contracts.id"),
    ("contract_reference", "the contract's reference"),
    ("buyer_id", "buyers.id"),
    ("supplier_id", "suppliers.id"),
    ("kpi", "the KPI: an obligation's title, or the name it was assessed under"),
    ("obligation_id", "obligations.id when the KPI is a framework obligation's"),
    ("last_assessment_id", "assessments.id of the latest published assessment of the KPI"),
    ("last_period_end", "the end of the last period assessed"),
    ("start_date", "the contract's start date"),
    ("end_date", "the contract's end: its end date, or an earlier termination notice's date"),
    ("due_date", "when the next assessment is due; empty when it cannot be computed or none is"),
    (
        "due_reason",
        "periodic (12 months), termination or breach: the rule that set the date; "
        "ended_before_act when the state is not_applicable",
    ),
    (
        "state",
        "overdue (shown as Not assessed), due_soon, scheduled, complete, cannot_compute, or "
        "not_applicable (the contract ended before the Procurement Act 2023 came into force)",
    ),
    ("as_of", "the day the clocks were computed for"),
    ("method_version", "the version of the clock rules (/assessment-clocks)"),
]

RECORD_COLUMNS = [
    ("buyer_id", "buyers.id"),
    ("buyer_name", "the buyer's name"),
    ("as_of", "the day the record was computed for"),
    ("method_version", "the version of the clock rules (/assessment-clocks)"),
    ("assessments_submitted", "published assessments with a computable due date"),
    ("assessments_on_time", "of those, submitted by their due date"),
    ("kpis_overdue", "KPIs past their due date with nothing assessed (Not assessed)"),
    ("assessments_due", "assessments_submitted + kpis_overdue"),
    ("on_time_rate", "assessments_on_time / assessments_due (0 to 1); empty when none fell due"),
    ("kpis_due_soon", "KPIs due in the next 30 days"),
    ("kpis_cannot_compute", "KPIs of contracts with no start date and no assessment"),
    (
        "kpis_not_applicable",
        "KPIs of contracts that ended before the Procurement Act 2023 came into force: counted "
        "apart, never due or overdue",
    ),
    ("ratings_total", "the buyer's published ratings"),
    *[(f"ratings_{r.name}", f"of those, rated {r.value}") for r in Rating],
]


def clocks_export() -> sa.Select[Any]:
    as_of = today()
    c = clocks.clocks_select(clocks.Scope(), as_of).subquery("clocks")
    return sa.select(
        c.c.contract_id,
        c.c.contract_reference,
        c.c.buyer_id,
        c.c.supplier_id,
        c.c.kpi,
        c.c.obligation_id,
        c.c.last_assessment_id,
        days.day_date(c.c.last_period_end_day),
        days.day_date(c.c.start_day),
        days.day_date(c.c.end_day),
        days.day_date(c.c.due_day),
        c.c.due_reason,
        c.c.state,
        sa.literal(as_of.isoformat()),
        sa.literal(rules.CLOCK_METHOD_VERSION),
    ).order_by(c.c.contract_id, c.c.kpi_ref)


def records_export() -> sa.Select[Any]:
    as_of = today()
    scope = clocks.Scope()
    states = clocks.state_counts(scope, as_of).subquery("states")
    by_state = (
        sa.select(
            states.c.buyer_id,
            *(
                sa.func.sum(sa.case((states.c.state == state, states.c.clocks), else_=0)).label(
                    state
                )
                for state in (
                    rules.OVERDUE,
                    rules.DUE_SOON,
                    rules.CANNOT_COMPUTE,
                    rules.NOT_APPLICABLE,
                )
            ),
        )
        .group_by(states.c.buyer_id)
        .subquery("by_state")
    )
    history = clocks.history_counts(scope).subquery("history")
    columns = evidence.rating_columns()
    ratings = (
        sa.select(
            Assessment.buyer_id,
            *(expression.label(name) for name, expression in columns.items()),
        )
        .where(*evidence.published_ratings(), Assessment.buyer_id.is_not(None))
        .group_by(Assessment.buyer_id)
        .subquery("ratings")
    )
    submitted = sa.func.coalesce(history.c.submitted, 0)
    on_time = sa.func.coalesce(history.c.on_time, 0)
    overdue = sa.func.coalesce(by_state.c[rules.OVERDUE], 0)
    due = submitted + overdue
    rating_counts = [sa.func.coalesce(ratings.c[name], 0) for name in columns]
    return (
        sa.select(
            Buyer.id,
            Buyer.name,
            sa.literal(as_of.isoformat()),
            sa.literal(rules.CLOCK_METHOD_VERSION),
            submitted,
            on_time,
            overdue,
            due,
            sa.case((due > 0, sa.cast(on_time, sa.Float) / due), else_=sa.null()),
            sa.func.coalesce(by_state.c[rules.DUE_SOON], 0),
            sa.func.coalesce(by_state.c[rules.CANNOT_COMPUTE], 0),
            sa.func.coalesce(by_state.c[rules.NOT_APPLICABLE], 0),
            sum(rating_counts[1:], rating_counts[0]),
            *rating_counts,
        )
        .outerjoin(by_state, by_state.c.buyer_id == Buyer.id)
        .outerjoin(history, history.c.buyer_id == Buyer.id)
        .outerjoin(ratings, ratings.c.buyer_id == Buyer.id)
        .where(
            sa.or_(
                by_state.c.buyer_id.is_not(None),
                history.c.buyer_id.is_not(None),
                ratings.c.buyer_id.is_not(None),
            )
        )
        .order_by(Buyer.id)
    )
