"""Lifecycles that follow their dates: the status a framework is shown with, the state of a
membership on a given day, and the checks a contract's framework, lot and supplier must pass on
its award date.

A framework's status is recorded by people (FRAMEWORK_TRANSITIONS), and people forget: a framework
recorded "live" whose end (its extended end, if any) has passed is shown as expired everywhere,
and listed for an admin as a status that disagrees with its dates. A membership ends with its
framework: on an expired framework it is shown "Ended" with the day it ended, whatever its
recorded status.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from registry.clock import today
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    Lot,
    Membership,
    MembershipStatus,
)
from registry.problems import Problem
from registry.scoring.remedies.models import Exclusion
from registry.suppliers.models import Supplier

# Before these, a framework is not yet live: no call-off can be made from it.
NOT_YET_LIVE = frozenset(
    {
        FrameworkStatus.coming,
        FrameworkStatus.open,
        FrameworkStatus.pending,
        FrameworkStatus.standstill,
    }
)
# A supplier in one of these on a lot at the award date needs an override to be awarded on it.
BARRED_MEMBERSHIP = frozenset({MembershipStatus.in_remediation, MembershipStatus.suspended})


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


class FrameworkDates(Protocol):
    status: FrameworkStatus
    end_date: datetime.date | None
    extended_end_date: datetime.date | None


def effective_end(framework: FrameworkDates) -> datetime.date | None:
    """The framework's last day: its extended end if it has one, else its end."""
    return framework.extended_end_date or framework.end_date


def shown_status(framework: FrameworkDates, on: datetime.date) -> FrameworkStatus:
    """The status shown on `on`: the recorded one, except that a framework whose last day has
    passed is expired whatever was recorded."""
    end = effective_end(framework)
    if end is not None and end < on:
        return FrameworkStatus.expired
    return framework.status


def shown_status_sql(on: datetime.date) -> sa.ColumnElement[Any]:
    """`shown_status` in SQL, on the frameworks table: for lists filtered or sorted by status."""
    end = sa.func.coalesce(Framework.extended_end_date, Framework.end_date)
    return sa.case(
        (sa.and_(end.is_not(None), end < sa.literal(on, sa.Date)), FrameworkStatus.expired.value),
        else_=Framework.status,
    )


@dataclasses.dataclass(frozen=True)
class Disagreement:
    framework: Framework
    shown: FrameworkStatus
    message: str


def disagreement(framework: Framework, on: datetime.date) -> Disagreement | None:
    """How the framework's recorded status disagrees with its dates, if it does."""
    end = effective_end(framework)
    recorded = framework.status.value.capitalize()
    shown = shown_status(framework, on)
    if shown != framework.status:
        assert end is not None
        message = f"recorded as {recorded}, but it ended on {long_date(end)}: shown as Expired"
    elif framework.status == FrameworkStatus.expired and end is not None and end >= on:
        message = f"recorded as Expired, but its end date is {long_date(end)}"
    elif (
        framework.status == FrameworkStatus.live
        and framework.start_date is not None
        and framework.start_date > on
    ):
        message = f"recorded as Live, but it starts on {long_date(framework.start_date)}"
    else:
        return None
    return Disagreement(framework, shown, message)


def disagreements(db: Session, on: datetime.date) -> list[Disagreement]:
    """Every framework (not retracted) whose recorded status disagrees with its dates, for an
    admin to correct through its status page. A handful at most: read whole."""
    end = sa.func.coalesce(Framework.extended_end_date, Framework.end_date)
    day = sa.literal(on, sa.Date)
    candidates = db.execute(
        sa.select(Framework)
        .where(
            Framework.retracted_at.is_(None),
            sa.or_(
                sa.and_(Framework.status != FrameworkStatus.expired, end < day),
                sa.and_(Framework.status == FrameworkStatus.expired, end >= day),
                sa.and_(Framework.status == FrameworkStatus.live, Framework.start_date > day),
            ),
        )
        .order_by(Framework.reference)
    ).scalars()
    found = (disagreement(framework, on) for framework in candidates)
    return [d for d in found if d is not None]


class MembershipDates(Protocol):
    status: MembershipStatus
    end_date: datetime.date | None


