"""Assessment clocks and evidence-bound ratings through the real app, on the seed: "Not assessed"
on contract, supplier and buyer pages, each buyer's on-time rate and rating distribution on its
page, in the API and in the CSV downloads (the same figures), the rules page, and the auditors'
review queue with what is due and the contradiction mark."""

from __future__ import annotations

import csv
import datetime
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
from registry.scoring.clocks import rules, services, summaries
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
    # The contract ended on 30 September 2023, before the Procurement Act 2023 came into force
    # (issue 19): its KPIs are not applicable, never overdue, and say why.
    assert re.search(
        r"Incidents resolved within service levels Approaching target period to 30 September 2022 "
        r"None: the contract ended before the Procurement Act 2023 came into force "
        r"\(24 February 2025\).* Not applicable",
        section,
    )
    assert "days overdue" not in section and "Exit management plan No rating None:" in section
    supplier_id = seeded_db_session.get(Contract, seeded["dwp_0001"]).supplier_id  # type: ignore[union-attr]
    supplier = _text(app.get(f"/suppliers/{supplier_id}"))
    assert re.search(r"Not applicable: \d+ KPIs?", supplier)
    assert "days overdue" not in supplier and "Longest overdue" not in supplier

    listing = app.get("/assessment-clocks", {"buyer": seeded["dwp"], "state": "not_applicable"})
    text = _text(listing)
    assert "Rules version 1.1" in text and "Procurement Act 2023, section 71" in text
    assert "Only where the Act applies. The duty came into force on 24 February 2025" in text
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
    contract = ContractFactory.create(lot=lot, start_date=None, end_date=None)
    db_session.commit()
    page = _text(webtest_app.get(f"/contracts/{contract.id}"))
    assert "Availability Not assessed Cannot compute — start date missing" in page


def test_buyer_on_time_rate_and_ratings_agree_on_page_api_and_csv(
    seeded_webtest_app: webtest.TestApp, seeded: dict[str, int]
) -> None:
    app, dwp = seeded_webtest_app, seeded["dwp"]
    # Seed: DWP's contracts ended before the Procurement Act 2023 came into force, so no KPI
    # assessment fell due under it: no on-time rate, nothing overdue, three KPIs not applicable.
    page = _text(app.get(f"/buyers/{dwp}"))
    assert "On-time rate: none yet" in page
    assert "Not assessed (overdue): 0" in page
    assert "Not applicable — contract ended before the Procurement Act 2023: 3" in page
    ratings = page[page.index("Ratings this buyer has published") :]
    assert "3 published ratings" in ratings
    assert "Approaching target 2 66.7%" in ratings and "Requires improvement 1 33.3%" in ratings
    assert "Good 0 0.0%" in ratings

    body = app.get(f"/api/v1/buyers/{dwp}/accountability").json
    assert body["method_version"] == "1.1" and body["method_url"].endswith(
        "/assessment-clocks#rules"
    )
    assert body["on_time"] == {
        "rate": None,
        "on_time": 0,
        "due": 0,
        "submitted": 0,
        "overdue": 0,
        "due_soon": 0,
        "cannot_compute": 0,
        "not_applicable": 3,
    }
    assert body["ratings"]["counts"] == {
        "Good": 0,
        "Approaching target": 2,
        "Requires improvement": 1,
        "Inadequate": 0,
        "Other": 0,
    }
    assert body["overdue"] == []
    app.get("/api/v1/buyers/99999999/accountability", status=404)

    records = list(csv.DictReader(io.StringIO(app.get("/data/buyer_assessment_records.csv").text)))
    row = next(r for r in records if r["buyer_id"] == str(dwp))
    assert (row["assessments_on_time"], row["assessments_due"], row["kpis_overdue"]) == (
        "0",
        "0",
        "0",
    )
    assert row["on_time_rate"] == ""
    assert row["kpis_not_applicable"] == str(body["on_time"]["not_applicable"]) == "3"
    assert (row["ratings_approaching"], row["ratings_requires_improvement"]) == ("2", "1")
    clocks = list(csv.DictReader(io.StringIO(app.get("/data/assessment_clocks.csv").text)))
    mine = {r["kpi"]: r for r in clocks if r["contract_id"] == str(seeded["dwp_0001"])}
    assert mine["Incidents resolved within service levels"]["due_date"] == ""
    assert mine["Exit management plan"]["due_reason"] == "ended_before_act"
    assert {r["state"] for r in mine.values()} == {"not_applicable"}
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
    # The queue comes first; the clocks are a short summary with links, no pre-Act overdue rows.
    assert page.index("Review queue") < page.index("Contradicts its measurements")
    due = page[page.index("Assessments due") :]
    assert page.index("Contradicts its measurements") < page.index("Assessments due")
    assert re.search(r"Not applicable: [\d,]+ KPIs", due)
    assert "days overdue" not in page and "Longest overdue" not in page
    item = seeded_db_session.execute(
        sa.text("SELECT id FROM assessments WHERE contract_id = :c"), {"c": seeded["hmrc_0003"]}
    ).scalar_one()
    detail = _text(seeded_webtest_app.get(f"/review/{item}"))
    assert "This rating contradicts its measurements" in detail


def test_the_buyer_record_built_once_equals_the_clocks_worked_out_for_the_buyer(
    seeded_db_session: Session,
) -> None:
    """The buyer page's record runs statements built once per day with the buyer bound: the
    same on-time record and overdue clocks as the clocks built for that one buyer."""
    db = seeded_db_session
    as_of = datetime.date(2027, 6, 1)  # late enough for clocks of every state
    buyers = db.execute(
        sa.select(Contract.buyer_id)
        .group_by(Contract.buyer_id)
        .order_by(sa.func.count().desc(), Contract.buyer_id)
        .limit(6)
    ).scalars()
    overdue = 0
    for buyer_id in buyers:
        record = summaries.buyer_record(db, buyer_id, as_of)
        scope = services.Scope(buyer_id=buyer_id)
        on_time = services.on_time(db, scope, as_of)
        page = summaries.clock_page(db, scope, as_of, (rules.OVERDUE,), 1, summaries.SUMMARY_ROWS)
        assert record.on_time == on_time, buyer_id
        assert record.overdue == page.items, buyer_id
        overdue += len(record.overdue)
    assert overdue  # the sample holds overdue clocks to compare
