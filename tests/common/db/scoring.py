"""Factories for the scoring feature: assessments (any status), replies, scores and remedies."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from registry.frameworks.models import KPIDirection, Lot
from registry.records import Publication
from registry.scoring.assessments.models import (
    Assessment,
    AssessmentReply,
    AssessmentStatus,
    Rating,
)
from registry.scoring.remedies.models import (
    Breach,
    BreachKind,
    Exclusion,
    ExclusionKind,
    RemediationPlan,
)
from registry.scoring.scores.models import Score
from tests.common.db.base import ModelFactory
from tests.common.db.core import ContractFactory, LotFactory, ObligationFactory


class AssessmentFactory(ModelFactory):
    """A published assessment of a contract KPI, unless told otherwise."""

    class Meta:
        model = Assessment

    contract = factory.SubFactory(ContractFactory)
    supplier_id = factory.LazyAttribute(lambda o: o.contract.supplier_id)
    buyer_id = factory.LazyAttribute(lambda o: o.contract.buyer_id)
    framework_id = factory.LazyAttribute(
        lambda o: o.contract.lot.framework_id if o.contract.lot else None
    )
    kpi = factory.Sequence(lambda n: f"KPI {n}")
    kpi_key = factory.LazyAttribute(lambda o: f"contract:{o.contract.id}:{o.kpi.lower()}")
    period_start = datetime.date(2024, 1, 1)
    period_end = datetime.date(2024, 12, 31)
    period_end_day = factory.LazyAttribute(lambda o: o.period_end.toordinal())
    rating = Rating.good
    weight = Decimal(1)
    evidence = "Monthly service reports"
    evidence_links = factory.LazyFunction(list)
    assessor_name = "officer@example.org"
    status = AssessmentStatus.published
    reply_due = factory.LazyAttribute(lambda o: o.period_end + datetime.timedelta(days=30))


class ReplyFactory(ModelFactory):
    class Meta:
        model = AssessmentReply

    assessment = factory.SubFactory(AssessmentFactory)
    supplier_id = factory.LazyAttribute(lambda o: o.assessment.supplier_id)
    text = "We disagree: the outage was the buyer's network."


class BreachFactory(ModelFactory):
    class Meta:
        model = Breach

    kind = BreachKind.breach
    occurred_on = datetime.date(2024, 3, 1)
    notice_due = datetime.date(2024, 3, 31)
    description = "Missed the data-extract deadline"
    publication = Publication.published


class RemediationPlanFactory(ModelFactory):
    class Meta:
        model = RemediationPlan

    gap = "Bulk export misses appointment history"
    agreed_date = datetime.date(2025, 6, 30)
    publication = Publication.published


class ExclusionFactory(ModelFactory):
    class Meta:
        model = Exclusion

    ground = "Professional misconduct"
    kind = ExclusionKind.discretionary
    start_date = datetime.date(2024, 1, 1)
    expected_end_date = datetime.date(2026, 12, 31)
    publication = Publication.published


def availability_lot() -> Lot:
    """A lot whose framework sets one KPI: Availability, 99.9 %, higher is better."""
    lot: Lot = LotFactory.create()
    ObligationFactory.create(
        framework=lot.framework,
        title="Availability",
        kpi_target=Decimal("99.9"),
        kpi_unit="%",
        kpi_direction=KPIDirection.higher_is_better,
    )
    return lot


class ScoreFactory(ModelFactory):
    """A current overall score with its aggregates (two Good ratings, weight 1.5)."""

    class Meta:
        model = Score

    framework_id = None
    period = factory.LazyAttribute(lambda o: str(o.period_end.year))
    period_end = datetime.date(2024, 12, 31)
    method_version = "2.0"
    score = Decimal("80.00")
    band_low = Decimal("60.05")
    band_high = Decimal("99.95")
    assessments_count = 2
    weight = 1.5
    weighted_points = 150.0
    weighted_points_sq = 15000.0
    prior_mean = 80.0
    good_count = 2