@dataclasses.dataclass(frozen=True)
class MembershipState:
    """What a membership is shown as on a day: its recorded status, or "ended"."""

    key: str  # a MembershipStatus value, or "ended"
    ended_on: datetime.date | None = None

    @property
    def label(self) -> str:
        return self.key.capitalize()

    @property
    def text(self) -> str:
        """ "Ended 31 July 2025", "Removed 1 May 2024", "Active"."""
        if self.ended_on is not None and self.key in ("ended", MembershipStatus.removed.value):
            return f"{self.label} {long_date(self.ended_on)}"
        return self.label

    @property
    def current(self) -> bool:
        return self.key not in ("ended", MembershipStatus.removed.value)


ENDED = "ended"


def membership_state(
    membership: MembershipDates, framework: FrameworkDates, on: datetime.date
) -> MembershipState:
    """The state shown on `on` for a membership of a lot of `framework`: removed, ended (with its
    framework, or on its own end date), or its recorded status."""
    if membership.status == MembershipStatus.removed:
        return MembershipState(MembershipStatus.removed.value, membership.end_date)
    ends = [
        day
        for day in (membership.end_date, effective_end(framework))
        if day is not None and day < on
    ]
    if ends:
        return MembershipState(ENDED, min(ends))
    if shown_status(framework, on) == FrameworkStatus.expired:
        return MembershipState(ENDED, None)  # recorded expired, with no end date known
    return MembershipState(membership.status.value)


def status_on(membership: Membership, day: datetime.date) -> MembershipStatus:
    """The membership's recorded status on a day, from its history (the last change recorded on
    or before it; before any, the status it was first recorded with)."""
    changes = [c for c in membership.status_changes if c.changed_at is not None]
    if not changes:
        return membership.status
    status = changes[0].to_status
    for change in changes:
        if change.changed_at.date() <= day:
            status = change.to_status
    return status


# -- Contracts against lifecycles -------------------------------------------------------------

OVERRIDE_HINT = "to record it anyway, give the reason in the lifecycle override"


class ContractLifecycle:
    """The lifecycle checks for contracts on some lots with some suppliers, their frameworks,
    memberships and exclusions read once (a CSV file's rows share them)."""

    def __init__(self, db: Session, lot_ids: Iterable[int], supplier_ids: Iterable[int]) -> None:
        lots = sorted(set(lot_ids))
        suppliers = sorted(set(supplier_ids))
        self.lots: dict[int, Lot] = {}
        self.memberships: dict[tuple[int, int], Membership] = {}
        self.exclusions: dict[int, list[Exclusion]] = {}
        self.names: dict[int, str] = {}
        if not lots and not suppliers:
            return
        for start in range(0, max(len(lots), 1), 500):
            chunk = lots[start : start + 500]
            for lot in db.execute(
                sa.select(Lot).where(Lot.id.in_(chunk)).options(selectinload(Lot.framework))
            ).scalars():
                self.lots[lot.id] = lot
        for start in range(0, max(len(suppliers), 1), 500):
            chunk = suppliers[start : start + 500]
            for supplier_id, name in db.execute(
                sa.select(Supplier.id, Supplier.name).where(Supplier.id.in_(chunk))
            ):
                self.names[supplier_id] = name
            for exclusion in db.execute(
                sa.select(Exclusion).where(
                    Exclusion.supplier_id.in_(chunk), Exclusion.retracted_at.is_(None)
                )
            ).scalars():
                self.exclusions.setdefault(exclusion.supplier_id, []).append(exclusion)
            if lots:
                for membership in db.execute(
                    sa.select(Membership)
                    .where(Membership.supplier_id.in_(chunk), Membership.lot_id.in_(lots))
                    .options(selectinload(Membership.status_changes))
                ).scalars():
                    self.memberships[(membership.supplier_id, membership.lot_id)] = membership

    def problems(
        self, lot_id: int | None, supplier_id: int | None, day: datetime.date
    ) -> list[Problem]:
        """What is wrong with a contract on this lot with this supplier, judged on `day` (its
        award date): (field, message) pairs, the fields named as the contract form names them."""
        found: list[Problem] = []
        lot = self.lots.get(lot_id) if lot_id is not None else None
        if lot is not None:
            found.extend(framework_problems(lot, day))
        if supplier_id is not None:
            name = self.names.get(supplier_id, f"Supplier {supplier_id}")
            membership = self.memberships.get((supplier_id, lot_id)) if lot_id else None
            if membership is not None:
                status = status_on(membership, day)
                if status in BARRED_MEMBERSHIP:
                    assert lot is not None
                    found.append(
                        (
                            "supplier",
                            f"{name} was {status.value} on {lot.framework.reference} lot "
                            f"{lot.number} on the award date, {long_date(day)}",
                        )
                    )
            for exclusion in self.exclusions.get(supplier_id, []):
                if exclusion.start_date <= day <= exclusion.expected_end_date:
                    found.append(
                        (
                            "supplier",
                            f"{name} was excluded from public contracts on the award date, "
                            f"{long_date(day)} (excluded {long_date(exclusion.start_date)} to "
                            f"{long_date(exclusion.expected_end_date)}: {exclusion.ground})",
                        )
                    )
                    break
        return found


