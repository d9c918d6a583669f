"""Assessment clocks and evidence-bound ratings through the real app, on the seed: "Not assessed"
on contract, supplier and buyer pages, each buyer's on-time rate and rating distribution on its
page, in the API and in the CSV downloads (the same figures), the rules page, and the auditors'
review queue with what is due and the contradiction mark."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.accounts.services import DatabaseUserService
from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.frameworks.models import KPIDirection
from tests.common.db.core import ContractFactory, LotFactory, ObligationFactory
from tests.conftest import TEST_PASSWORD, login

DWP = "Department for Work and Pensions"


def _text(page: webtest.TestResponse) -> str:
    return re.sub(r"\s+", " ", page.html.get_text(" "))


def _id(db: Session, model: Any, column: Any, value: str) -> int:
    return db.execute(sa.select(model.id).where(column == value)).scalar_one()  # type: ignore[no-any-return]


@pytest.fixture
def seeded(seeded_db_session: Session) -> dict[str, int]:
    db = seeded_db_session
    return {
        "dwp": _id(db, Buyer, Buyer.name, DWP),
        "dwp_0001": _id(db, Contract, Contract.reference, "SEED-DWP-0001"),
        "hmrc_0003": _id(db, Contract, Contract.reference, "SEED-HMRC-0003"),
    }


def test_overdue_kpis_read_not_assessed_on_contract_supplier_and_clock_pages(
    seeded_webtest_app: webtest.TestApp, seeded_db_session: Session, seeded: dict[str, int]
) -> None:
    app = seeded_webtest_app
    page = _text(app.get(f"/contracts/{seeded['dwp_0001']}"))
    section = page[page.index("KPI assessments due") :]
    # Its own KPI, last assessed for the year to 30 September 2022: due 12 months + 30 days on.
    assert re.search(
        r"Incidents resolved within service levels Approaching target period to 30 September 2022 "
        r"30 October 2023 \([\d,]+ days overdue\) Because: 12 months since .* Not assessed",
        section,
    )
    # The framework's exit-plan KPI, never assessed: the March 2020 breach set its date.
    assert re.search(
        r"Exit management plan Not assessed 15 April 2020 .* Because: a breach was recorded",
        section,
    )
    supplier_id = seeded_db_session.get(Contract, seeded["dwp_0001"]).supplier_id  # type: ignore[union-attr]
    supplier = _text(app.get(f"/suppliers/{supplier_id}"))
    assert re.search(r"Not assessed: \d+ KPIs?", supplier)
    assert "SEED-DWP-0001" in supplier[supplier.index("Longest overdue") :]

    listing = app.get("/assessment-clocks", {"buyer": seeded["dwp"], "state": "overdue"})
    text = _text(listing)
    assert "Rules version 1.0" in text and "Procurement Act 2023, section 71" in text
    assert "Showing 1 to 3 of 3 KPIs" in text
    assert text.count("SEED-DWP-0001") == 2 and "SEED-DWP-0002" in text
    refused = _text(app.get("/assessment-clocks", {"buyer": "x", "state": "late"}))
    assert "Buyer must be a registry number" in refused
    assert "State must be one of the states listed" in refused


def test_a_contract_without_a_start_date_says_it_cannot_compute(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    lot = LotFactory.create()
    ObligationFactory.create(
        framework=lot.framework,
        title="Availability",
        kpi_target=99,
        kpi_direction=KPIDirection.higher_is_better,
    )
    contract = ContractFactory.create(lot=lot, start_date=None)
    db_session.commit()
    page = _text(webtest_app.get(f"/contracts/{contract.id}"))
    assert "Availability Not assessed Cannot compute — start date missing" in page


def test_buyer_on_time_rate_and_ratings_agree_on_page_api_and_csv(
    seeded_webtest_app: webtest.TestApp, seeded: dict[str, int]
) -> None:
    app, dwp = seeded_webtest_app, seeded["dwp"]
    # Seed: three assessments of SEED-DWP-0001, the first late (due 30 days after the breach),
    # two on time; three KPIs overdue. 2 of 6 on time.
    page = _text(app.get(f"/buyers/{dwp}"))
    assert "33.3% On-time rate" in page
    assert "2 of the 6 KPI assessments that fell due were submitted by their due date" in page
    assert "Not assessed (overdue): 3" in page
    ratings = page[page.index("Ratings this buyer has published") :]
    assert "3 published ratings" in ratings
    assert "Approaching target 2 66.7%" in ratings and "Requires improvement 1 33.3%" in ratings
    assert "Good 0 0.0%" in ratings

    body = app.get(f"/api/v1/buyers/{dwp}/accountability").json
    assert body["method_version"] == "1.0" and body["method_url"].endswith(
        "/assessment-clocks#rules"
    )
    assert body["on_time"] == {
        "rate": pytest.approx(1 / 3),
        "on_time": 2,
        "due": 6,
        "submitted": 3,
        "overdue": 3,
        "due_soon": 0,
        "cannot_compute": 0,
    }
    assert body["ratings"]["counts"] == {
        "Good": 0,
        "Approaching target": 2,
        "Requires improvement": 1,
        "Inadequate": 0,
        "Other": 0,
    }
    assert {(c["contract_reference"], c["state_label"]) for c in body["overdue"]} == {
        ("SEED-DWP-0001", "Not assessed"),
        ("SEED-DWP-0002", "Not assessed"),
    }
    app.get("/api/v1/buyers/99999999/accountability", status=404)

    records = list(csv.DictReader(io.StringIO(app.get("/data/buyer_assessment_records.csv").text)))
    row = next(r for r in records if r["buyer_id"] == str(dwp))
    assert (row["assessments_on_time"], row["assessments_due"], row["kpis_overdue"]) == (
        "2",
        "6",
        "3",
    )
    assert float(row["on_time_rate"]) == pytest.approx(body["on_time"]["rate"])
    assert (row["ratings_approaching"], row["ratings_requires_improvement"]) == ("2", "1")
    clocks = list(csv.DictReader(io.StringIO(app.get("/data/assessment_clocks.csv").text)))
    mine = {r["kpi"]: r for r in clocks if r["contract_id"] == str(seeded["dwp_0001"])}
    assert mine["Incidents resolved within service levels"]["due_date"] == "2023-10-30"
    assert mine["Exit management plan"]["due_reason"] == "breach"
    assert {r["state"] for r in mine.values()} == {"overdue"}
    assert "/data/assessment_clocks.csv" in app.get("/data").text


def test_review_queue_shows_what_is_due_and_marks_the_contradiction(
    seeded_webtest_app: webtest.TestApp, seeded_db_session: Session, seeded: dict[str, int]
) -> None:
    auditor = DatabaseUserService(seeded_db_session).create_user(
        "clock-auditor@example.org", TEST_PASSWORD, "auditor"
    )
    seeded_db_session.commit()
    login(seeded_webtest_app, auditor.email)
    page = _text(seeded_webtest_app.get("/review"))
    # The seeded SEED-HMRC-0003 rating: Good, though 97.8% missed the 99.5% target.
    assert (
        "Contradicts its measurements Rated Good but the measured value 97.8 % of service levels "
        "met misses the target 99.5 % of service levels met (higher is better)"
    ) in page
    assert page.count("Contradicts its measurements") == 1
    due = page[page.index("Assessments due") :]
    assert "Due in the next 30 days" in due and re.search(r"Not assessed: [\d,]+", due)
    assert "Longest overdue first" in due
    item = seeded_db_session.execute(
        sa.text("SELECT id FROM assessments WHERE contract_id = :c"), {"c": seeded["hmrc_0003"]}
    ).scalar_one()
    detail = _text(seeded_webtest_app.get(f"/review/{item}"))
    assert "This rating contradicts its measurements" in detail
