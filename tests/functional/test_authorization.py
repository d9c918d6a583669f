from __future__ import annotations

from typing import Any

import pytest
import webtest


def test_anonymous_user_is_sent_to_sign_in(webtest_app: webtest.TestApp) -> None:
    response = webtest_app.get("/audit", status=303)
    assert response.location.startswith("http://localhost/login?next=%2Faudit")


@pytest.mark.parametrize("role", ["officer", "supplier"])
def test_audit_trail_is_refused_to_the_wrong_role(
    webtest_app: webtest.TestApp, login_as: Any, role: str
) -> None:
    login_as(role)
    page = webtest_app.get("/audit", status=403)
    assert "You do not have permission" in page.text


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_audit_trail_is_shown_to_auditors_and_admins(
    webtest_app: webtest.TestApp, login_as: Any, role: str
) -> None:
    user = login_as(role)
    page = webtest_app.get("/audit")
    assert "The chain is intact" in page.text
    assert "account.logged_in" in page.text
    assert user.email in page.text
