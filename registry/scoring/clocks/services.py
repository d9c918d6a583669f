"""Assessment clocks: when each KPI of each contract must next be assessed, set-based in SQL.

A contract's KPIs are the obligations with a KPI target that apply to it (its lot's framework,
for every supplier or for its own), and any KPI already assessed on it. For each contract and KPI
the clock runs from an anchor (the end of the last period assessed, or the contract's start):
the next assessment is due at the earliest of anchor + 12 months + 30 days, the contract's end
+ 30 days,
and a later breach + 30 days (the rules and their numbers are in `clocks.rules`). The same due-date
expression, run from each assessment's previous anchor, says whether it was submitted on time,
which gives each buyer's on-time rate. Only the Procurement Act 2023's time counts: a contract
that ended before it came into force is not applicable, and no clock runs from before that day
(`rules.ACT_IN_FORCE`). Dates are day numbers (date.toordinal) inside the SQL,
so the arithmetic is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.db import Unindexed
from registry.frameworks.models import Lot, Obligation
from registry.records import Publication
from registry.scoring.assessments.models import Assessment, AssessmentStatus
from registry.scoring.clocks import rules
from registry.scoring.clocks.days import as_date, day_number, least
from registry.scoring.remedies.models import Breach, BreachKind
from registry.suppliers.models import Supplier


def _from_act(day: Any) -> Any:
    """A clock's anchor, never before the Act came into force (null stays null)."""
    return sa.case(
        (day.is_(None), sa.null()),
        (day < rules.ACT_IN_FORCE_DAY, rules.ACT_IN_FORCE_DAY),
        else_=day,
    )


def _before_act(end_day: Any) -> Any:
    """Whether the contract ended before the Act came into force: its clocks do not apply."""
    return sa.and_(end_day.is_not(None), end_day < rules.ACT_IN_FORCE_DAY)


# -- what is in scope -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which contracts, and which records count. Public pages, the API and the CSV use published
    contracts, assessments and breaches only; the auditors' queue uses every submitted one."""

    published_only: bool = True
    # A record's id, or a bound parameter standing for one (see `bound`).
    contract_id: int | sa.BindParameter[int] | None = None
    buyer_id: int | sa.BindParameter[int] | None = None
    supplier_id: int | sa.BindParameter[int] | None = None


SCOPE_IDS = ("contract_id", "buyer_id", "supplier_id")


def bound(scope: Scope) -> tuple[Scope, dict[str, int]]:
    """The scope with its ids as bound parameters, and their values: a statement built from the
    first serves every record of that shape when executed with the second. Building the clock
    statement takes many times longer than running it for one supplier, so pages build it once
    (`summaries.state_summary`)."""
    params: dict[str, Any] = {}
    values: dict[str, int] = {}
    for name in SCOPE_IDS:
        value = getattr(scope, name)
        if value is not None:
            params[name] = sa.bindparam(f"scope_{name}", type_=sa.Integer)
            values[f"scope_{name}"] = int(value)
    return dataclasses.replace(scope, **params), values


def shape(scope: Scope) -> tuple[bool, tuple[str, ...]]:
    """What a statement built from `bound(scope)` depends on: which ids are set, not their values."""
    return scope.published_only, tuple(n for n in SCOPE_IDS if getattr(scope, n) is not None)


def kpi_ref(obligation_id: Any, kpi_key: Any) -> Any:
    """What 'the same KPI of a contract' means: its obligation, or else its normalised name."""
    return sa.case(
        (
            obligation_id.is_not(None),
            sa.literal("obligation:") + sa.cast(obligation_id, sa.String),
        ),
        else_=kpi_key,
    )


def _breaches(scope: Scope, kind: BreachKind) -> list[Any]:
    where = [Breach.kind == kind, Breach.retracted_at.is_(None), Breach.contract_id.is_not(None)]
    if scope.published_only:
        where.append(Breach.publication == Publication.published)
    return where


# The queries join the real tables (on their keys and indexes) rather than one computed set to
# another: PostgreSQL cannot estimate computed sets, and a nested loop over two of them is
# quadratic. The KPIs of a contract come from one UNION ALL and GROUP BY, never a join.


