"""The four journeys of issue 9 through a real browser on the seeded registry (lock-in detectors
run, suppliers indexed), with axe-core on every page visited. One browser session each."""

from __future__ import annotations

import csv
import datetime
import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry import clock
from registry.accounts.services import DatabaseUserService
from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.db import create_engine
from registry.flags.detectors import load_settings
from registry.flags.services import run_detection
from registry.frameworks.models import Framework
from registry.records import Publication
from registry.scoring.assessments import services as assessments
from registry.scoring.assessments.models import Assessment
from registry.search.documents import documents_for
from registry.search.services import make_backend
from registry.seed.loader import load_seed_data
from registry.suppliers.models import Supplier
from tests.browser.conftest import assert_accessible, follow
from tests.common.live import LiveServer
from tests.conftest import TEST_PASSWORD

OFFICER = "journey-officer@example.org"
AUDITOR = "journey-reviewer@example.org"
SUPPLIER_USER = "journey-supplier@example.org"
# Assessments planted for the auditor (their reply windows closed) and the supplier (open).
REVIEW_KPIS = ("Journey KPI: incident response", "Journey KPI: uptime", "Journey KPI: training")
REPLY_KPI = "Journey KPI: data extract turnaround"


def _plant_assessment(
    db: Session, contract: Contract, kpi: str, rating: str, reply_due: datetime.date
) -> Assessment:
    today = clock.today()
    data = assessments.AssessmentInput(
        kpi=kpi,
        period_start=datetime.date(2023, 4, 1),
        period_end=datetime.date(2024, 3, 31),
        rating=rating,
        evidence="Monthly service reports for 2023/24.",
    )
    a = assessments.create_for_contract(db, contract, data, None)
    assessments.submit(db, a, None, today, 10)
    a.reply_due = reply_due
    db.flush()
    return a


@pytest.fixture(scope="session")
def seeded_live(live_server: LiveServer, live_database_url: str) -> dict[str, Any]:
    """The real seed data in the live server's database with the detectors run and the suppliers
    indexed, an officer, an auditor and a supplier user, and assessments for them to act on."""
    engine = create_engine(live_database_url)
    try:
        with Session(engine) as db, db.begin():
            if db.scalar(sa.select(sa.func.count()).select_from(Framework)) == 0:
                load_seed_data(db)
                run_detection(db, load_settings(live_server.settings))
                # Suppliers only: the officer's search needs them, and the whole index is slow.
                suppliers = set(db.scalars(sa.select(Supplier.id)))
                docs, _ = documents_for(db, {"supplier": suppliers})
                make_backend(live_server.settings, db).rebuild(iter(docs))
            buyer = db.scalars(sa.select(Buyer).order_by(Buyer.id)).first()
            assert buyer is not None
            contract = db.scalars(
                sa.select(Contract)
                .where(
                    Contract.publication == Publication.published,
                    Contract.retracted_at.is_(None),
                )
                .order_by(Contract.id)
            ).first()
            assert contract is not None
            users = DatabaseUserService(db)
            if users.find_by_email(OFFICER) is None:
                users.create_user(OFFICER, TEST_PASSWORD, "officer", buyer_id=buyer.id)
                users.create_user(AUDITOR, TEST_PASSWORD, "auditor")
                users.create_user(
                    SUPPLIER_USER, TEST_PASSWORD, "supplier", supplier_id=contract.supplier_id
                )
                yesterday = clock.today() - datetime.timedelta(days=1)
                for kpi in REVIEW_KPIS:
                    _plant_assessment(db, contract, kpi, "Good", yesterday)
                _plant_assessment(
                    db,
                    contract,
                    REPLY_KPI,
                    "Requires improvement",
                    clock.today() + datetime.timedelta(days=10),
                )
            supplier = db.scalars(sa.select(Supplier).order_by(Supplier.id)).first()
            assert supplier is not None
            return {
                "buyer": buyer.name,
                "supplier": supplier.name,
                "assessed_supplier": contract.supplier.name,
            }
    finally:
        engine.dispose()


def sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    assert f"Signed in as {email}" in page.content()


def heading(page: Any) -> str:
    return str(page.get_by_role("heading", level=1).inner_text())


def main_text(page: Any) -> str:
    return str(page.inner_text("main"))


def test_public_journey_from_a_market_to_a_scores_download(
    page: Any, seeded_live: dict[str, Any]
) -> None:
    page.goto("/")
    assert_accessible(page)

    follow(page, page.get_by_role("link", name="Markets").first)
    assert heading(page) == "Markets and their concentration"
    assert_accessible(page)

    follow(page, page.locator("main a", has_text="GPSoC lot 1").first)
    assert "GPSoC lot 1: Principal clinical systems" in heading(page)
    assert "Shares of supplier groups" in main_text(page)
    assert_accessible(page)

    follow(page, page.locator("main a", has_text="monopoly or duopoly (duopoly)").first)
    assert heading(page).startswith("Monopoly or duopoly (duopoly)")
    text = main_text(page)
    # The evidence: the numbers, the two holders, the rule and the records it rests on.
    assert "Herfindahl-Hirschman index" in text and "Share of the two largest groups" in text
    assert "EMIS Group plc" in text and "The Phoenix Partnership (Leeds) Ltd" in text
    assert "Its inputs" in text
    assert_accessible(page)

    follow(page, page.locator("main a[href^='/suppliers/']").first)
    supplier = heading(page)
    assert "Performance scorecard" in main_text(page)
    assert_accessible(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="scores (CSV)").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert download.value.suggested_filename == "scores.csv"
    supplier_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert any(r["supplier_id"] == supplier_id for r in rows), f"no scores of {supplier} in the CSV"


def test_officer_compares_suppliers_records_a_contract_and_assesses_it(
    page: Any, seeded_live: dict[str, Any]
) -> None:
    sign_in(page, OFFICER)

    follow(page, page.get_by_role("link", name="Search").first)
    page.get_by_label("Supplier, framework, obligation or contract").fill("systems")
    follow(page, page.get_by_role("button", name="Search"))
    assert_accessible(page)
    boxes = page.locator("main input[name=ids][type=checkbox]")
    assert boxes.count() >= 3, main_text(page)
    chosen = [
        page.locator(f"label[for='{boxes.nth(i).get_attribute('id')}']").inner_text()
        for i in range(3)
    ]
    for i in range(3):
        boxes.nth(i).check()
    follow(page, page.get_by_role("button", name="Compare chosen suppliers"))
    assert heading(page) == "Compare suppliers"
    header = page.locator("main table").first.locator("thead").inner_text()
    for label in chosen:
        assert label.replace("Compare", "").strip() in header
    assert_accessible(page)

    page.goto("/contracts/new")
    assert_accessible(page)
    title = "Browser journey: practice IT support"
    page.get_by_label("Title").fill(title)
    page.locator("[name=supplier]").fill(seeded_live["supplier"])
    page.locator("[name=value_amount]").fill("12500")
    page.locator("[name=award_date]").fill("2024-01-10")
    page.locator("[name=start_date]").fill("2024-02-01")
    page.locator("[name=end_date]").fill("2025-01-31")
    follow(page, page.get_by_role("button", name="Save draft"))
    assert title in heading(page), main_text(page)
    assert "draft" in main_text(page).lower()
    assert seeded_live["buyer"] in main_text(page)
    assert_accessible(page)

    follow(
        page, page.locator("main form[action$='/publish'] button, main a[href$='/publish']").first
    )
    if page.url.endswith("/publish"):
        assert_accessible(page)
        follow(page, page.get_by_role("button", name="Publish"))
    assert "published" in page.inner_text("body").lower()
    contract_url = page.url.split("?")[0]
    assert_accessible(page)

    page.goto(contract_url + "/assessments/new")
    assert_accessible(page)
    page.get_by_label("KPI", exact=True).fill("Helpdesk calls answered within 30 seconds")
    page.get_by_label("Period start").fill("2024-02-01")
    page.get_by_label("Period end").fill("2024-07-31")
    page.get_by_label("Approaching target").check()
    page.get_by_label("Evidence narrative", exact=True).fill(
        "Telephony reports, February to July 2024: 91% of calls answered within 30 seconds."
    )
    follow(page, page.locator("main form button[type=submit], main form button:not([type])").first)
    assert "Helpdesk calls answered within 30 seconds" in page.inner_text("main")
    assert "Approaching target" in main_text(page)
    assert_accessible(page)

    follow(page, page.get_by_role("button", name="Submit for review"))
    assert "submitted" in main_text(page).lower()
    assert_accessible(page)

    # Signed out, the public sees the contract, not the assessment still under review.
    page.goto("/logout")
    follow(page, page.get_by_role("button").first)
    page.goto("/contracts")
    assert title in main_text(page)
    page.goto("/assessments")
    assert "Helpdesk calls answered within 30 seconds" not in main_text(page)


