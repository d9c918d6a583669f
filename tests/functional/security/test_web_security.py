"""Issue 9's security checks not generated from the route table (those are in
test_access_matrix.py: every route by every role, CSRF on every unsafe route, security headers on
every response): session fixation, open redirects, the password policy, headers on assets and
error pages. Login rate limiting and API token revocation: tests/functional/test_accounts.py
and tests/functional/api/test_api.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.accounts.services import AccountError, DatabaseUserService
from tests.conftest import TEST_PASSWORD, login
from tests.functional.security.test_access_matrix import missing_headers

SESSION = "registry_session"


def test_the_session_changes_at_sign_in_so_a_planted_one_is_worthless(
    webtest_app: webtest.TestApp, make_user: Any
) -> None:
    user = make_user("auditor")
    page = webtest_app.get("/login")
    planted = webtest_app.cookies[SESSION]  # what an attacker could have fixed in the browser
    token_before = page.forms[0]["csrf_token"].value

    assert f"Signed in as {user.email}" in login(webtest_app, user.email).text
    assert webtest_app.cookies[SESSION] != planted
    token_after = webtest_app.get("/logout").forms[0]["csrf_token"].value
    assert token_after != token_before

    # The victim's sign-in did nothing for whoever holds the planted cookie.
    attacker = webtest.TestApp(webtest_app.app, extra_environ=webtest_app.extra_environ)
    attacker.set_cookie(SESSION, planted)
    assert attacker.get("/audit").status_int == 303  # sent to sign in
    assert user.email not in attacker.get("/").text


OFF_SITE = [
    "//evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/%2F%2Fevil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_redirects_off_the_site(
    webtest_app: webtest.TestApp, make_user: Any, target: str
) -> None:
    user = make_user("auditor")
    form = webtest_app.get("/login", params={"next": target}).forms[0]
    form["email"], form["password"] = user.email, TEST_PASSWORD
    response = form.submit(status=303)
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc) == ("http", "localhost"), location


COMMON = ["password1234", "qwertyuiop123", "iloveyou1234", "123456789012", "aaaaaaaaaaaa"]


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_with_a_message_and_nothing_written(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session, password: str
) -> None:
    login_as("admin")
    page = webtest_app.get("/admin/users/new")
    form = next(f for f in page.forms.values() if f.action.endswith("/admin/users/new"))
    form["email"], form["role"] = "weak@example.org", "auditor"
    form["password"] = form["confirm"] = password
    refused = form.submit(status=400)
    assert "Choose a password that is harder to guess" in refused.text
    assert 'href="#password"' in refused.text  # the error summary names the field
    count = sa.select(sa.func.count()).select_from(User).where(User.email == "weak@example.org")
    assert db_session.scalar(count) == 0


def test_the_policy_holds_outside_the_forms_too(db_session: Session) -> None:
    """The service refuses what the forms refuse: the CLI and anything else go through it."""
    users = DatabaseUserService(db_session)
    with pytest.raises(AccountError, match="at least 12 characters"):
        users.create_user("short@example.org", "Tr0ub4dor&3", "auditor")
    with pytest.raises(AccountError, match="harder to guess"):
        users.create_user("common@example.org", "password1234", "auditor")
    assert users.create_user("fine@example.org", "pigeon lantern oboe drift", "auditor").id


@pytest.mark.parametrize(
    "path",
    ["/static/dist/app.css", "/assets/images/favicon.svg", "/no/such/page", "/api/v1/nothing"],
)
def test_assets_and_error_pages_carry_the_security_headers(
    webtest_app: webtest.TestApp, path: str
) -> None:
    response = webtest_app.get(path, status="*")
    assert response.status_int in (200, 404)
    assert missing_headers(path, response) == []
