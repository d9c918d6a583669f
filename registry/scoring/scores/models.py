"""Computed scores: a supplier's score on a framework, or overall, as of the end of a period."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, datetime_now, int_pk

if TYPE_CHECKING:
    from registry.frameworks.models import Framework
    from registry.suppliers.models import Supplier


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
    # The aggregates the method used (see registry.scoring.scores.method), stored as numbers so that
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
    # the prior stands for and the full run the priors came from (services.stored_extras).
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
        ones keep only what the aggregates do not say, see services.stored_extras)."""
        if self.stored_breakdown is not None:
            return self.stored_inputs or {}
        from registry.scoring.scores.services import explain  # it imports this module

        return explain(self).inputs

    @inputs.setter
    def inputs(self, value: dict[str, Any]) -> None:
        self.stored_inputs = value

    @property
    def breakdown(self) -> str:
        """The calculation, in words."""
        if self.stored_breakdown is not None:
            return self.stored_breakdown
        from registry.scoring.scores.services import explain

        return explain(self).breakdown

    @breakdown.setter
    def breakdown(self, value: str) -> None:
        self.stored_breakdown = value

    @property
    def own_share(self) -> float:
        """The part of the score from the supplier's own ratings (0 to 1), the rest from the
        prior it is shrunk toward."""
        from registry.scoring.scores import method

        inputs = self.inputs
        return method.own_share(float(inputs["weight"]), float(inputs["prior_weight"]))

    @property
    def share_text(self) -> str:
        """How much of the score is the supplier's own ratings, in words."""
        from registry.scoring.scores import method

        inputs = self.inputs
        scope = "overall" if self.framework_id is None else "framework"
        return method.share_text(
            self.assessments_count, float(inputs["weight"]), float(inputs["prior_weight"]), scope
        )
