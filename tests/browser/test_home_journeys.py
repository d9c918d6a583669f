"""Issue 18's homes through a real browser on the seeded registry: the officer's, the auditor's
and the supplier's, each reached by signing in, with axe-core on every page visited; and the
public home page and About page on the way."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry import clock
from registry.accounts.services import DatabaseUserService
from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.db import create_engine
from registry.records import Publication
from registry.scoring.assessments import services as assessments
from tests.browser.conftest import assert_accessible, follow
from tests.browser.test_trust_journeys import (
    heading,
    main_text,
    seeded_live,  # noqa: F401 (the seeded registry)
    sign_in,
)
from tests.common.live import LiveServer
from tests.conftest import TEST_PASSWORD

OFFICER = "home-officer@example.org"
AUDITOR = "home-auditor@example.org"
SUPPLIER_USER = "home-supplier@example.org"
WAITING_KPI = "Home journey KPI: call answering"  # its reply window is open
ACTIONABLE_KPI = "Home journey KPI: fix times"  # its reply window has closed


def plant(db: Session, contract: Contract, kpi: str, reply_due: datetime.date) -> None:
    data = assessments.AssessmentInput(
        kpi=kpi,
        period_start=datetime.date(2022, 4, 1),
        period_end=datetime.date(2023, 3, 31),
        rating="Approaching target",
        evidence="Quarterly service reports for 2022/23.",
    )
    a = assessments.create_for_contract(db, contract, data, None)
    assessments.submit(db, a, None, clock.today(), 10)
    a.reply_due = reply_due
    db.flush()


@pytest.fixture(scope="session")
def home_live(
    live_server: LiveServer,
    live_database_url: str,
    seeded_live: dict[str, Any],  # noqa: F811
) -> dict[str, Any]:
    """Users of each role for the homes, tied to the seed's first buyer and one of its
    suppliers, and two submitted assessments: one to reply to, one to review."""
    engine = create_engine(live_database_url)
    try:
        with Session(engine) as db, db.begin():
            buyer = db.scalars(sa.select(Buyer).order_by(Buyer.id)).first()
            assert buyer is not None
            # The buyer's latest published contract (the trust journeys use its first).
            published = sa.select(Contract).filter_by(
                buyer_id=buyer.id, publication=Publication.published, retracted_at=None
            )
            contract = db.scalars(published.order_by(Contract.id.desc())).first()
            assert contract is not None
            users = DatabaseUserService(db)
            if users.find_by_email(OFFICER) is None:
                organisations: dict[str, dict[str, int]] = {
                    OFFICER: {"buyer_id": buyer.id},
                    AUDITOR: {},
                    SUPPLIER_USER: {"supplier_id": contract.supplier_id},
                }
                for email, organisation in organisations.items():
                    role = email.split("@")[0].removeprefix("home-")
                    users.create_user(email, TEST_PASSWORD, role, **organisation)
                today = clock.today()
                plant(db, contract, WAITING_KPI, today + datetime.timedelta(days=9))
                plant(db, contract, ACTIONABLE_KPI, today - datetime.timedelta(days=1))
            return {"buyer": buyer.name, "supplier": contract.supplier.name}
    finally:
        engine.dispose()


def path(page: Any) -> str:
    return "/" + page.url.split("/", 3)[3]


def test_officer_lands_on_their_buyers_work(page: Any, home_live: dict[str, Any]) -> None:
    page.goto("/")
    assert_accessible(page)
    text = main_text(page)
    assert "The most concentrated markets" in text and "Open flags by detector" in text
    follow(page, page.locator("footer").get_by_role("link", name="About the registry"))
    assert heading(page) == "About the registry"
    assert_accessible(page)

    sign_in(page, OFFICER)
    assert path(page) == "/" and heading(page) == "Your work"
    text = main_text(page)
    assert home_live["buyer"] in text
    assert "Your contracts" in text and "Assessments due" in text
    assert_accessible(page)

    follow(page, page.get_by_role("link", name="Record a contract"))
    assert path(page) == "/contracts/new"
    follow(page, page.locator("header").get_by_role("link", name="Your work"))
    assert heading(page) == "Your work"
    follow(page, page.locator("header").get_by_role("link", name=f"Your account: {OFFICER}"))
    assert heading(page) == "Your account"
    assert f"an officer of {home_live['buyer']}" in main_text(page)
    assert_accessible(page)


def test_auditor_lands_on_the_queue_and_filters_the_audit_trail(
    page: Any, home_live: dict[str, Any]
) -> None:
    sign_in(page, AUDITOR)
    assert heading(page) == "Your work"
    queue = page.locator("#queue + p")
    assert "can be acted on now" in queue.inner_text()
    assert "Flags to triage" in main_text(page)
    assert_accessible(page)

    follow(page, page.get_by_role("link", name="Open the audit trail"))
    assert heading(page) == "Audit trail"
    page.get_by_label("Action").select_option(label="Assessment submitted")
    follow(page, page.get_by_role("button", name="Apply filters"))
    actions = page.locator("main tbody tr td:nth-child(4)").all_inner_texts()
    assert actions and set(actions) == {"Assessment submitted"}
    assert_accessible(page)

    page.get_by_label("Date from").fill("31/03/2024")
    follow(page, page.get_by_role("button", name="Apply filters"))
    summary = page.locator(".govuk-error-summary")
    assert "Date from must be a real date, like 2024-03-31" in summary.inner_text()
    assert_accessible(page)


def test_supplier_lands_on_ratings_to_reply_to(page: Any, home_live: dict[str, Any]) -> None:
    sign_in(page, SUPPLIER_USER)
    assert heading(page) == "Your work"
    assert home_live["supplier"] in main_text(page)
    row = page.locator("#replies ~ table tr", has_text=WAITING_KPI)
    assert "9 days left" in row.inner_text()
    assert ACTIONABLE_KPI not in page.locator("#replies ~ table").first.inner_text()
    assert_accessible(page)

    follow(page, row.get_by_role("link"))
    assert path(page).endswith("/reply")
    assert_accessible(page)

    page.goto("/assessments?mine=1")
    assert page.get_by_label("Only ratings of my organisation").is_checked()
    assert WAITING_KPI in main_text(page)
    assert_accessible(page)