def _review(page: Any, kpi: str, action: str, reason: str = "", rating: str = "") -> str:
    page.goto("/review")
    follow(page, page.locator("main a", has_text=kpi).first)
    assert kpi in heading(page)
    assert_accessible(page)
    if reason:
        page.get_by_label("Reason").fill(reason)
    if rating:
        page.get_by_label("New rating").select_option(rating)
    follow(page, page.get_by_role("button", name=action))
    return str(page.inner_text("body"))


def test_auditor_works_the_review_queue_and_acknowledges_a_flag(
    page: Any, seeded_live: dict[str, Any]
) -> None:
    sign_in(page, AUDITOR)

    follow(page, page.get_by_role("link", name="Review").first)
    assert heading(page) == "Review queue"
    queue = main_text(page)
    for kpi in REVIEW_KPIS:
        assert kpi in queue
    assert_accessible(page)

    approve, challenge, adjust = REVIEW_KPIS
    body = _review(page, approve, "Approve")
    assert "Assessment approved" in body
    body = _review(page, challenge, "Send back", reason="The period has no evidence attached.")
    assert "sent back to the assessor" in body
    body = _review(
        page, adjust, "Adjust rating", reason="Two outages were missed.", rating="Inadequate"
    )
    assert "Rating adjusted" in body
    assert "Inadequate" in main_text(page)
    assert_accessible(page)

    page.goto("/review")
    queue = main_text(page)
    assert not any(kpi in queue for kpi in REVIEW_KPIS), queue
    page.goto("/review?stage=publication")
    assert approve in main_text(page) and adjust in main_text(page)
    assert_accessible(page)

    page.goto("/flags")
    assert_accessible(page)
    follow(page, page.locator("main a", has_text="Extension creep").first)
    assert heading(page).startswith("Extension creep")
    assert_accessible(page)
    page.get_by_label("Acknowledge").check()
    page.get_by_label("Reason").fill("The buyer is re-procuring; extensions end in March.")
    follow(page, page.get_by_role("button", name="Save"))
    assert "Acknowledged: The buyer is re-procuring" in main_text(page)
    assert_accessible(page)


def test_supplier_sees_its_rating_and_replies_within_the_window(
    page: Any, seeded_live: dict[str, Any]
) -> None:
    sign_in(page, SUPPLIER_USER)

    follow(page, page.get_by_role("link", name="Assessments").first)
    assert_accessible(page)
    follow(page, page.locator("main a", has_text=REPLY_KPI).first)
    assert REPLY_KPI in main_text(page)
    assert "Requires improvement" in main_text(page)
    assert seeded_live["assessed_supplier"] in main_text(page)
    assert_accessible(page)

    follow(page, page.get_by_role("link", name="Reply to this rating"))
    assert heading(page) == "Reply to this rating"
    assert "You may reply until" in main_text(page)
    assert_accessible(page)
    reply = "Two of the slow extracts were delayed by the buyer's own change freeze."
    page.get_by_label("Your reply").fill(reply)
    follow(page, page.get_by_role("button", name="Send reply"))
    assert reply in main_text(page)
    assert "Reply to this rating" not in main_text(page)  # once only
    assert_accessible(page)
