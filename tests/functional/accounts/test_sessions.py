"""Issue 20: sessions end when they should, and the cookie says nothing about the user.

Each test keeps a copy of a signed-in browser's cookie, does what should end the session, and
replays the copy: it must be anonymous, and a contract form posted with it writes nothing.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.accounts.models import UserSession
from registry.contracts.models import Contract
from registry.db import utcnow
from registry.sessions import SESSION_COOKIE
from tests.common.db.core import BuyerFactory, SupplierFactory
from tests.conftest import TEST_PASSWORD, app_on, login

NEW_PASSWORD = "violet kettle harbour 1987 drum"


@pytest.fixture
def signed_in_officer(
    wsgi_app: Any, db_connection: Any, make_user: Any
) -> tuple[Any, webtest.TestApp]:
    """An officer signed in in their own browser (`webtest_app` is then the admin's)."""
    officer = make_user("officer", buyer_id=BuyerFactory.create().id)
    browser = app_on(wsgi_app, db_connection)
    login(browser, officer.email)
    return officer, browser


def _replayed(app: webtest.TestApp, cookie: str) -> webtest.TestApp:
    """The browser holding only this copy of a session cookie."""
    app.reset()
    app.set_cookie(SESSION_COOKIE, cookie)
    return app


def _is_anonymous(app: webtest.TestApp) -> bool:
    home = app.get("/")
    page_needing_sign_in = app.get("/contracts/new", status=(200, 303))
    signed_in = "Sign out" in home.text or page_needing_sign_in.status_int == 200
    return not signed_in and "/login" in page_needing_sign_in.location


def _admin_acts(admin: webtest.TestApp, user_id: int, action: str, **fields: str) -> None:
    page = admin.get(f"/admin/users/{user_id}")
    (form,) = [f for f in page.forms.values() if f.action.endswith(action)]
    for name, value in fields.items():
        form[name] = value
    form.submit(status=303)


def _officer(make_user: Any) -> Any:
    return make_user("officer", buyer_id=BuyerFactory.create().id)


def test_a_cookie_replayed_after_sign_out_is_anonymous(
    webtest_app: webtest.TestApp, make_user: Any
) -> None:
    officer = _officer(make_user)
    login(webtest_app, officer.email)
    copy = webtest_app.cookies[SESSION_COOKIE]
    assert not _is_anonymous(webtest_app)
    webtest_app.get("/logout").forms[0].submit(status=303)
    assert _is_anonymous(_replayed(webtest_app, copy))


def test_sign_out_ends_the_users_other_sessions_too(
    webtest_app: webtest.TestApp, signed_in_officer: tuple[Any, webtest.TestApp]
) -> None:
    officer, phone = signed_in_officer
    laptop = webtest_app
    login(laptop, officer.email)
    laptop.get("/logout").forms[0].submit(status=303)
    assert _is_anonymous(phone)


def test_after_a_password_reset_the_old_cookie_cannot_write_a_contract(
    webtest_app: webtest.TestApp,
    login_as: Any,
    signed_in_officer: tuple[Any, webtest.TestApp],
    db_session: Session,
) -> None:
    SupplierFactory.create(companies_house_number="01234567")
    officer, officer_browser = signed_in_officer
    form = officer_browser.get("/contracts/new").forms[0]  # opened before the reset
    form["title"], form["supplier"] = "Written with a stale session", "01234567"
    form["value_amount"], form["currency"], form["award_date"] = "1000", "GBP", "2024-01-10"

    login_as("admin")
    _admin_acts(
        webtest_app,
        officer.id,
        "/password",
        **{
            "password-password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
            "password-reason": "Reported lost",
        },
    )

    form.submit(status=403)  # anonymous now: refused, as any unsigned POST is
    written = db_session.execute(
        sa.select(sa.func.count())
        .select_from(Contract)
        .where(Contract.title == "Written with a stale session")
    ).scalar_one()
    assert written == 0
    assert _is_anonymous(officer_browser)
    # The new password signs them in afresh.
    officer_browser.reset()
    assert "Sign out" in login(officer_browser, officer.email, NEW_PASSWORD).text


# What an admin does to a user that must end the user's sessions (reactivation must not revive
# the sessions deactivation ended).
ENDING_CHANGES = {
    "deactivated then reactivated": [
        ("/deactivate", {"status-reason": "On leave"}),
        ("/reactivate", {"status-reason": "Back"}),
    ],
    "role changed": [
        ("/role", {"role-role": "auditor", "role-organisation": "", "role-reason": "New job"})
    ],
}


@pytest.mark.parametrize("changes", ENDING_CHANGES.values(), ids=list(ENDING_CHANGES))
def test_an_admins_change_ends_the_users_sessions(
    webtest_app: webtest.TestApp,
    login_as: Any,
    signed_in_officer: tuple[Any, webtest.TestApp],
    changes: list[tuple[str, dict[str, str]]],
) -> None:
    officer, officer_browser = signed_in_officer
    copy = officer_browser.cookies[SESSION_COOKIE]

    login_as("admin")
    for action, fields in changes:
        _admin_acts(webtest_app, officer.id, action, **fields)

    assert _is_anonymous(_replayed(officer_browser, copy))
    officer_browser.reset()
    assert "Sign out" in login(officer_browser, officer.email).text  # afresh, they can


def test_an_expired_session_is_anonymous(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    officer = _officer(make_user)
    login(webtest_app, officer.email)
    db_session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == officer.id)
        .values(expires=utcnow() - datetime.timedelta(seconds=1))
    )
    db_session.commit()
    assert _is_anonymous(webtest_app)


