"""Assessments of KPIs and obligations, and suppliers' replies."""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, int_pk
from registry.records import RecordMixin, RetractableMixin

if TYPE_CHECKING:
    from registry.accounts.models import User
    from registry.contracts.models import Contract
    from registry.frameworks.models import Framework, Obligation
    from registry.suppliers.models import Supplier


class Rating(enum.StrEnum):
    """The Procurement Act 2023 scale for Contract Performance Notices."""

    good = "Good"
    approaching = "Approaching target"
    requires_improvement = "Requires improvement"
    inadequate = "Inadequate"
    other = "Other"


class AssessmentStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    challenged = "challenged"
    approved = "approved"
    adjusted = "adjusted"
    published = "published"
    retracted = "retracted"


class Assessment(RecordMixin, RetractableMixin, ModelBase):
    """A rating of one KPI of a contract, or of one obligation of a supplier, for one period."""

    __tablename__ = "assessments"
    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period_in_order"),
        sa.CheckConstraint(
            "contract_id IS NOT NULL OR obligation_id IS NOT NULL", name="has_subject"
        ),
        sa.Index(None, "status", "supplier_id", "framework_id"),
        # The first scoring period: min(period_end) of the published ones, one index lookup.
        sa.Index(None, "status", "period_end"),
        sa.Index(None, "kpi_key", "period_start"),
        # A supplier's or buyer's clocks start from its contracts' published assessments.
        sa.Index(None, "contract_id", "status"),
        # The supplier page: a supplier's latest published assessments, newest period first.
        sa.Index(None, "supplier_id", "status", "period_end"),
    )

    id: Mapped[int_pk]
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    obligation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("obligations.id"))
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"))
    framework_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("frameworks.id"), comment="the contract's or obligation's framework"
    )
    buyer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("buyers.id"),
        index=True,
        comment="the contract's buyer, whose officers write it",
    )
    kpi: Mapped[str] = mapped_column(sa.String(300), comment="the KPI's name")
    kpi_key: Mapped[str] = mapped_column(
        sa.String(340), comment="what 'the same KPI' means when periods must not overlap"
    )
    period_start: Mapped[datetime.date]
    period_end: Mapped[datetime.date]
    period_end_day: Mapped[int] = mapped_column(
        comment="period_end as a day number (date.toordinal), for portable recency arithmetic"
    )
    rating: Mapped[Rating]
    original_rating: Mapped[Rating | None] = mapped_column(
        comment="the assessor's rating when an auditor adjusted it"
    )
    measured_value: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 4))
    unit: Mapped[str | None] = mapped_column(sa.String(40))
    weight: Mapped[Decimal] = mapped_column(
        sa.Numeric(8, 3), default=Decimal(1), comment="the KPI's or obligation's weight"
    )
    evidence: Mapped[str] = mapped_column(sa.Text, default="")
    evidence_links: Mapped[list[str]] = mapped_column(default=list)
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assessor_name: Mapped[str] = mapped_column(sa.String(320), default="")
    status: Mapped[AssessmentStatus] = mapped_column(default=AssessmentStatus.draft)
    submitted_at: Mapped[datetime.datetime | None]
    reply_due: Mapped[datetime.date | None] = mapped_column(
        comment="the last day the supplier may reply"
    )
    reviewed_at: Mapped[datetime.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    review_reason: Mapped[str | None] = mapped_column(sa.Text)
    published_at: Mapped[datetime.datetime | None]
    version: Mapped[int] = mapped_column(default=1, comment="optimistic lock: bumped on each write")

    __mapper_args__: dict[str, Any] = {"version_id_col": version}

    contract: Mapped[Contract | None] = relationship()
    obligation: Mapped[Obligation | None] = relationship()
    supplier: Mapped[Supplier] = relationship()
    framework: Mapped[Framework | None] = relationship()
    assessor: Mapped[User | None] = relationship(foreign_keys=[assessor_id])
    reply: Mapped[AssessmentReply | None] = relationship(back_populates="assessment")

    @property
    def is_public(self) -> bool:
        return self.status == AssessmentStatus.published and self.retracted_at is None


class AssessmentReply(RecordMixin, ModelBase):
    """The supplier's answer to a rating, published beside it."""

    __tablename__ = "assessment_replies"

    id: Mapped[int_pk]
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"), unique=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)

    assessment: Mapped[Assessment] = relationship(back_populates="reply")
