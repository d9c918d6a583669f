"""Stable archives (issue 11): what ended or was retracted stays at its URL, its status shown."""

from __future__ import annotations

import datetime
from typing import Any

import webtest
from sqlalchemy.orm import Session

from registry.frameworks.models import FrameworkStatus, MembershipStatus
from registry.scoring.assessments.models import AssessmentStatus
from tests.common.db.core import (
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
)
from tests.common.db.scoring import AssessmentFactory

WHEN = datetime.datetime(2025, 2, 3, 10, 0, tzinfo=datetime.UTC)


def _retracted(**kwargs: Any) -> dict[str, Any]:
    return {"retracted_at": WHEN, "retraction_reason": "Entered twice", **kwargs}


def test_ended_and_retracted_records_stay_at_their_urls(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    expired = FrameworkFactory(
        reference="RM3821",
        status=FrameworkStatus.expired,
        end_date=datetime.date(2024, 3, 31),
        extended_end_date=None,
    )
    lot = LotFactory(framework=expired, number="1")
    gone = SupplierFactory(name="Gone Systems Ltd")
    MembershipFactory(lot=lot, supplier=gone, status=MembershipStatus.removed)
    ObligationFactory(framework=expired, title="Bulk export", **_retracted())
    retracted = FrameworkFactory(reference="RM0001", **_retracted())
    retracted_lot = LotFactory(framework=expired, number="2", **_retracted())
    contract = ContractFactory(title="Withdrawn call-off", **_retracted())
    published = AssessmentFactory(
        kpi="Availability",
        status=AssessmentStatus.retracted,
        published_at=WHEN - datetime.timedelta(days=30),
        **_retracted(),
    )
    never_published = AssessmentFactory(
        kpi="Draft KPI", status=AssessmentStatus.retracted, **_retracted()
    )
    db_session.commit()

    page = webtest_app.get("/frameworks/RM3821")
    assert "This framework expired on 31 March 2024." in page.text
    assert "govuk-notification-banner" in page.text
    assert "<del>Bulk export</del>" in page.text
    page = webtest_app.get("/frameworks/RM3821/lots/1")
    assert "The framework this lot belongs to, RM3821, expired on 31 March 2024." in page.text
    assert "Gone Systems Ltd" in page.text and "Removed" in page.text
    page = webtest_app.get(f"/frameworks/RM3821/lots/{retracted_lot.number}")
    assert "This lot was retracted on" in page.text
    page = webtest_app.get(f"/frameworks/{retracted.reference}")
    assert "This framework was retracted on" in page.text and "Entered twice" in page.text
    assert "expired on" not in page.text
    page = webtest_app.get(f"/suppliers/{gone.id}")
    assert "RM3821" in page.text and "Removed" in page.text
    page = webtest_app.get(f"/contracts/{contract.id}")
    assert "This contract was retracted on" in page.text
    page = webtest_app.get(f"/assessments/{published.id}")
    assert "This assessment was retracted on" in page.text and "Entered twice" in page.text
    # Never published, so never public: retracting it does not make it so.
    webtest_app.get(f"/assessments/{never_published.id}", status=404)