def _cookie_payload(cookie: str) -> Any:
    """What a reader of the cookie sees: Pyramid's signed cookie is base64 of a 64-byte
    HMAC-SHA512 signature followed by the JSON session."""
    raw = base64.urlsafe_b64decode(cookie.strip('"') + "=" * (-len(cookie.strip('"')) % 4))
    return raw, json.loads(raw[64:])


def test_the_cookie_carries_no_email_and_no_user_id(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    officer = _officer(make_user)
    form = webtest_app.get("/login").forms[0]
    form["email"], form["password"] = officer.email, TEST_PASSWORD
    response = form.submit(status=303)  # the cookie that carries the sign-in's flash
    cookies = [webtest_app.cookies[SESSION_COOKIE]]
    page = response.follow()
    assert f"Signed in as {officer.email}" in page.text  # the page still says whom as
    cookies.append(webtest_app.cookies[SESSION_COOKIE])

    for cookie in cookies:
        raw, (_accessed, _created, data) = _cookie_payload(cookie)
        assert officer.email.encode() not in raw
        assert officer.email.split("@")[0].encode() not in raw
        assert b"userid" not in raw
        values = json.dumps(data)
        assert str(officer.id) not in [str(v) for v in data.values()]
        assert "officer" not in values
    # The token in the cookie is not what the database keeps: a copy of the table opens nothing.
    _raw, (_a, _c, data) = _cookie_payload(cookies[-1])
    (token,) = [v for k, v in data.items() if "token" in k and k != "_csrft_"]
    stored = db_session.execute(
        sa.select(UserSession.id).where(UserSession.user_id == officer.id)
    ).scalar_one()
    assert stored != token and len(token) >= 40


def test_signed_in_responses_are_private_and_not_stored(
    webtest_app: webtest.TestApp, make_user: Any
) -> None:
    anonymous = webtest_app.get("/")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    assert "no-store" not in webtest_app.get("/contracts").headers.get("Cache-Control", "")

    login(webtest_app, _officer(make_user).email)
    for path, status in (
        ("/", 200),
        ("/contracts", 200),
        ("/contracts/new", 200),
        ("/nowhere", 404),
    ):
        response = webtest_app.get(path, status=status)
        assert response.headers["Cache-Control"] == "private, no-store", path


def test_using_a_session_keeps_it_alive(
    webtest_app: webtest.TestApp, make_user: Any, db_session: Session
) -> None:
    officer = _officer(make_user)
    login(webtest_app, officer.email)
    now = utcnow()
    db_session.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == officer.id)
        .values(
            last_seen=now - datetime.timedelta(hours=2), expires=now + datetime.timedelta(minutes=1)
        )
    )
    db_session.commit()
    assert not _is_anonymous(webtest_app)
    db_session.expire_all()
    session = db_session.execute(
        sa.select(UserSession).where(UserSession.user_id == officer.id)
    ).scalar_one()
    assert session.expires > now + datetime.timedelta(hours=7)
    assert session.last_seen >= now
