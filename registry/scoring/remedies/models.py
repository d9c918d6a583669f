"""The remedies: breaches and termination notices, remediation plans and exclusions."""

from __future__ import annotations

import datetime
import enum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, int_pk
from registry.records import Publication, RecordMixin, RetractableMixin

if TYPE_CHECKING:
    from registry.contracts.models import Contract
    from registry.frameworks.models import Framework, Obligation


class BreachKind(enum.StrEnum):
    breach = "breach notice"
    termination = "termination notice"


class Breach(RecordMixin, RetractableMixin, ModelBase):
    """A breach of contract (notice due within 30 days of the breach), or a termination notice."""

    __tablename__ = "breaches"

    id: Mapped[int_pk]
    kind: Mapped[BreachKind]
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"))
    framework_id: Mapped[int | None] = mapped_column(sa.ForeignKey("frameworks.id"))
    occurred_on: Mapped[datetime.date]
    notice_due: Mapped[datetime.date] = mapped_column(comment="30 days after the breach")
    notice_published_on: Mapped[datetime.date | None]
    description: Mapped[str] = mapped_column(sa.Text)
    publication: Mapped[Publication]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    contract: Mapped[Contract | None] = relationship()
    framework: Mapped[Framework | None] = relationship()


class RemediationStatus(enum.StrEnum):
    open = "open"
    completed = "completed"
    abandoned = "abandoned"


class RemediationPlan(RecordMixin, RetractableMixin, ModelBase):
    """A work-off plan for an unmet obligation: the gap, the agreed date, progress."""

    __tablename__ = "remediation_plans"

    id: Mapped[int_pk]
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    obligation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("obligations.id"))
    membership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("memberships.id"))
    gap: Mapped[str] = mapped_column(sa.Text, comment="what is unmet, and by how much")
    agreed_date: Mapped[datetime.date] = mapped_column(comment="when the gap is to be closed")
    progress: Mapped[str] = mapped_column(sa.Text, default="")
    progress_percent: Mapped[int] = mapped_column(default=0)
    status: Mapped[RemediationStatus] = mapped_column(default=RemediationStatus.open)
    completed_on: Mapped[datetime.date | None]
    publication: Mapped[Publication]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    obligation: Mapped[Obligation | None] = relationship()

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status == RemediationStatus.open and self.agreed_date < today


class ExclusionKind(enum.StrEnum):
    mandatory = "mandatory"
    discretionary = "discretionary"


class Exclusion(RecordMixin, RetractableMixin, ModelBase):
    """An entry on the exclusion / debarment list (Procurement Act 2023, Schedules 6 and 7)."""

    __tablename__ = "exclusions"

    id: Mapped[int_pk]
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    ground: Mapped[str] = mapped_column(sa.Text, comment="the exclusion ground")
    kind: Mapped[ExclusionKind]
    start_date: Mapped[datetime.date]
    expected_end_date: Mapped[datetime.date] = mapped_column(comment="at most five years on")
    publication: Mapped[Publication]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    def in_force(self, today: datetime.date) -> bool:
        return self.retracted_at is None and self.start_date <= today <= self.expected_end_date