def _contract_filter(scope: Scope) -> list[Any]:
    where: list[Any] = [Contract.retracted_at.is_(None)]
    if scope.published_only:
        # Nearly every contract is published: found by supplier, buyer or id, not this index.
        where.append(Unindexed(Contract.publication) == Publication.published)
    for column, value in (
        (Contract.id, scope.contract_id),
        (Contract.buyer_id, scope.buyer_id),
        (Contract.supplier_id, scope.supplier_id),
    ):
        if value is not None:
            where.append(column == value)
    return where


def _of_scoped_contracts(scope: Scope, contract_id: Any) -> list[Any]:
    """For one contract, buyer or supplier: the condition that a row's contract is in scope, so
    the query starts from that scope's contracts (by their index) rather than every record."""
    if scope.contract_id is None and scope.buyer_id is None and scope.supplier_id is None:
        return []
    return [contract_id.in_(sa.select(Contract.id).where(*_contract_filter(scope)))]


def _terminations(scope: Scope, prefix: str) -> Any:
    """Per contract, the day of its first termination notice."""
    return (
        sa.select(Breach.contract_id, sa.func.min(day_number(Breach.occurred_on)).label("day"))
        .where(
            *_breaches(scope, BreachKind.termination),
            *_of_scoped_contracts(scope, Breach.contract_id),
        )
        .group_by(Breach.contract_id)
        .subquery(f"{prefix}terminations")
    )


def _end_day(termination: Any) -> Any:
    """The contract's end: its end date, or an earlier termination notice's date."""
    return least(day_number(Contract.end_date), termination.c.day)


def _assessed(scope: Scope, prefix: str) -> Any:
    """The assessments that stop a clock: submitted, or published for public figures; not
    retracted; with each one's previous period end for the same KPI."""
    ref = kpi_ref(Assessment.obligation_id, Assessment.kpi_key)
    where: list[Any] = [
        Assessment.retracted_at.is_(None),
        *_of_scoped_contracts(scope, Assessment.contract_id),
    ]
    if scope.published_only:
        where.append(Assessment.status == AssessmentStatus.published)
    else:
        where.append(Assessment.status != AssessmentStatus.draft)
    partition = (Assessment.contract_id, ref)
    return (
        sa.select(
            Assessment.contract_id,
            ref.label("kpi_ref"),
            Assessment.id.label("assessment_id"),
            Assessment.kpi,
            Assessment.rating,
            Assessment.period_end_day,
            # Submitted for review; records published without that step count from publication.
            day_number(
                sa.func.coalesce(
                    Assessment.submitted_at, Assessment.published_at, Assessment.created
                )
            ).label("submitted_day"),
            sa.func.row_number()
            .over(
                partition_by=partition,
                order_by=(Assessment.period_end_day.desc(), Assessment.id.desc()),
            )
            .label("recency"),
            sa.func.lag(Assessment.period_end_day)
            .over(partition_by=partition, order_by=(Assessment.period_end_day, Assessment.id))
            .label("previous_day"),
        )
        .join(Contract, Contract.id == Assessment.contract_id)
        .where(*where, *_contract_filter(scope))
        .subquery(f"{prefix}assessed")
    )


