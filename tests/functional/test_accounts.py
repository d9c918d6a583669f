from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.accounts.throttle import PER_CLIENT_ACCOUNT
from registry.audit.models import AuditEvent
from tests.conftest import TEST_PASSWORD, login


def _count(db: Session, model: Any, *where: Any) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def test_login_and_logout(webtest_app: webtest.TestApp, make_user: Any) -> None:
    user = make_user("auditor")
    page = login(webtest_app, user.email)
    assert f"Signed in as {user.email}" in page.text
    assert "Sign out" in page.text
    cookie = webtest_app.cookies["registry_session"]
    assert cookie

    # Sign-out is a POST with the CSRF token, from the confirmation page.
    confirm = webtest_app.get("/logout")
    out = confirm.forms[0].submit().follow()
    assert "Sign in" in out.text
    assert user.email not in out.text


def test_session_cookie_is_httponly_and_lax(webtest_app: webtest.TestApp, make_user: Any) -> None:
    user = make_user("officer")
    form = webtest_app.get("/login").forms[0]
    form["email"], form["password"] = user.email, TEST_PASSWORD
    response = form.submit()
    set_cookie = ",".join(response.headers.getall("Set-Cookie"))
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie


def test_wrong_password_is_refused_and_audited(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    user = make_user("officer")
    form = webtest_app.get("/login").forms[0]
    form["email"], form["password"] = user.email, "not the password at all"
    page = form.submit(status=400)
    assert "The e-mail address or password is not right" in page.text
    assert "Signed in" not in page.text
    failed = _count(
        db_session,
        AuditEvent,
        AuditEvent.action == "account.login_failed",
        AuditEvent.subject_id == user.email,
    )
    assert failed == 1


def test_unknown_email_gets_the_same_message(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    form = webtest_app.get("/login").forms[0]
    form["email"], form["password"] = "nobody@example.org", "whatever it is"
    page = form.submit(status=400)
    assert "The e-mail address or password is not right" in page.text


def test_login_is_rate_limited(webtest_app: webtest.TestApp, make_user: Any) -> None:
    user = make_user("officer")
    for _ in range(PER_CLIENT_ACCOUNT):
        form = webtest_app.get("/login").forms[0]
        form["email"], form["password"] = user.email, "wrong password!"
        form.submit(status=400)
    form = webtest_app.get("/login").forms[0]
    form["email"], form["password"] = user.email, TEST_PASSWORD  # right, but too late
    page = form.submit(status=429)
    assert "Too many failed sign-in attempts" in page.text


def test_missing_csrf_token_is_refused_and_writes_nothing(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    user = make_user("officer")
    before = _count(db_session, AuditEvent)
    page = webtest_app.post("/login", {"email": user.email, "password": TEST_PASSWORD}, status=400)
    assert "did not come from this site" in page.text
    assert "Traceback" not in page.text
    assert _count(db_session, AuditEvent) == before


def test_overlong_and_malformed_fields_name_the_field(webtest_app: webtest.TestApp) -> None:
    form = webtest_app.get("/login").forms[0]
    form["email"], form["password"] = "x" * 400 + "@example.org", "p" * 2000
    page = form.submit(status=400)
    assert "E-mail address must be 320 characters or fewer" in page.text
    assert "Password must be 1024 characters or fewer" in page.text
    form = webtest_app.get("/login").forms[0]
    form["email"], form["password"] = "", ""
    page = form.submit(status=400)
    assert "Enter your e-mail address" in page.text
    assert 'href="#email"' in page.text  # the error summary links to the field


def test_non_utf8_body_is_a_400_not_a_500(webtest_app: webtest.TestApp) -> None:
    webtest_app.get("/login")
    response = webtest_app.post(
        "/login",
        b"email=\xff\xfe&password=\xc3\x28",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        status=400,
    )
    assert "Traceback" not in response.text


def test_next_parameter_cannot_leave_the_site(webtest_app: webtest.TestApp, make_user: Any) -> None:
    user = make_user("auditor")
    form = webtest_app.get("/login?next=//evil.example/").forms[0]
    form["email"], form["password"] = user.email, TEST_PASSWORD
    response = form.submit(status=303)
    assert response.location == "http://localhost/"
    webtest_app.get("/logout").forms[0].submit()
    form = webtest_app.get("/login?next=/audit").forms[0]
    form["email"], form["password"] = user.email, TEST_PASSWORD
    assert form.submit(status=303).location == "http://localhost/audit"