def framework_problems(lot: Lot, day: datetime.date) -> list[Problem]:
    """A call-off on this lot on `day`: refused when its framework had ended or was not live."""
    framework = lot.framework
    end = effective_end(framework)
    if lot.is_retracted or framework.is_retracted:
        return [
            ("lot_number", f"{framework.reference} lot {lot.number} is retracted: choose another")
        ]
    if end is not None and end < day:
        return [
            (
                "framework_reference",
                f"Framework {framework.reference} had expired on {long_date(end)}, before the "
                f"award date, {long_date(day)}",
            )
        ]
    if framework.status == FrameworkStatus.expired and end is None:
        return [
            (
                "framework_reference",
                f"Framework {framework.reference} is recorded as expired, with no end date",
            )
        ]
    if framework.start_date is not None and day < framework.start_date:
        return [
            (
                "framework_reference",
                f"Framework {framework.reference} was not yet live on the award date, "
                f"{long_date(day)}: it starts on {long_date(framework.start_date)}",
            )
        ]
    if framework.status in NOT_YET_LIVE and framework.start_date is None:
        return [
            (
                "framework_reference",
                f"Framework {framework.reference} is not yet live: it is {framework.status.value}",
            )
        ]
    return []


def judged_on(award_date: datetime.date | None, start_date: datetime.date | None) -> datetime.date:
    """The day a contract is judged on: its award date, else its start, else the day recorded."""
    return award_date or start_date or today()


def with_override_hint(problems: Sequence[Problem]) -> list[Problem]:
    """The problems, each saying how to record the contract anyway."""
    return [(field, f"{message}; {OVERRIDE_HINT}") for field, message in problems]


MAX_OVERRIDE = 2000


def settle_override(
    warnings: Sequence[Problem], override: str | None
) -> tuple[list[Problem], str | None]:
    """The problems left once an officer's override reason is weighed, and the reason to store:
    a reason records the contract despite its warnings; without warnings none is kept."""
    reason = (override or "").strip() or None
    if not warnings:
        return [], None
    if reason is None:
        return with_override_hint(warnings), None
    if len(reason) > MAX_OVERRIDE:
        return [
            (
                "lifecycle_override",
                f"Lifecycle override reason must be {MAX_OVERRIDE} characters or fewer",
            )
        ], None
    return [], reason


def contract_problems(
    db: Session,
    lot_id: int | None,
    supplier_id: int | None,
    day: datetime.date,
    override: str | None,
) -> tuple[list[Problem], str | None]:
    """One contract's lifecycle problems and the override reason to store (`settle_override`)."""
    if lot_id is None and supplier_id is None:
        return [], None
    check = ContractLifecycle(db, [lot_id] if lot_id else [], [supplier_id] if supplier_id else [])
    return settle_override(check.problems(lot_id, supplier_id, day), override)


def membership_state_sql(on: datetime.date) -> sa.ColumnElement[Any]:
    """`membership_state(...).key` in SQL, on the memberships table (the open data export)."""
    framework_expired = sa.exists().where(
        Lot.id == Membership.lot_id,
        Framework.id == Lot.framework_id,
        shown_status_sql(on) == FrameworkStatus.expired.value,
    )
    return sa.case(
        (Membership.status == MembershipStatus.removed, MembershipStatus.removed.value),
        (Membership.end_date < sa.literal(on, sa.Date), ENDED),
        (framework_expired, ENDED),
        else_=Membership.status,
    )