def _kpis(scope: Scope, assessed: Any) -> Any:
    """One row per contract and KPI: the obligation it comes from, its name, and its latest
    assessment (the obligations with a target that apply, and the KPIs assessed)."""
    from_obligations = (
        sa.select(
            Contract.id.label("contract_id"),
            kpi_ref(Obligation.id, sa.null()).label("kpi_ref"),
            Obligation.id.label("obligation_id"),
            Obligation.title.label("obligation_kpi"),
            sa.null().label("kpi"),
            sa.null().label("assessment_id"),
            sa.null().label("rating"),
            sa.null().label("period_end_day"),
        )
        .join(Lot, Lot.id == Contract.lot_id)
        .join(
            Obligation,
            sa.and_(
                Obligation.framework_id == Lot.framework_id,
                sa.or_(Obligation.lot_id.is_(None), Obligation.lot_id == Contract.lot_id),
                sa.or_(
                    Obligation.supplier_id.is_(None),
                    Obligation.supplier_id == Contract.supplier_id,
                ),
            ),
        )
        .where(
            Obligation.kpi_target.is_not(None),
            Obligation.retracted_at.is_(None),
            *_contract_filter(scope),
        )
    )
    from_assessments = sa.select(
        assessed.c.contract_id,
        assessed.c.kpi_ref,
        sa.null(),
        sa.null(),
        assessed.c.kpi,
        assessed.c.assessment_id,
        assessed.c.rating,
        assessed.c.period_end_day,
    ).where(assessed.c.recency == 1)
    rows = sa.union_all(from_obligations, from_assessments).subquery("clock_kpi_rows")
    return (
        sa.select(
            rows.c.contract_id,
            rows.c.kpi_ref,
            sa.func.max(rows.c.obligation_id).label("obligation_id"),
            sa.func.coalesce(sa.func.max(rows.c.obligation_kpi), sa.func.max(rows.c.kpi)).label(
                "kpi"
            ),
            sa.func.max(rows.c.assessment_id).label("last_assessment_id"),
            sa.func.max(rows.c.rating).label("last_rating"),
            sa.func.max(rows.c.period_end_day).label("last_period_end_day"),
        )
        .group_by(rows.c.contract_id, rows.c.kpi_ref)
        .subquery("clock_kpis")
    )


def _breach_after(scope: Scope, contract_id: Any, anchor: Any) -> Any:
    """The day of the first breach on the contract after the anchor (null when none)."""
    return (
        sa.select(sa.func.min(day_number(Breach.occurred_on)))
        .where(
            *_breaches(scope, BreachKind.breach),
            Breach.contract_id == contract_id,
            day_number(Breach.occurred_on) > anchor,
        )
        .scalar_subquery()
    )


# The due day is computed in layers (anchor and breach day; then the due day; then which rule
# set it, and the state), so each expression refers to columns rather than repeating the one
# beneath it: nested CASEs would otherwise repeat the breach subquery many times a row.


def _due_day(t: Any) -> Any:
    """From columns anchor, end_day and breach_day: the earliest rule's due day."""
    periodic = t.c.anchor + (rules.PERIOD_DAYS + rules.RECORDING_DAYS)
    ending = t.c.end_day + rules.TERMINATION_DAYS
    breached = t.c.breach_day + rules.BREACH_DAYS
    return sa.case(
        (_before_act(t.c.end_day), sa.null()),
        (t.c.anchor.is_(None), sa.null()),
        else_=least(periodic, ending, breached),
    )


def _due_reason(t: Any) -> Any:
    """Which rule set the due day (breach first, then termination, then the 12 months)."""
    return sa.case(
        (_before_act(t.c.end_day), rules.ENDED_BEFORE_ACT),
        (t.c.due_day.is_(None), sa.null()),
        (t.c.due_day == t.c.breach_day + rules.BREACH_DAYS, "breach"),
        (t.c.due_day == t.c.end_day + rules.TERMINATION_DAYS, "termination"),
        else_="periodic",
    )


