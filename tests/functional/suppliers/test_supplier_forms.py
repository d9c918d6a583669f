"""Admins' supplier and group forms: what they write, what they refuse, and who may use them."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.suppliers.models import Supplier, SupplierGroup
from tests.common.db.core import SupplierFactory, SupplierGroupFactory


def _events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars())


def _count(db: Session) -> int:
    return db.execute(sa.select(sa.func.count(Supplier.id))).scalar_one()


def _errors(page: webtest.TestResponse) -> list[str]:
    return [li.text.strip() for li in page.html.select(".govuk-error-summary__list li")]


def test_admin_adds_a_supplier_in_its_own_group(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    admin = login_as("admin")
    page = webtest_app.get("/suppliers")
    form = page.click("Add a supplier").forms[0]
    form["name"] = "Microtest Ltd"
    form["companies_house_number"] = "sc 123456"
    form["duns"] = "123-456-789"
    form["sme"] = "yes"
    form["aliases"] = "Microtest\nMicrotest Evolution\n"
    done = form.submit().follow()
    assert "Microtest Ltd added." in done.text
    supplier = db_session.execute(sa.select(Supplier)).scalar_one()
    assert supplier.companies_house_number == "SC123456"
    assert supplier.sme is True
    assert supplier.aliases == ["Microtest", "Microtest Evolution"]
    assert supplier.group.name == "Microtest Ltd"
    (event,) = _events(db_session, "supplier.created")
    assert event.actor_id == admin.id
    assert "SC123456" in done.text


def test_admin_adds_a_supplier_to_an_existing_or_new_group(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    cegedim = SupplierGroupFactory.create(name="Cegedim")
    db_session.commit()
    login_as("admin")
    form = webtest_app.get("/suppliers/new").forms[0]
    form["name"] = "In Practice Systems Ltd"
    form["group_choice"] = "existing"
    form["group"] = "cegedim"
    form.submit().follow()
    form = webtest_app.get("/suppliers/new").forms[0]
    form["name"] = "TPP"
    form["group_choice"] = "new"
    form["new_group_name"] = "The Phoenix Partnership"
    form.submit().follow()
    groups = dict(
        db_session.execute(sa.select(Supplier.name, SupplierGroup.name).join(SupplierGroup)).all()
    )
    assert groups == {"In Practice Systems Ltd": "Cegedim", "TPP": "The Phoenix Partnership"}
    assert cegedim.id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Enter the supplier's name"),
        ({"companies_house_number": "12AB"}, "Companies House number must be 8 digits"),
        ({"companies_house_number": "01234567"}, "already has the Companies House number 01234567"),
        ({"duns": "12345678X"}, "DUNS number must be 9 digits"),
        ({"duns": "111111111"}, "already has the DUNS number 111111111"),
        ({"group_choice": "existing", "group": "No Such Group"}, "No supplier group is called"),
        ({"group_choice": "existing", "group": ""}, "Enter the existing group's name or number"),
        ({"group_choice": "new", "new_group_name": ""}, "Enter the new group's name"),
        (
            {"group_choice": "new", "new_group_name": "Taken"},
            "A group called “Taken” already exists",
        ),
    ],
)
def test_bad_supplier_input_is_refused(
    webtest_app: webtest.TestApp,
    login_as: Any,
    db_session: Session,
    fields: dict[str, str],
    message: str,
) -> None:
    SupplierFactory.create(name="Existing Ltd", companies_house_number="01234567", duns="111111111")
    SupplierGroupFactory.create(name="Taken")
    db_session.commit()
    login_as("admin")
    before = _count(db_session)
    form = webtest_app.get("/suppliers/new").forms[0]
    form["name"] = "Acme Ltd"
    for key, value in fields.items():
        form[key] = value
    page = form.submit(status=400)
    assert any(message in e for e in _errors(page)), _errors(page)
    assert page.html.title.text.startswith("Error:")
    assert _count(db_session) == before
    assert _events(db_session, "supplier.created") == []


def test_admin_edits_a_supplier(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    supplier = SupplierFactory.create(name="Old Ltd", aliases=["Oldco"], sme=None)
    other = SupplierFactory.create(companies_house_number="07654321")
    db_session.commit()
    login_as("admin")
    form = webtest_app.get(f"/suppliers/{supplier.id}/edit").forms[0]
    assert form["aliases"].value == "Oldco"
    assert form["sme"].value == ""
    form["companies_house_number"] = other.companies_house_number
    page = form.submit(status=400)
    assert "already has the Companies House number 07654321" in page.text
    form = page.forms[0]
    form["name"] = "New Ltd"
    form["companies_house_number"] = ""
    form["sme"] = "no"
    form.submit().follow()
    db_session.refresh(supplier)
    assert (supplier.name, supplier.normalised_name, supplier.sme) == ("New Ltd", "new", False)
    assert supplier.companies_house_number is None
    (event,) = _events(db_session, "supplier.updated")
    assert event.before["name"] == "Old Ltd" and event.after["name"] == "New Ltd"


def test_admin_moves_a_supplier_between_groups(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    supplier = SupplierFactory.create(name="Vision Ltd")
    old_group = supplier.group
    cegedim = SupplierGroupFactory.create(name="Cegedim")
    db_session.commit()
    login_as("admin")
    page = webtest_app.get(f"/suppliers/{supplier.id}").click("Change group")
    form = page.forms[0]
    form["group"] = str(cegedim.id)
    missing_reason = form.submit(status=400)
    assert "Enter why the supplier is changing group" in missing_reason.text
    form = missing_reason.forms[0]
    form["group"] = "Unknown Group"
    form["reason"] = "Acquired by Cegedim"
    assert "No supplier group is called" in form.submit(status=400).text
    form["group"] = str(cegedim.id)
    done = form.submit().follow()
    assert "Vision Ltd is now in Cegedim." in done.text
    db_session.refresh(supplier)
    assert supplier.group_id == cegedim.id
    (event,) = _events(db_session, "supplier.group_changed")
    assert event.before == {"group_id": old_group.id, "group": old_group.name}
    assert event.reason == "Acquired by Cegedim"
    # And into a group made on the way.
    form = webtest_app.get(f"/suppliers/{supplier.id}/group").forms[0]
    form["group_choice"] = "new"
    form["new_group_name"] = "Vision Holdings"
    form["reason"] = "Management buy-out"
    form.submit().follow()
    db_session.refresh(supplier)
    assert supplier.group.name == "Vision Holdings"


def test_admin_creates_and_renames_groups(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    SupplierGroupFactory.create(name="Taken")
    db_session.commit()
    login_as("admin")
    form = webtest_app.get("/suppliers/groups").click("Add a group").forms[0]
    form["name"] = "taken"
    assert "already exists" in form.submit(status=400).text
    form["name"] = "Cegedim"
    form["companies_house_number"] = "not a number"
    assert "Companies House number must be 8 digits" in form.submit(status=400).text
    form["companies_house_number"] = "FC012345"
    page = form.submit().follow()
    assert "Group Cegedim added." in page.text
    form = page.click("Rename").forms[0]
    form["name"] = "Cegedim SA"
    page = form.submit().follow()
    assert "Cegedim SA" in page.html.h1.text
    assert [e.action for e in _events(db_session, "supplier_group.updated")] == [
        "supplier_group.updated"
    ]


ADMIN_PAGES = [
    "/suppliers/new",
    "/suppliers/groups/new",
    "/suppliers/{group}/edit",
    "/suppliers/{supplier}/edit",
    "/suppliers/{supplier}/group",
    "/suppliers/{supplier}/merge",
]


def _paths(db_session: Session) -> list[str]:
    supplier = SupplierFactory.create()
    db_session.commit()
    return [
        p.replace("/suppliers/{group}", f"/suppliers/groups/{supplier.group_id}").replace(
            "{supplier}", str(supplier.id)
        )
        for p in ADMIN_PAGES
    ]


@pytest.mark.parametrize("role", ["officer", "auditor", "supplier"])
def test_other_roles_are_refused(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session, role: str
) -> None:
    paths = _paths(db_session)
    login_as(role, **({"supplier_id": SupplierFactory.create().id} if role == "supplier" else {}))
    for path in paths:
        webtest_app.get(path, status=403)
        # A POST is refused on permission before anything is read.
        token = webtest_app.get("/login").forms[0]["csrf_token"].value
        webtest_app.post(path, {"csrf_token": token, "name": "x"}, status=403)
    assert "Add a supplier" not in webtest_app.get("/suppliers").text


def test_anonymous_is_sent_to_sign_in(webtest_app: webtest.TestApp, db_session: Session) -> None:
    for path in _paths(db_session):
        assert "/login?next=" in webtest_app.get(path, status=303).location


def test_post_without_csrf_token_is_refused(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session
) -> None:
    login_as("admin")
    webtest_app.post("/suppliers/new", {"name": "Sneaky Ltd"}, status=400)
    assert _count(db_session) == 0
