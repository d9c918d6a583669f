from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry.accounts.services import DatabaseUserService
from registry.db import create_engine
from tests.browser.conftest import assert_accessible, follow
from tests.conftest import TEST_PASSWORD


def _add_user(database_url: str, email: str, role: str) -> None:
    engine = create_engine(database_url)
    with Session(engine) as db, db.begin():
        if DatabaseUserService(db).find_by_email(email) is None:
            DatabaseUserService(db).create_user(email, TEST_PASSWORD, role)
    engine.dispose()


def test_auditor_signs_in_and_reads_the_audit_trail(page: Any, live_database_url: str) -> None:
    _add_user(live_database_url, "journey-auditor@example.org", "auditor")

    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "Supplier Accountability Registry"
    assert_accessible(page)

    follow(page, page.get_by_role("link", name="Sign in"))
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("journey-auditor@example.org")
    page.get_by_label("Password").fill("a wrong password")
    follow(page, page.get_by_role("button", name="Sign in"))
    assert (
        "The e-mail address or password is not right"
        in page.locator(".govuk-error-summary").inner_text()
    )
    assert_accessible(page)

    page.get_by_label("E-mail address").fill("journey-auditor@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    follow(page, page.get_by_role("button", name="Sign in"))
    assert "Signed in as journey-auditor@example.org" in page.content()

    page.goto("/audit")
    assert "The chain is intact" in page.inner_text("main")
    assert "Account sign-in failed" in page.inner_text("main")  # actions in words (issue 18)
    assert_accessible(page)
