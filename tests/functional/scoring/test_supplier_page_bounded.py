"""Issue 8: the supplier page lists the latest LATEST published assessments, says how many there
are in all and links to the full, paginated and sortable list; drafts stay out of both."""

from __future__ import annotations

import datetime

import webtest
from sqlalchemy.orm import Session

from registry.scoring.assessments.models import AssessmentStatus
from registry.scoring.scores import services as scores
from registry.scoring.scores.scorecard import LATEST, LATEST_PER_FRAMEWORK
from tests.common.db.core import ContractFactory, FrameworkFactory, LotFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory

MORE = LATEST + 3


def test_supplier_page_shows_the_latest_assessments_and_links_to_all(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    lot = LotFactory.create(framework=FrameworkFactory.create(reference="RM8000"))
    supplier = SupplierFactory.create(name="Bounded Health Ltd")
    contract = ContractFactory.create(supplier=supplier, lot=lot)
    for month in range(1, MORE + 1):  # KPI 01 ends in January 2023, ... the newest last
        end = datetime.date(2023 + (month - 1) // 12, (month - 1) % 12 + 1, 28)
        AssessmentFactory.create(
            contract=contract,
            kpi=f"KPI {month:02}",
            period_start=end.replace(day=1),
            period_end=end,
        )
    AssessmentFactory.create(
        contract=contract, kpi="SECRET DRAFT KPI", status=AssessmentStatus.draft
    )
    AssessmentFactory.create(kpi="ANOTHER SUPPLIER'S KPI")
    scores.recompute(db_session, datetime.date(2024, 12, 31))
    db_session.commit()

    page = webtest_app.get(f"/suppliers/{supplier.id}")
    rows = page.html.select("#published-assessments tbody tr")
    assert [r.select_one("a").text for r in rows] == [f"KPI {m:02}" for m in range(MORE, 3, -1)]
    assert f"The latest {LATEST} of {MORE} published assessments" in page.text
    # The stored scores still count every assessment, and the breakdown says it lists only some.
    assert f"The latest {LATEST_PER_FRAMEWORK} of the {MORE} assessments counted" in page.text
    assert "SECRET DRAFT KPI" not in page.text

    listing = page.click(f"View all {MORE} assessments")
    assert f"Showing 1 to {MORE} of {MORE} assessments" in listing.text
    kpis = [a.text for a in listing.html.select("tbody tr td:first-child a")]
    assert kpis == [f"KPI {m:02}" for m in range(MORE, 0, -1)]
    assert "SECRET DRAFT KPI" not in listing.text and "ANOTHER SUPPLIER" not in listing.text

    form = listing.forms[0]
    form["sort"] = "oldest"
    oldest = form.submit()
    assert [a.text for a in oldest.html.select("tbody tr td:first-child a")][:2] == [
        "KPI 01",
        "KPI 02",
    ]
    assert "Bounded Health Ltd" in oldest.text

    webtest_app.get("/assessments?supplier=not-a-number", status=404)
