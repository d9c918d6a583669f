"""Assessments of KPIs and obligations, suppliers' replies, computed scores, and the remedies:
breaches and termination notices, remediation plans and exclusions."""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, datetime_now, int_pk
from registry.records import Publication, RecordMixin, RetractableMixin

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


class Score(ModelBase):
    """A supplier's score on a framework (or overall, framework null) as of the end of a period.

    Scores are derived, so recomputing replaces the current rows; the superseded rows are kept
    (current false) so a score once shown can still be traced.
    """

    __tablename__ = "scores"
    __table_args__ = (sa.Index(None, "supplier_id", "current", "period_end"),)

    id: Mapped[int_pk]
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"))
    framework_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("frameworks.id"), index=True, comment="null: overall"
    )
    period: Mapped[str] = mapped_column(sa.String(20), comment="e.g. 2024, or the as-of date")
    period_end: Mapped[datetime.date] = mapped_column(comment="the as-of date of the score")
    method_version: Mapped[str] = mapped_column(sa.String(20))
    score: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    band_low: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    band_high: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    assessments_count: Mapped[int]
    # The aggregates the method used (see registry.scoring.method), stored as numbers so that
    # `registry score` writes every score with one INSERT ... SELECT; `inputs` and `breakdown`
    # are derived from them when read. Rows written before migration 0012 keep their text.
    weight: Mapped[float | None] = mapped_column(
        sa.Double, comment="sum of weight * recency of the assessments counted"
    )
    weighted_points: Mapped[float | None] = mapped_column(
        sa.Double, comment="sum of weight * recency * points"
    )
    weighted_points_sq: Mapped[float | None] = mapped_column(
        sa.Double, comment="sum of weight * recency * points squared"
    )
    prior_mean: Mapped[float | None] = mapped_column(
        sa.Double, comment="the framework mean (or the mean of all suppliers) shrunk toward"
    )
    good_count: Mapped[int | None] = mapped_column(comment="assessments counted rated Good")
    approaching_count: Mapped[int | None] = mapped_column(
        comment="assessments counted rated Approaching target"
    )
    requires_improvement_count: Mapped[int | None] = mapped_column(
        comment="assessments counted rated Requires improvement"
    )
    inadequate_count: Mapped[int | None] = mapped_column(
        comment="assessments counted rated Inadequate"
    )
    # Since method 2.0 new rows keep here what the aggregates do not say: how many components
    # the prior stands for and the full run the priors came from (scores.stored_extras).
    stored_inputs: Mapped[dict[str, Any] | None] = mapped_column(
        "inputs", comment="as computed before 0012; later rows derive it from the aggregates"
    )
    stored_breakdown: Mapped[str | None] = mapped_column(
        "breakdown",
        sa.Text,
        comment="as computed before 0012; later rows derive it from the aggregates",
    )
    computed_at: Mapped[datetime_now]
    current: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    supplier: Mapped[Supplier] = relationship()
    framework: Mapped[Framework | None] = relationship()

    @property
    def inputs(self) -> dict[str, Any]:
        """The aggregates and parameters used (rows written before 0012 kept their own; later
        ones keep only what the aggregates do not say, see scores.stored_extras)."""
        if self.stored_breakdown is not None:
            return self.stored_inputs or {}
        from registry.scoring.scores import explain  # the method imports this module

        return explain(self).inputs

    @inputs.setter
    def inputs(self, value: dict[str, Any]) -> None:
        self.stored_inputs = value

    @property
    def breakdown(self) -> str:
        """The calculation, in words."""
        if self.stored_breakdown is not None:
            return self.stored_breakdown
        from registry.scoring.scores import explain

        return explain(self).breakdown

    @breakdown.setter
    def breakdown(self, value: str) -> None:
        self.stored_breakdown = value

    @property
    def own_share(self) -> float:
        """The part of the score from the supplier's own ratings (0 to 1), the rest from the
        prior it is shrunk toward."""
        from registry.scoring import method

        inputs = self.inputs
        return method.own_share(float(inputs["weight"]), float(inputs["prior_weight"]))

    @property
    def share_text(self) -> str:
        """How much of the score is the supplier's own ratings, in words."""
        from registry.scoring import method

        inputs = self.inputs
        scope = "overall" if self.framework_id is None else "framework"
        return method.share_text(
            self.assessments_count, float(inputs["weight"]), float(inputs["prior_weight"]), scope
        )


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
