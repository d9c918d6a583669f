"""The public and officer journeys of issue 9 through a real browser on the seeded registry, with
axe-core on every page visited. (The markets, flags, review and search parts of the issue's
journeys are left for a later session.)"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.accounts.services import DatabaseUserService
from registry.buyers.models import Buyer
from registry.db import create_engine
from registry.frameworks.models import Framework
from registry.seed.loader import load_seed_data
from registry.suppliers.models import Supplier
from tests.browser.conftest import assert_accessible
from tests.conftest import TEST_PASSWORD

OFFICER = "journey-officer@example.org"


@pytest.fixture(scope="session")
def seeded_live(live_database_url: str) -> dict[str, Any]:
    """The real seed data in the live server's database, and an officer of one seeded buyer."""
    engine = create_engine(live_database_url)
    try:
        with Session(engine) as db, db.begin():
            if db.scalar(sa.select(sa.func.count()).select_from(Framework)) == 0:
                load_seed_data(db)
            buyer = db.scalars(sa.select(Buyer).order_by(Buyer.id)).first()
            assert buyer is not None
            users = DatabaseUserService(db)
            if users.find_by_email(OFFICER) is None:
                users.create_user(OFFICER, TEST_PASSWORD, "officer", buyer_id=buyer.id)
            supplier = db.scalars(sa.select(Supplier).order_by(Supplier.id)).first()
            assert supplier is not None
            return {
                "buyer": buyer.name,
                "supplier": supplier.name,
            }
    finally:
        engine.dispose()


def test_public_journey_from_home_to_contracts(page: Any, seeded_live: dict[str, Any]) -> None:
    page.goto("/")
    assert_accessible(page)

    page.get_by_role("link", name="Frameworks").first.click()
    assert page.get_by_role("heading", level=1).inner_text().strip() != ""
    assert_accessible(page)

    # The list links each framework by its reference, in the row that gives its title.
    row = page.locator("main tr", has_text="GP Systems of Choice").first
    row.get_by_role("link").first.click()
    assert "GP Systems of Choice" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)

    supplier_link = page.locator("main a[href^='/suppliers/']").first
    name = supplier_link.inner_text().strip()
    supplier_link.click()
    assert name in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Contracts").first.click()
    assert page.url.split("?")[0].endswith("/contracts")
    assert page.locator("main table tbody tr").count() > 0
    assert_accessible(page)


def test_officer_records_and_publishes_a_contract(page: Any, seeded_live: dict[str, Any]) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(OFFICER)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert f"Signed in as {OFFICER}" in page.content()

    page.goto("/contracts/new")
    assert_accessible(page)
    title = "Browser journey: practice IT support"
    page.get_by_label("Title").fill(title)
    page.locator("[name=supplier]").fill(seeded_live["supplier"])
    page.locator("[name=value_amount]").fill("12500")
    page.locator("[name=award_date]").fill("2024-01-10")
    page.locator("[name=start_date]").fill("2024-02-01")
    page.locator("[name=end_date]").fill("2025-01-31")
    page.get_by_role("button", name="Save draft").click()

    heading = page.get_by_role("heading", level=1).inner_text()
    assert title in heading, page.inner_text("main")
    assert "draft" in page.inner_text("main").lower()
    assert seeded_live["buyer"] in page.inner_text("main")
    assert_accessible(page)

    page.locator("main a[href$='/publish'], main form[action$='/publish'] button").first.click()
    if page.url.endswith("/publish"):
        assert_accessible(page)
        page.get_by_role("button", name="Publish").click()
    assert "published" in page.inner_text("body").lower()
    assert_accessible(page)

    # Signed out, the public sees it now.
    page.goto("/logout")
    page.get_by_role("button").first.click()
    page.goto("/contracts")
    assert title in page.inner_text("main")