def clocks_select(scope: Scope, as_of: datetime.date) -> sa.Select[Any]:
    """One row per contract and KPI: the last assessment, the due day and the clock's state."""
    assessed = _assessed(scope, "clock_")
    kpis = _kpis(scope, assessed)
    termination = _terminations(scope, "clock_")
    anchor = _from_act(
        sa.func.coalesce(kpis.c.last_period_end_day, day_number(Contract.start_date))
    )
    base = (
        sa.select(
            kpis.c.contract_id,
            kpis.c.kpi_ref,
            Contract.buyer_id,
            Contract.supplier_id,
            kpis.c.kpi,
            kpis.c.obligation_id,
            kpis.c.last_assessment_id,
            kpis.c.last_rating,
            kpis.c.last_period_end_day,
            day_number(Contract.start_date).label("start_day"),
            _end_day(termination).label("end_day"),
            anchor.label("anchor"),
            _breach_after(scope, kpis.c.contract_id, anchor).label("breach_day"),
        )
        .select_from(kpis)
        .join(Contract, Contract.id == kpis.c.contract_id)
        .outerjoin(termination, termination.c.contract_id == Contract.id)
        .cte("clock_base")
        .prefix_with("MATERIALIZED")  # computed once, not inlined into the due-day CASEs
    )
    dated = sa.select(base, _due_day(base).label("due_day")).subquery("clock_dated")
    today = as_of.toordinal()
    # The final period has been assessed: nothing more is due.
    complete = sa.and_(dated.c.end_day.is_not(None), dated.c.last_period_end_day >= dated.c.end_day)
    state = sa.case(
        (_before_act(dated.c.end_day), rules.NOT_APPLICABLE),
        (dated.c.anchor.is_(None), rules.CANNOT_COMPUTE),
        (complete, rules.COMPLETE),
        (dated.c.due_day < today, rules.OVERDUE),
        (dated.c.due_day <= today + rules.DUE_SOON_DAYS, rules.DUE_SOON),
        else_=rules.SCHEDULED,
    )
    return (
        sa.select(
            dated.c.contract_id,
            Contract.reference.label("contract_reference"),
            Contract.title.label("contract_title"),
            dated.c.buyer_id,
            Buyer.name.label("buyer_name"),
            dated.c.supplier_id,
            Supplier.name.label("supplier_name"),
            dated.c.kpi_ref,
            dated.c.kpi,
            dated.c.obligation_id,
            dated.c.last_assessment_id,
            dated.c.last_rating,
            dated.c.last_period_end_day,
            dated.c.start_day,
            dated.c.end_day,
            sa.case((complete, sa.null()), else_=dated.c.due_day).label("due_day"),
            sa.case(
                (sa.and_(complete, ~_before_act(dated.c.end_day)), sa.null()),
                else_=_due_reason(dated),
            ).label("due_reason"),
            state.label("state"),
        )
        .join(Contract, Contract.id == dated.c.contract_id)
        .join(Buyer, Buyer.id == dated.c.buyer_id)
        .join(Supplier, Supplier.id == dated.c.supplier_id)
        .order_by(
            sa.case((dated.c.due_day.is_(None), 1), else_=0),
            dated.c.due_day,
            dated.c.contract_id,
            dated.c.kpi_ref,
        )
    )


def history_select(scope: Scope) -> sa.Select[Any]:
    """One row per assessment that stopped a clock: the day it was due and whether it was
    submitted by then (null when the contract's start is unknown and it was the first)."""
    # Its own names, so one query can hold both this and clocks_select (the open data table).
    assessed = _assessed(scope, "history_")
    termination = _terminations(scope, "history_")
    anchor = _from_act(sa.func.coalesce(assessed.c.previous_day, day_number(Contract.start_date)))
    base = (
        sa.select(
            assessed.c.assessment_id,
            assessed.c.contract_id,
            Contract.buyer_id,
            assessed.c.kpi_ref,
            assessed.c.submitted_day,
            _end_day(termination).label("end_day"),
            anchor.label("anchor"),
            _breach_after(scope, assessed.c.contract_id, anchor).label("breach_day"),
        )
        .select_from(assessed)
        .join(Contract, Contract.id == assessed.c.contract_id)
        .outerjoin(termination, termination.c.contract_id == Contract.id)
        .cte("history_base")
        .prefix_with("MATERIALIZED")
    )
    # One submitted before the Act came into force was not due under it: it has no due day, so
    # the on-time record holds only what the Act required.
    due_day = sa.case(
        (base.c.submitted_day < rules.ACT_IN_FORCE_DAY, sa.null()), else_=_due_day(base)
    )
    dated = sa.select(base, due_day.label("due_day")).subquery("history_dated")
    on_time = sa.case(
        (dated.c.due_day.is_(None), sa.null()),
        (dated.c.submitted_day <= dated.c.due_day, 1),
        else_=0,
    )
    return sa.select(
        dated.c.assessment_id,
        dated.c.contract_id,
        dated.c.buyer_id,
        dated.c.kpi_ref,
        dated.c.submitted_day,
        dated.c.due_day,
        _due_reason(dated).label("due_reason"),
        on_time.label("on_time"),
    )


