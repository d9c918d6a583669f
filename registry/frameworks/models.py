"""Frameworks, their lots, the suppliers on each lot (memberships) and what they promised (obligations)."""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, datetime_now, int_pk
from registry.records import RecordMixin, RetractableMixin

if TYPE_CHECKING:
    from registry.suppliers.models import Supplier


class FrameworkStatus(enum.StrEnum):
    """The UK Digital Marketplace lifecycle."""

    coming = "coming"
    open = "open"
    pending = "pending"
    standstill = "standstill"
    live = "live"
    expired = "expired"


# Each status may move only to the next one.
FRAMEWORK_TRANSITIONS: dict[FrameworkStatus, frozenset[FrameworkStatus]] = {
    FrameworkStatus.coming: frozenset({FrameworkStatus.open}),
    FrameworkStatus.open: frozenset({FrameworkStatus.pending}),
    FrameworkStatus.pending: frozenset({FrameworkStatus.standstill}),
    FrameworkStatus.standstill: frozenset({FrameworkStatus.live}),
    FrameworkStatus.live: frozenset({FrameworkStatus.expired}),
    FrameworkStatus.expired: frozenset(),
}


class Framework(RecordMixin, RetractableMixin, ModelBase):
    __tablename__ = "frameworks"

    id: Mapped[int_pk]
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True, comment="e.g. RM6116")
    title: Mapped[str] = mapped_column(sa.String(300))
    owner_body: Mapped[str] = mapped_column(sa.String(200), comment="the body that runs it")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[FrameworkStatus]
    start_date: Mapped[datetime.date | None]
    end_date: Mapped[datetime.date | None]
    extended_end_date: Mapped[datetime.date | None] = mapped_column(
        comment="end after extensions or continuity arrangements"
    )
    max_term_months: Mapped[int | None] = mapped_column(comment="maximum term, extensions included")
    cpv_codes: Mapped[list[str]] = mapped_column(default=list)
    source_url: Mapped[str | None] = mapped_column(sa.String(500))
    # A ceiling is what may be bought through the framework, never what was spent: spend is the
    # sum of call-off contract values (issue 11, "Framework money").
    ceiling_amount: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(18, 2), comment="estimated or maximum value of all call-offs; not spend"
    )
    ceiling_currency: Mapped[str | None] = mapped_column(sa.String(3), comment="ISO 4217")

    lots: Mapped[list[Lot]] = relationship(back_populates="framework", order_by="Lot.number")
    status_changes: Mapped[list[FrameworkStatusChange]] = relationship(
        back_populates="framework", order_by="FrameworkStatusChange.id"
    )


class FrameworkStatusChange(ModelBase):
    __tablename__ = "framework_status_changes"

    id: Mapped[int_pk]
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("frameworks.id"), index=True)
    from_status: Mapped[FrameworkStatus | None]
    to_status: Mapped[FrameworkStatus]
    changed_at: Mapped[datetime_now]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    framework: Mapped[Framework] = relationship(back_populates="status_changes")


class Lot(RecordMixin, RetractableMixin, ModelBase):
    __tablename__ = "lots"
    __table_args__ = (sa.UniqueConstraint("framework_id", "number"),)

    id: Mapped[int_pk]
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("frameworks.id"), index=True)
    number: Mapped[str] = mapped_column(
        sa.String(20), comment="the lot's number within its framework"
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    cpv_codes: Mapped[list[str]] = mapped_column(default=list)
    ceiling_amount: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(18, 2), comment="estimated or maximum value of the lot's call-offs; not spend"
    )
    ceiling_currency: Mapped[str | None] = mapped_column(sa.String(3), comment="ISO 4217")
    # A lot's recorded members are often a partial list; only a complete one lets a detector
    # judge the lot closed or open (issue 19).
    membership_complete: Mapped[bool] = mapped_column(
        default=False,
        server_default=sa.false(),
        comment="the recorded membership list is the lot's whole list",
    )

    framework: Mapped[Framework] = relationship(back_populates="lots")
    memberships: Mapped[list[Membership]] = relationship(back_populates="lot")


class MembershipStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"
    in_remediation = "in remediation"
    removed = "removed"


class Membership(RecordMixin, ModelBase):
    """A supplier on a framework lot."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("supplier_id", "lot_id"),)

    id: Mapped[int_pk]
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    start_date: Mapped[datetime.date | None]
    end_date: Mapped[datetime.date | None]
    status: Mapped[MembershipStatus]

    lot: Mapped[Lot] = relationship(back_populates="memberships")
    supplier: Mapped[Supplier] = relationship()
    status_changes: Mapped[list[MembershipStatusChange]] = relationship(
        back_populates="membership", order_by="MembershipStatusChange.id"
    )


class MembershipStatusChange(ModelBase):
    __tablename__ = "membership_status_changes"

    id: Mapped[int_pk]
    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("memberships.id"), index=True)
    from_status: Mapped[MembershipStatus | None]
    to_status: Mapped[MembershipStatus]
    changed_at: Mapped[datetime_now]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)

    membership: Mapped[Membership] = relationship(back_populates="status_changes")


class ObligationCategory(enum.StrEnum):
    interoperability = "interoperability"
    data_portability = "data portability"
    open_standards = "open standards"
    security = "security"
    availability_sla = "availability SLA"
    exit_plan = "exit plan"
    pricing_transparency = "pricing transparency"
    social_value = "social value"


class KPIDirection(enum.StrEnum):
    higher_is_better = "higher is better"
    lower_is_better = "lower is better"


class Obligation(RecordMixin, RetractableMixin, ModelBase):
    """What suppliers signed up to on a framework or lot; for one supplier, or for all on it."""

    __tablename__ = "obligations"

    id: Mapped[int_pk]
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("frameworks.id"), index=True)
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("suppliers.id"),
        index=True,
        comment="null: every supplier on the framework or lot",
    )
    category: Mapped[ObligationCategory]
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    standard_reference: Mapped[str | None] = mapped_column(
        sa.String(100), comment="e.g. IM1, GP Connect, DSPT, ISO 27001"
    )
    kpi_target: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    kpi_unit: Mapped[str | None] = mapped_column(sa.String(40))
    kpi_direction: Mapped[KPIDirection | None]
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(8, 3), default=Decimal(1))
    mandatory: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    framework: Mapped[Framework] = relationship()
    lot: Mapped[Lot | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
