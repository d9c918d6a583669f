"""Closed framework: a framework lot with too few active suppliers, or closed to new suppliers
for too long, so buyers on it choose between two or three incumbents. Only lots whose membership
list is recorded as complete are judged; the others are "not applicable: membership list
incomplete".

Source: GP Systems of Choice, whose list of four suppliers stayed closed from 2007 until the
framework ended in 2019; by August 2016 EMIS and TPP held 90% of English GP practices (NHS
Digital). Reviewers of NHS IT warned against repeating such an "overly restrictive" framework;
the Procurement Act 2023 (s.47) limits frameworks to four years.
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

from registry.clock import today
from registry.flags.detectors.base import (
    CoverageSource,
    Detector,
    Finding,
    RunContext,
    Threshold,
    coverage_select,
)
from registry.flags.models import Severity, SubjectType
from registry.frameworks.models import Framework, FrameworkStatus, Lot, Membership, MembershipStatus
from registry.sql import days_between
from registry.suppliers.models import Supplier

# A framework still taking applications is open to new suppliers by definition.
OPEN_STATUSES = (FrameworkStatus.coming, FrameworkStatus.open)


# Why a lot whose recorded members may not be all of them is not judged.
INCOMPLETE = "membership list incomplete"


def lots_query(as_of: datetime.date, *, with_open: bool = False) -> sa.Select[Any]:
    """The universe: every lot of a framework past its application stage (with `with_open`, of
    open frameworks too, for the coverage), each judged on the day of the check or on its
    framework's last day if that came first, with its active suppliers and the day the last new
    supplier joined."""
    end = sa.func.coalesce(Framework.extended_end_date, Framework.end_date)
    day = sa.literal(as_of, sa.Date)
    judged_on = sa.case((sa.and_(end.is_not(None), end < day), end), else_=day)
    active = sa.and_(
        Membership.status == MembershipStatus.active,
        sa.or_(Membership.start_date.is_(None), Membership.start_date <= judged_on),
        sa.or_(Membership.end_date.is_(None), Membership.end_date >= judged_on),
    )
    closed_since = sa.func.coalesce(sa.func.max(Membership.start_date), Framework.start_date)
    query = (
        sa.select(
            Lot.id,
            Lot.number,
            Lot.title,
            Lot.membership_complete,
            Framework.id.label("framework_id"),
            Framework.reference,
            Framework.status,
            judged_on.label("judged_on"),
            closed_since.label("closed_since"),
            days_between(judged_on, closed_since).label("closed_days"),
            sa.func.count(Membership.id).label("memberships"),
            sa.func.count(sa.case((active, Membership.id))).label("active_suppliers"),
            sa.func.count(sa.distinct(sa.case((active, Supplier.group_id)))).label("active_groups"),
        )
        .select_from(Lot)
        .join(Framework, Framework.id == Lot.framework_id)
        .outerjoin(Membership, Membership.lot_id == Lot.id)
        .outerjoin(Supplier, Supplier.id == Membership.supplier_id)
        .where(Lot.retracted_at.is_(None), Framework.retracted_at.is_(None))
        .group_by(
            Lot.id,
            Lot.number,
            Lot.title,
            Lot.membership_complete,
            Framework.id,
            Framework.reference,
            Framework.status,
            Framework.start_date,
            Framework.end_date,
            Framework.extended_end_date,
        )
    )
    return query if with_open else query.where(Framework.status.not_in(OPEN_STATUSES))


def find(ctx: RunContext) -> list[Finding]:
    max_suppliers = int(ctx.thresholds["max_active_suppliers"])
    max_days = round(int(ctx.thresholds["max_closed_years"]) * 365.25)
    universe = lots_query(today()).subquery()
    # A lot with no membership recorded at all is not judged on its count: nothing is known.
    few = sa.and_(universe.c.memberships > 0, universe.c.active_groups <= max_suppliers)
    long_closed = universe.c.closed_days > max_days
    # Only a lot whose recorded members are its whole list can be judged: a partial list says
    # nothing about how many suppliers it has or when the last one joined.
    rows = ctx.db.execute(
        sa.select(universe, few.label("few"), long_closed.label("long_closed")).where(
            universe.c.membership_complete.is_(True), sa.or_(few, long_closed)
        )
    )
    findings = []
    for row in rows:
        reasons = []
        if row.few:
            reasons.append("few active suppliers")
        if row.long_closed:
            reasons.append("closed to new suppliers too long")
        closed_days = int(row.closed_days) if row.closed_days is not None else None
        findings.append(
            Finding(
                subject_type=SubjectType.lot,
                subject_key=f"{row.reference}/lot-{row.number}",
                subject_label=f"{row.reference} lot {row.number}: {row.title}",
                severity=Severity.high if len(reasons) == 2 else Severity.medium,
                metrics={
                    "reasons": reasons,
                    "active_suppliers": int(row.active_suppliers),
                    "active_groups": int(row.active_groups),
                    "memberships": int(row.memberships),
                    "closed_since": str(row.closed_since) if row.closed_since else None,
                    "judged_on": str(row.judged_on),
                    "closed_days": closed_days,
                    "closed_years": round(closed_days / 365.25, 2) if closed_days else None,
                    "framework_status": str(row.status),
                    "market": f"lot-{row.id}",
                },
                market_key=f"lot-{row.id}",
                framework_id=row.framework_id,
            )
        )
    return findings


def coverage(ctx: RunContext) -> CoverageSource:
    # Every lot, open frameworks' too: those cannot be closed to new suppliers yet. A lot with no
    # membership is not judged on its count (find), only on how long it has been closed.
    lots = lots_query(today(), with_open=True).subquery()
    no_members = lots.c.memberships == 0
    columns = coverage_select(
        SubjectType.lot,
        lots.c.reference + "/lot-" + lots.c.number,
        lots.c.reference + " lot " + lots.c.number + ": " + lots.c.title,
        not_applicable=[
            (lots.c.status.in_(OPEN_STATUSES), "framework still open to applications"),
            (lots.c.membership_complete.is_(False), INCOMPLETE),
            (
                sa.and_(no_members, lots.c.closed_days.is_(None)),
                "no memberships recorded for this lot, and no start date for its framework",
            ),
        ],
        checked_note=[
            (
                no_members,
                "no memberships recorded for this lot: only the time closed to new suppliers "
                "was checked",
            ),
            (
                lots.c.closed_days.is_(None),
                "no joining or start dates: only the number of active suppliers was checked",
            ),
        ],
    )
    return [sa.select(*columns).select_from(lots)]


DETECTOR = Detector(
    id="closed_framework",
    title="Closed framework lot",
    rule=(
        "A lot of a framework past its application stage, whose membership list is recorded as "
        "complete, has {max_active_suppliers} or fewer "
        "active supplier groups, or has admitted no new supplier for more than "
        "{max_closed_years} years (over {max_closed_years} times 365.25 days from the last "
        "supplier's joining, or the framework's start, to today or the framework's end). "
        "The GP Systems of Choice lesson: a closed list of four became a duopoly."
    ),
    source=(
        "GP Systems of Choice: four suppliers, closed from 2007 to 2019; by August 2016 EMIS and "
        'TPP held 90% of GP practices. Reviewers of NHS IT warned against such an "overly '
        'restrictive" framework; Procurement Act 2023 s.47 limits frameworks to four years.'
    ),
    source_url="https://digital.nhs.uk/services/gp-systems-of-choice",
    thresholds=(
        Threshold("max_active_suppliers", 2, 0, 1000, "lots with this many active groups or fewer"),
        Threshold("max_closed_years", 4, 1, 50, "the longest a lot may stay closed, in years"),
    ),
    subjects="framework lots",
    find=find,
    coverage=coverage,
    version="2",  # only lots with a complete membership list are judged
)
