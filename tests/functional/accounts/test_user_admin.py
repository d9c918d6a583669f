"""Admins' user pages: list, add, change role, deactivate, reactivate, set a password."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.authnz import Role
from tests.common.db.core import BuyerFactory, SupplierFactory
from tests.conftest import TEST_PASSWORD, login

NEW_PASSWORD = "a brand new passphrase"


def _user(db: Session, user_id: int) -> User:
    db.expire_all()
    user = db.get(User, user_id)
    assert user is not None
    return user


def _events(db: Session, action: str, user_id: int) -> list[AuditEvent]:
    return list(
        db.execute(
            sa.select(AuditEvent)
            .where(
                AuditEvent.action == action,
                AuditEvent.subject_type == "user",
                AuditEvent.subject_id == str(user_id),
            )
            .order_by(AuditEvent.seq)
        ).scalars()
    )


def _user_count(db: Session) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()


def _new_user_form(app: webtest.TestApp, **values: str) -> webtest.Form:
    form = _action_form(app.get("/admin/users/new"), "/admin/users/new")
    defaults = {
        "email": "new.officer@example.org",
        "name": "New Officer",
        "role": "officer",
        "organisation": "",
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    for key, value in {**defaults, **values}.items():
        if key == "role":
            form[key].force_value(value)  # also values the select does not offer
        else:
            form[key] = value
    return form


def _login_refused(app: webtest.TestApp, email: str, password: str) -> None:
    form = app.get("/login").forms[0]
    form["email"], form["password"] = email, password
    page = form.submit(status=400)
    assert "The e-mail address or password is not right" in page.text


def _listed(page: webtest.TestResponse) -> list[str]:
    """The e-mail addresses in the users table, in order (the header also shows the admin's)."""
    return [a.text for a in page.html.select("table.govuk-table tbody a")]


def _action_form(page: webtest.TestResponse, action: str) -> webtest.Form:
    for form in page.forms.values():
        if form.action.endswith(action):
            return form
    raise AssertionError(f"no form posting to {action}")


# --- Who may use the pages -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new", "/admin/users/1"])
def test_anonymous_users_are_sent_to_sign_in(webtest_app: webtest.TestApp, path: str) -> None:
    response = webtest_app.get(path, status=303)
    assert "/login?next=" in response.location


@pytest.mark.parametrize("role", ["officer", "auditor", "supplier"])
def test_other_roles_are_refused(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session, role: str
) -> None:
    other = make_user("auditor")
    login_as(role)
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{other.id}"):
        webtest_app.get(path, status=403)
    token = webtest_app.get("/login").forms[0]["csrf_token"].value
    webtest_app.post(
        f"/admin/users/{other.id}/deactivate",
        {"csrf_token": token, "status-reason": "no"},
        status=403,
    )
    assert _user(db_session, other.id).is_active
    page = webtest_app.get("/")
    assert 'href="/admin/users"' not in page.text


def test_admins_see_users_in_the_navigation(webtest_app: webtest.TestApp, login_as: Any) -> None:
    login_as("admin")
    assert 'href="/admin/users"' in webtest_app.get("/").text


def test_posts_without_csrf_are_refused(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    login_as("admin")
    other = make_user("auditor")
    webtest_app.post(f"/admin/users/{other.id}/deactivate", {"status-reason": "left"}, status=400)
    assert _user(db_session, other.id).is_active
    assert _events(db_session, "account.deactivated", other.id) == []


def test_unknown_user_is_not_found(webtest_app: webtest.TestApp, login_as: Any) -> None:
    login_as("admin")
    webtest_app.get("/admin/users/999999", status=404)


# --- The list --------------------------------------------------------------------------------


def test_list_shows_role_organisation_status_and_last_sign_in(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    buyer = BuyerFactory.create(name="Leeds Teaching Hospitals")
    supplier = SupplierFactory.create(name="EMIS Health Ltd")
    officer = make_user("officer", email="officer@leeds.example", buyer_id=buyer.id)
    make_user("supplier", email="rep@emis.example", supplier_id=supplier.id)
    admin = login_as("admin")
    page = webtest_app.get("/admin/users")
    assert "officer@leeds.example" in page.text
    assert f'href="/buyers/{buyer.id}">Leeds Teaching Hospitals</a>' in page.text
    assert f'href="/suppliers/{supplier.id}">EMIS Health Ltd</a>' in page.text
    assert f'href="/admin/users/{officer.id}"' in page.text
    # The admin has just signed in; the officer never has.
    row = page.html.find("a", string=admin.email).find_parent("tr")
    assert "Never" not in row.text
    row = page.html.find("a", string="officer@leeds.example").find_parent("tr")
    assert "Never" in row.text
    assert "Active" in row.text


def test_list_filters_by_role_status_and_email(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    make_user("auditor", email="alice.auditor@example.org")
    gone = make_user("auditor", email="bob.auditor@example.org")
    gone.is_active = False
    db_session.commit()
    admin = login_as("admin")

    page = webtest_app.get("/admin/users", {"role": "auditor"})
    assert _listed(page) == ["alice.auditor@example.org", "bob.auditor@example.org"]

    page = webtest_app.get("/admin/users", {"active": "no"})
    assert _listed(page) == ["bob.auditor@example.org"]
    assert "Deactivated" in page.text

    page = webtest_app.get("/admin/users", {"active": "yes", "role": "admin"})
    assert _listed(page) == [admin.email]

    page = webtest_app.get("/admin/users", {"q": "ALICE"})
    assert _listed(page) == ["alice.auditor@example.org"]

    # Wildcards are matched literally.
    page = webtest_app.get("/admin/users", {"q": "%"})
    assert "No users match these filters" in page.text


def test_list_refuses_bad_filters_with_a_message(
    webtest_app: webtest.TestApp, login_as: Any
) -> None:
    admin = login_as("admin")
    page = webtest_app.get("/admin/users", {"role": "king", "active": "maybe", "sort": "x"})
    assert "Role must be one of the roles listed" in page.text
    assert "Status must be active or deactivated" in page.text
    assert admin.email in _listed(page)


def test_list_sorts_and_paginates(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any
) -> None:
    for n in range(26):
        make_user("auditor", email=f"user{n:02d}@example.org")
    login_as("admin", email="zz-admin@example.org")
    first = webtest_app.get("/admin/users", {"sort": "email"})
    assert "Showing 1 to 25 of 27 users" in first.text
    assert first.text.index("user00@example.org") < first.text.index("user01@example.org")
    assert "zz-admin@example.org" not in _listed(first)
    second = webtest_app.get("/admin/users", {"sort": "email", "page": "2"})
    assert _listed(second) == ["user25@example.org", "zz-admin@example.org"]
    # Most recent sign-in first: the admin who just signed in heads the list.
    recent = webtest_app.get("/admin/users", {"sort": "last_login"})
    assert _listed(recent)[0] == "zz-admin@example.org"


def test_list_sorts_by_role(webtest_app: webtest.TestApp, login_as: Any, make_user: Any) -> None:
    make_user("officer", email="aaa-officer@example.org")
    login_as("admin", email="zzz-admin@example.org")
    page = webtest_app.get("/admin/users", {"sort": "role"})
    links = _listed(page)
    assert links.index("zzz-admin@example.org") < links.index("aaa-officer@example.org")


# --- Adding a user ---------------------------------------------------------------------------


def test_admin_adds_an_officer_who_can_sign_in(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    buyer = BuyerFactory.create(identifier="RR8")
    admin = login_as("admin")
    form = _new_user_form(webtest_app, email="New.Officer@Example.org", organisation="RR8")
    page = form.submit(status=303).follow()
    assert "Added the user as officer" in page.text
    assert "new.officer@example.org" in page.text  # on the user's page, not in the flash
    user = db_session.execute(
        sa.select(User).where(User.email == "new.officer@example.org")
    ).scalar_one()
    assert (user.role, user.buyer_id, user.supplier_id, user.name) == (
        Role.officer,
        buyer.id,
        None,
        "New Officer",
    )
    (event,) = _events(db_session, "account.created", user.id)
    assert event.actor_id == admin.id
    assert event.after is not None and event.after["buyer_id"] == buyer.id
    assert NEW_PASSWORD not in str(event.after)

    webtest_app.reset()
    assert (
        "Signed in as new.officer@example.org"
        in login(webtest_app, "new.officer@example.org", NEW_PASSWORD).text
    )


def test_admin_adds_a_supplier_user_by_companies_house_number(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    supplier = SupplierFactory.create(companies_house_number="01234567")
    login_as("admin")
    _new_user_form(
        webtest_app, email="rep@supplier.example", role="supplier", organisation="1234567"
    ).submit(status=303)
    user = db_session.execute(
        sa.select(User).where(User.email == "rep@supplier.example")
    ).scalar_one()
    assert (user.role, user.supplier_id, user.buyer_id) == (Role.supplier, supplier.id, None)


def test_admin_adds_an_auditor_without_organisation(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    login_as("admin")
    _new_user_form(webtest_app, email="aud@example.org", role="auditor").submit(status=303)
    user = db_session.execute(sa.select(User).where(User.email == "aud@example.org")).scalar_one()
    assert (user.role, user.buyer_id, user.supplier_id) == (Role.auditor, None, None)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "Enter an e-mail address in the right form"),
        ({"email": ""}, "email", "Enter the user&#39;s e-mail address"),
        ({"name": ""}, "name", "Enter the user&#39;s full name"),
        ({"role": "emperor"}, "role", "Not a valid choice"),
        ({"password": "short", "confirm": "short"}, "password", "between 12 and 1024"),
        ({"confirm": "something else entirely"}, "confirm", "The passwords do not match"),
        ({"organisation": ""}, "organisation", "An officer must work for a buyer"),
        (
            {"organisation": "NOPE1"},
            "organisation",
            "There is no buyer with name, identifier or registry number",
        ),
        (
            {"role": "supplier", "organisation": ""},
            "organisation",
            "A supplier user must speak for a supplier",
        ),
        (
            {"role": "supplier", "organisation": "99999999"},
            "organisation",
            "There is no supplier with number or name",
        ),
        (
            {"role": "auditor", "organisation": "RR8"},
            "organisation",
            "An auditor does not act for an organisation",
        ),
        (
            {"role": "admin", "organisation": "RR8"},
            "organisation",
            "An admin does not act for an organisation",
        ),
    ],
)
def test_new_user_bad_input_is_refused_and_nothing_written(
    webtest_app: webtest.TestApp,
    login_as: Any,
    db_session: Session,
    values: dict[str, str],
    field: str,
    message: str,
) -> None:
    BuyerFactory.create(identifier="RR8")
    login_as("admin")
    before = _user_count(db_session)
    form = _new_user_form(webtest_app, **{"organisation": "RR8", **values})
    page = form.submit(status=400)
    assert message in page.text
    assert f'href="#{field}"' in page.text
    assert _user_count(db_session) == before


def test_new_user_form_shows_every_problem_at_once(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    login_as("admin")
    before = _user_count(db_session)
    page = _new_user_form(webtest_app, name="", confirm="not the same").submit(status=400)
    assert "Enter the user&#39;s full name" in page.text
    assert "The passwords do not match" in page.text
    assert "An officer must work for a buyer" in page.text
    assert _user_count(db_session) == before


def test_duplicate_email_is_refused(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    make_user("auditor", email="taken@example.org")
    login_as("admin")
    before = _user_count(db_session)
    page = _new_user_form(webtest_app, email="TAKEN@example.org", role="auditor").submit(status=400)
    assert "A user with the e-mail taken@example.org already exists" in page.text
    assert 'href="#email"' in page.text
    assert _user_count(db_session) == before


# --- The user page and its actions ------------------------------------------------------------


def test_user_page_shows_details_and_audit_events(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any
) -> None:
    buyer = BuyerFactory.create(name="Bradford District Care")
    officer = make_user("officer", email="o@bradford.example", name="Olu", buyer_id=buyer.id)
    login(webtest_app, officer.email)  # a logged_in event the officer acted in
    webtest_app.reset()
    login_as("admin")
    page = webtest_app.get(f"/admin/users/{officer.id}")
    assert "o@bradford.example" in page.text
    assert "Olu" in page.text
    assert f'href="/buyers/{buyer.id}">Bradford District Care</a>' in page.text
    assert "account.created" in page.text
    assert "account.logged_in" in page.text
    assert "Deactivate user" in page.text


def test_change_role_to_supplier_user(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    buyer = BuyerFactory.create()
    supplier = SupplierFactory.create()
    officer = make_user("officer", buyer_id=buyer.id)
    admin = login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{officer.id}"), "/role")
    assert form["role-organisation"].value == str(buyer.id)  # the current organisation
    form["role-role"] = "supplier"
    form["role-organisation"] = str(supplier.id)
    form["role-reason"] = "Moved to the supplier side"
    page = form.submit(status=303).follow()
    assert "is now supplier" in page.text
    user = _user(db_session, officer.id)
    assert (user.role, user.buyer_id, user.supplier_id) == (Role.supplier, None, supplier.id)
    (event,) = _events(db_session, "account.role_changed", officer.id)
    assert event.before == {"role": "officer", "buyer_id": buyer.id, "supplier_id": None}
    assert event.after == {"role": "supplier", "buyer_id": None, "supplier_id": supplier.id}
    assert event.reason == "Moved to the supplier side"
    assert event.actor_id == admin.id


@pytest.mark.parametrize(
    ("role", "organisation", "reason", "message"),
    [
        ("auditor", "", "", "Enter the reason for the change"),
        ("officer", "", "why", "An officer must work for a buyer"),
        ("officer", "NOPE1", "why", "There is no buyer with name, identifier or registry number"),
        ("auditor", "1", "why", "An auditor does not act for an organisation"),
        ("supplier", "", "why", "A supplier user must speak for a supplier"),
        ("auditor", "", "why", "The role and organisation are the same as now"),
    ],
)
def test_change_role_bad_input_is_refused(
    webtest_app: webtest.TestApp,
    login_as: Any,
    make_user: Any,
    db_session: Session,
    role: str,
    organisation: str,
    reason: str,
    message: str,
) -> None:
    auditor = make_user("auditor")
    login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{auditor.id}"), "/role")
    form["role-role"], form["role-organisation"], form["role-reason"] = role, organisation, reason
    page = form.submit(status=400)
    assert message in page.text
    assert (_user(db_session, auditor.id).role, _user(db_session, auditor.id).buyer_id) == (
        Role.auditor,
        None,
    )
    assert _events(db_session, "account.role_changed", auditor.id) == []


def test_admin_cannot_remove_their_own_admin_role(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    admin = login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{admin.id}"), "/role")
    form["role-role"], form["role-reason"] = "auditor", "stepping down"
    page = form.submit(status=400)
    assert "You cannot remove your own admin role" in page.text
    assert _user(db_session, admin.id).role == Role.admin
    assert _events(db_session, "account.role_changed", admin.id) == []


def test_admin_can_demote_another_admin(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    other = make_user("admin")
    login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{other.id}"), "/role")
    form["role-role"], form["role-reason"] = "auditor", "changed jobs"
    form.submit(status=303)
    assert _user(db_session, other.id).role == Role.auditor


def test_deactivated_user_cannot_sign_in_and_their_session_is_dropped(
    wsgi_app: Any,
    db_connection: Any,
    webtest_app: webtest.TestApp,
    login_as: Any,
    make_user: Any,
    db_session: Session,
) -> None:
    officer = make_user("officer", buyer_id=BuyerFactory.create().id)
    # The officer's own browser, signed in before the change.
    officer_browser = webtest.TestApp(
        wsgi_app, extra_environ={"registry.db_connection": db_connection, "HTTP_HOST": "localhost"}
    )
    assert "Sign out" in login(officer_browser, officer.email).text

    admin = login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{officer.id}"), "/deactivate")
    form["status-reason"] = "Left the trust"
    page = form.submit(status=303).follow()
    assert "can no longer sign in" in page.text
    assert "Reactivate user" in page.text
    assert _user(db_session, officer.id).is_active is False
    (event,) = _events(db_session, "account.deactivated", officer.id)
    assert (event.before, event.after) == ({"is_active": True}, {"is_active": False})
    assert (event.reason, event.actor_id) == ("Left the trust", admin.id)

    # The open session no longer signs them in: a page needing sign-in sends them to sign in.
    home = officer_browser.get("/")
    assert "Sign out" not in home.text
    officer_browser.get("/contracts/new", status=303)
    # Nor can they sign in again.
    officer_browser.reset()
    _login_refused(officer_browser, officer.email, TEST_PASSWORD)

    # Reactivated, they can.
    form = _action_form(webtest_app.get(f"/admin/users/{officer.id}"), "/reactivate")
    form["status-reason"] = "Came back"
    form.submit(status=303)
    assert _user(db_session, officer.id).is_active is True
    (event,) = _events(db_session, "account.reactivated", officer.id)
    assert event.reason == "Came back"
    assert "Sign out" in login(officer_browser, officer.email).text


def test_deactivate_needs_a_reason(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    other = make_user("auditor")
    login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{other.id}"), "/deactivate")
    form["status-reason"] = "   "
    page = form.submit(status=400)
    assert "Enter the reason for the change" in page.text
    assert 'href="#status-reason"' in page.text
    assert _user(db_session, other.id).is_active is True


def test_reactivate_needs_a_reason(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    other = make_user("auditor")
    other.is_active = False
    db_session.commit()
    login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{other.id}"), "/reactivate")
    page = form.submit(status=400)
    assert "Enter the reason for the change" in page.text
    assert _user(db_session, other.id).is_active is False


def test_admin_cannot_deactivate_themselves(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    admin = login_as("admin")
    page = webtest_app.get(f"/admin/users/{admin.id}")
    assert "You cannot deactivate your own account" in page.text
    token = webtest_app.get("/login").forms[0]["csrf_token"].value
    page = webtest_app.post(
        f"/admin/users/{admin.id}/deactivate",
        {"csrf_token": token, "status-reason": "oops"},
        status=400,
    )
    assert "You cannot deactivate your own account" in page.text
    assert _user(db_session, admin.id).is_active is True
    assert _events(db_session, "account.deactivated", admin.id) == []


def test_set_a_new_password(
    webtest_app: webtest.TestApp, login_as: Any, make_user: Any, db_session: Session
) -> None:
    other = make_user("auditor")
    old_hash = other.password_hash
    login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{other.id}"), "/password")
    form["password-password"] = NEW_PASSWORD
    form["password-confirm"] = NEW_PASSWORD
    form["password-reason"] = "Forgot it"
    assert "Set a new password" in form.submit(status=303).follow().text
    user = _user(db_session, other.id)
    assert user.password_hash != old_hash
    (event,) = _events(db_session, "account.password_set", other.id)
    assert event.reason == "Forgot it"
    assert user.password_hash not in str(event.after)

    webtest_app.reset()
    _login_refused(webtest_app, other.email, TEST_PASSWORD)
    assert "Sign out" in login(webtest_app, other.email, NEW_PASSWORD).text


@pytest.mark.parametrize(
    ("password", "confirm", "reason", "message"),
    [
        ("short one", "short one", "why", "between 12 and 1024"),
        (NEW_PASSWORD, "something different", "why", "The passwords do not match"),
        (NEW_PASSWORD, NEW_PASSWORD, "", "Enter the reason for the change"),
    ],
)
def test_set_password_bad_input_is_refused(
    webtest_app: webtest.TestApp,
    login_as: Any,
    make_user: Any,
    db_session: Session,
    password: str,
    confirm: str,
    reason: str,
    message: str,
) -> None:
    other = make_user("auditor")
    old_hash = other.password_hash
    login_as("admin")
    form = _action_form(webtest_app.get(f"/admin/users/{other.id}"), "/password")
    form["password-password"], form["password-confirm"] = password, confirm
    form["password-reason"] = reason
    page = form.submit(status=400)
    assert message in page.text
    assert _user(db_session, other.id).password_hash == old_hash
    assert _events(db_session, "account.password_set", other.id) == []