# -- results ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Clock:
    contract_id: int
    contract_reference: str | None
    contract_title: str
    buyer_id: int
    buyer_name: str
    supplier_id: int
    supplier_name: str
    kpi: str
    obligation_id: int | None
    last_assessment_id: int | None
    last_rating: Any
    last_period_end: datetime.date | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    due: datetime.date | None
    due_reason: str | None
    state: str

    @property
    def label(self) -> str:
        return rules.STATE_LABELS[self.state]

    @property
    def reason_label(self) -> str:
        return rules.REASON_LABELS.get(self.due_reason or "", "")

    def days_overdue(self, as_of: datetime.date) -> int:
        return (as_of - self.due).days if self.due and self.due < as_of else 0


def to_clocks(rows: Any) -> list[Clock]:
    """Result rows of `clocks_select` as Clocks (day numbers back to dates)."""
    return [
        Clock(
            contract_id=row.contract_id,
            contract_reference=row.contract_reference,
            contract_title=row.contract_title,
            buyer_id=row.buyer_id,
            buyer_name=row.buyer_name,
            supplier_id=row.supplier_id,
            supplier_name=row.supplier_name,
            kpi=row.kpi or "",
            obligation_id=row.obligation_id,
            last_assessment_id=row.last_assessment_id,
            last_rating=row.last_rating,
            last_period_end=as_date(row.last_period_end_day),
            start_date=as_date(row.start_day),
            end_date=as_date(row.end_day),
            due=as_date(row.due_day),
            due_reason=row.due_reason,
            state=row.state,
        )
        for row in rows
    ]


def clocks(db: Session, scope: Scope, as_of: datetime.date) -> list[Clock]:
    """The clocks in scope, soonest due first (undatable ones last)."""
    return to_clocks(db.execute(clocks_select(scope, as_of)))


@dataclasses.dataclass(frozen=True)
class OnTime:
    """A buyer's record: assessments submitted by their due day out of all that fell due."""

    submitted: int  # assessments with a computable due day
    on_time: int
    overdue: int  # clocks past due with nothing submitted
    due_soon: int
    cannot_compute: int
    not_applicable: int = 0  # KPIs of contracts that ended before the Act: counted apart

    @property
    def due(self) -> int:
        return self.submitted + self.overdue

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None


def state_counts(scope: Scope, as_of: datetime.date) -> sa.Select[Any]:
    """Clocks per buyer and state."""
    clock = clocks_select(scope, as_of).order_by(None).subquery("clocks")
    return sa.select(clock.c.buyer_id, clock.c.state, sa.func.count().label("clocks")).group_by(
        clock.c.buyer_id, clock.c.state
    )


def history_counts(scope: Scope) -> sa.Select[Any]:
    """Per buyer: assessments with a due day, and those submitted by it."""
    history = history_select(scope).subquery("history")
    return sa.select(
        history.c.buyer_id,
        sa.func.count(history.c.due_day).label("submitted"),
        sa.func.coalesce(sa.func.sum(history.c.on_time), 0).label("on_time"),
    ).group_by(history.c.buyer_id)


def on_time(db: Session, scope: Scope, as_of: datetime.date) -> OnTime:
    """The on-time record of the contracts in scope (e.g. one buyer's)."""
    return on_time_of(db.execute(state_counts(scope, as_of)), db.execute(history_counts(scope)))


def on_time_of(state_rows: Any, history_rows: Any) -> OnTime:
    """The on-time record from the rows of `state_counts` and `history_counts`."""
    states: dict[str, int] = {}
    for _, state, count in state_rows:
        states[state] = states.get(state, 0) + count
    submitted = done = 0
    for _, with_due, in_time in history_rows:
        submitted += with_due
        done += int(in_time or 0)
    return OnTime(
        submitted=submitted,
        on_time=done,
        overdue=states.get(rules.OVERDUE, 0),
        due_soon=states.get(rules.DUE_SOON, 0),
        cannot_compute=states.get(rules.CANNOT_COMPUTE, 0),
        not_applicable=states.get(rules.NOT_APPLICABLE, 0),
    )
