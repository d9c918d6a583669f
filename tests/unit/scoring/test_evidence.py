"""Evidence-bound ratings (registry.scoring.assessments.evidence): the narrative rule, the two contradiction
rules, the audit event on submission, and a buyer's distribution of published ratings."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.frameworks.models import KPIDirection
from registry.scoring.assessments import services as service
from registry.scoring.assessments.evidence import CONTRADICTION_ACTION, contradictions, distribution
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from tests.common.db.core import ContractFactory, LotFactory, ObligationFactory
from tests.common.db.scoring import AssessmentFactory

D = datetime.date


@pytest.fixture
def world(db_session: Session) -> dict[str, Any]:
    lot = LotFactory.create()
    up = ObligationFactory.create(
        framework=lot.framework,
        title="Availability",
        kpi_target=Decimal("99.5"),
        kpi_unit="%",
        kpi_direction=KPIDirection.higher_is_better,
    )
    down = ObligationFactory.create(
        framework=lot.framework,
        title="Fix time",
        kpi_target=Decimal("4"),
        kpi_unit="hours",
        kpi_direction=KPIDirection.lower_is_better,
    )
    return {"contract": ContractFactory.create(lot=lot), "up": up, "down": down}


def _rated(world: dict[str, Any], obligation: str, rating: Rating, value: str, **kw: Any) -> Any:
    o = world[obligation]
    kw.setdefault("kpi", f"{o.title} {rating} {value}")
    return AssessmentFactory.create(
        contract=world["contract"],
        obligation_id=o.id,
        rating=rating,
        measured_value=Decimal(value),
        **kw,
    )


def test_a_rating_on_the_wrong_side_of_its_target_is_a_contradiction(
    db_session: Session, world: dict[str, Any]
) -> None:
    # Periods apart, so the second rule (about other KPIs at the same time) does not apply.
    years = iter(range(2010, 2030))

    def rated(obligation: str, rating: Rating, value: str, **kw: Any) -> Any:
        year = next(years)
        return _rated(
            world,
            obligation,
            rating,
            value,
            period_start=D(year, 1, 1),
            period_end=D(year, 12, 31),
            **kw,
        )

    good_miss = rated("up", Rating.good, "98.9", unit="%")
    inadequate_met = rated("down", Rating.inadequate, "3.5")
    fine = [
        rated("up", Rating.good, "99.9"),
        rated("up", Rating.approaching, "99.1"),
        rated("down", Rating.good, "4"),  # exactly on target meets it
        rated("up", Rating.other, "10"),  # Other says nothing either way
        rated("up", Rating.good, "98", unit="ms"),  # not the target's unit
    ]
    found = contradictions(db_session, [good_miss.id, inadequate_met.id, *(a.id for a in fine)])
    assert found == {
        good_miss.id: [
            "Rated Good but the measured value 98.9 % misses the target 99.5 % (higher is better)"
        ],
        inadequate_met.id: [
            "Rated Inadequate but the measured value 3.5 hours meets the target 4 hours "
            "(lower is better)"
        ],
    }


def test_good_beside_two_missed_kpis_of_the_same_contract_is_a_contradiction(
    db_session: Session, world: dict[str, Any]
) -> None:
    good = AssessmentFactory.create(contract=world["contract"], kpi="Overall service")
    _rated(world, "up", Rating.requires_improvement, "97", kpi="Availability")
    found = contradictions(db_session, [good.id])
    assert good.id not in found  # one miss is not enough
    _rated(world, "down", Rating.requires_improvement, "9", kpi="Fix time")
    # A miss in a period that does not overlap does not count.
    _rated(world, "down", Rating.inadequate, "12", kpi="Old", period_end=D(2024, 1, 31))
    _rated(
        world,
        "down",
        Rating.inadequate,
        "12",
        kpi="Older",
        period_start=D(2022, 1, 1),
        period_end=D(2022, 12, 31),
    )
    assert contradictions(db_session, [good.id])[good.id] == [
        "Rated Good while 3 other KPIs of this contract missed their targets in overlapping "
        "periods (for example Availability)"
    ]


def test_submitting_a_contradictory_rating_records_it_in_the_audit_trail(
    db_session: Session, world: dict[str, Any]
) -> None:
    a = _rated(world, "up", Rating.good, "90", status=AssessmentStatus.draft)
    service.submit(db_session, a, None, D(2024, 1, 1), 14)
    event = db_session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.action == CONTRADICTION_ACTION, AuditEvent.subject_id == str(a.id)
        )
    ).scalar_one()
    assert event.reason and event.reason.startswith("Rated Good but the measured value 90")
    assert event.after is not None and event.after["rule_version"] == "1.1"
    fine = _rated(world, "up", Rating.good, "99.9", kpi="x", status=AssessmentStatus.draft)
    service.submit(db_session, fine, None, D(2024, 1, 1), 14)
    assert not db_session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.action == CONTRADICTION_ACTION, AuditEvent.subject_id == str(fine.id)
        )
    ).first()


@pytest.mark.parametrize("evidence", ["", "   ", "see report"])
def test_a_rating_without_a_narrative_is_refused_and_nothing_written(
    db_session: Session, world: dict[str, Any], evidence: str
) -> None:
    data = service.AssessmentInput(
        kpi="Availability",
        period_start=D(2024, 1, 1),
        period_end=D(2024, 12, 31),
        rating="Good",
        evidence=evidence,
    )
    with pytest.raises(service.AssessmentError) as info:
        service.create_for_contract(db_session, world["contract"], data, None)
    assert [field for field, _ in info.value.errors] == ["evidence"]
    assert "evidence narrative" in str(info.value)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Assessment)) == 0


def test_distribution_counts_a_buyers_published_ratings_only(
    db_session: Session, world: dict[str, Any]
) -> None:
    contract = world["contract"]
    for n, (rating, status) in enumerate(
        [
            (Rating.good, AssessmentStatus.published),
            (Rating.good, AssessmentStatus.published),
            (Rating.inadequate, AssessmentStatus.published),
            (Rating.good, AssessmentStatus.submitted),
            (Rating.good, AssessmentStatus.draft),
        ]
    ):
        AssessmentFactory.create(contract=contract, kpi=f"K{n}", rating=rating, status=status)
    d = distribution(db_session, contract.buyer_id)
    assert d.total == 3
    assert d.rows() == [
        ("Good", 2, pytest.approx(2 / 3)),
        ("Approaching target", 0, 0.0),
        ("Requires improvement", 0, 0.0),
        ("Inadequate", 1, pytest.approx(1 / 3)),
        ("Other", 0, 0.0),
    ]
