"""The admin forms for frameworks, statuses, lots, obligations and memberships: what admins can
do, what bad input gets (400, field messages, nothing written), and the audit events written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    FrameworkStatusChange,
    KPIDirection,
    Lot,
    Membership,
    MembershipStatus,
    MembershipStatusChange,
    Obligation,
)
from tests.common.db.core import (
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
)


def _count(db: Session, model: Any, *where: Any) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(model).where(*where)).scalar_one()


def _events(db: Session, action: str) -> list[AuditEvent]:
    return list(
        db.execute(
            sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        ).scalars()
    )


def _post_form(page: webtest.TestResponse) -> webtest.Form:
    return next(f for f in page.forms.values() if f.method.lower() == "post")


def _field_error(page: webtest.TestResponse, field: str) -> str:
    message = page.html.select_one(f"#{field}-error")
    assert message is not None, f"no error on {field}"
    return message.text.strip()


@pytest.fixture
def admin(login_as: Any) -> Any:
    return login_as("admin")


def _fill(form: webtest.Form, **values: Any) -> webtest.Form:
    for name, value in values.items():
        form[name] = value
    return form


GOOD_FRAMEWORK = {
    "reference": "RM6116",
    "title": "Network Services 3",
    "owner_body": "Crown Commercial Service",
    "status": "open",
    "start_date": "2021-01-01",
    "end_date": "2025-01-01",
    "max_term_months": "48",
    "cpv_codes": "48000000, 72000000-5",
    "source_url": "https://www.crowncommercial.gov.uk/agreements/RM6116",
}


def test_admin_records_a_framework(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    list_page = webtest_app.get("/frameworks")
    assert "Record a framework" in list_page.text
    form = _fill(_post_form(webtest_app.get("/frameworks/new")), **GOOD_FRAMEWORK)
    response = form.submit(status=303)
    assert response.location.endswith("/frameworks/RM6116")
    page = response.follow()
    assert "Framework RM6116 recorded" in page.text
    framework = db_session.execute(sa.select(Framework)).scalar_one()
    assert framework.status == FrameworkStatus.open
    assert framework.cpv_codes == ["48000000", "72000000-5"]
    assert framework.max_term_months == 48
    [event] = _events(db_session, "framework.created")
    assert event.actor_id == admin.id
    assert event.after is not None and event.after["reference"] == "RM6116"
    assert "Recorded as open" in page.text


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"end_date": "2020-01-01"}, "end_date", "on or after the start date"),
        ({"cpv_codes": "48000000, 123"}, "cpv_codes", "123 is not"),
        ({"max_term_months": "0"}, "max_term_months", "from 1 to"),
        ({"max_term_months": "four"}, "max_term_months", "whole number"),
        ({"start_date": "2021-02-30"}, "start_date", "real date"),
        ({"source_url": "www.example.org"}, "source_url", "https://"),
        ({"reference": ""}, "reference", "Enter the framework's reference"),
        ({"title": ""}, "title", "Enter the title"),
        ({"status": "nonsense"}, "status", "Choose"),
    ],
)
def test_bad_framework_input_is_refused_and_nothing_written(
    webtest_app: webtest.TestApp,
    admin: Any,
    db_session: Session,
    changes: dict[str, str],
    field: str,
    words: str,
) -> None:
    form = _fill(_post_form(webtest_app.get("/frameworks/new")), **GOOD_FRAMEWORK)
    data = dict(form.submit_fields())
    data.update(changes)
    page = webtest_app.post("/frameworks/new", data, status=400)
    assert words in _field_error(page, field)
    assert "There is a problem" in page.text
    assert _count(db_session, Framework) == 0
    assert _events(db_session, "framework.created") == []


def test_duplicate_reference_is_refused(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    FrameworkFactory.create(reference="RM6116")
    db_session.commit()
    form = _fill(_post_form(webtest_app.get("/frameworks/new")), **GOOD_FRAMEWORK)
    page = form.submit(status=400)
    assert "A framework with the reference RM6116 exists" in _field_error(page, "reference")
    assert _count(db_session, Framework) == 1


def test_admin_edits_a_framework(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    FrameworkFactory.create(reference="RM1", title="Old title", cpv_codes=["48000000"])
    form = _post_form(webtest_app.get("/frameworks/RM1/edit"))
    assert form["cpv_codes"].value == "48000000"
    assert "status" not in form.fields  # status changes go through their own form
    form["title"] = "New title"
    page = form.submit(status=303).follow()
    assert "Framework RM1 changed" in page.text and "New title" in page.text
    [event] = _events(db_session, "framework.updated")
    assert event.before is not None and event.before["title"] == "Old title"
    assert event.after is not None and event.after["title"] == "New title"
    # Dates out of order on edit: refused, nothing changed.
    form = _post_form(webtest_app.get("/frameworks/RM1/edit"))
    form["start_date"], form["end_date"] = "2022-01-01", "2021-01-01"
    bad = form.submit(status=400)
    assert "on or after the start date" in _field_error(bad, "end_date")
    assert len(_events(db_session, "framework.updated")) == 1
    # A new reference moves the page.
    form = _post_form(webtest_app.get("/frameworks/RM1/edit"))
    form["reference"] = "RM1A"
    assert form.submit(status=303).location.endswith("/frameworks/RM1A")
    webtest_app.get("/frameworks/RM1", status=404)


def test_status_form_offers_only_the_next_status(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM1", status=FrameworkStatus.pending)
    page = webtest_app.get("/frameworks/RM1/status")
    form = _post_form(page)
    assert [value for value, _, _ in form["status"].options] == ["standstill"]
    form["reason"] = "Award decision sent to bidders"
    done = form.submit(status=303).follow()
    assert "Framework RM1 is now standstill" in done.text
    assert "Award decision sent to bidders" in done.text
    db_session.refresh(framework)
    assert framework.status == FrameworkStatus.standstill
    [event] = _events(db_session, "framework.status_changed")
    assert event.before == {"status": "pending"} and event.after == {"status": "standstill"}


def test_invalid_transition_and_missing_reason_are_refused(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    FrameworkFactory.create(reference="RM1", status=FrameworkStatus.coming)
    form = _post_form(webtest_app.get("/frameworks/RM1/status"))
    data = dict(form.submit_fields())
    data.update(status="live", reason="Skipping ahead")
    page = webtest_app.post("/frameworks/RM1/status", data, status=400)
    assert "cannot move from coming to live" in _field_error(page, "status")
    data.update(status="open", reason="")
    page = webtest_app.post("/frameworks/RM1/status", data, status=400)
    assert "Enter the reason" in _field_error(page, "reason")
    assert _count(db_session, FrameworkStatusChange) == 0
    assert _events(db_session, "framework.status_changed") == []


def test_expired_framework_has_no_next_status(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    FrameworkFactory.create(reference="RM1", status=FrameworkStatus.expired)
    assert "Change status" not in webtest_app.get("/frameworks/RM1").text
    page = webtest_app.get("/frameworks/RM1/status")
    assert "that is the last status" in page.text


def test_admin_retracts_a_framework(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM1")
    form = _post_form(webtest_app.get("/frameworks/RM1/retract"))
    assert "Enter the reason" in _field_error(form.submit(status=400), "reason")
    form["reason"] = "Recorded twice"
    page = form.submit(status=303).follow()
    assert "This framework was retracted on" in page.text and "Recorded twice" in page.text
    assert "Edit" not in [a.text for a in page.html.select(".govuk-button")]
    db_session.refresh(framework)
    assert framework.is_retracted and framework.retracted_by_id == admin.id
    assert _events(db_session, "framework.retracted")[0].reason == "Recorded twice"
    # Retracted: no further changes through the forms.
    assert "A retracted framework cannot be changed" in webtest_app.get("/frameworks/RM1/edit").text


def test_admin_adds_and_edits_a_lot(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM1")
    LotFactory.create(framework=framework, number="1")
    form = _post_form(webtest_app.get("/frameworks/RM1/lots/new"))
    form["number"], form["title"] = "1", "Duplicate"
    page = form.submit(status=400)
    assert "RM1 already has a lot numbered 1" in _field_error(page, "number")
    form = _post_form(page)
    form["number"], form["title"], form["cpv_codes"] = "2", "Hosting", "7200"
    page = form.submit(status=400)
    assert "7200 is not" in _field_error(page, "cpv_codes")
    form = _post_form(page)
    form["cpv_codes"] = "72000000"
    page = form.submit(status=303).follow()
    assert "Lot 2 added to RM1" in page.text
    lot = db_session.execute(sa.select(Lot).where(Lot.number == "2")).scalar_one()
    assert lot.cpv_codes == ["72000000"]
    form = _post_form(webtest_app.get("/frameworks/RM1/lots/2/edit"))
    form["title"] = "Cloud hosting"
    page = form.submit(status=303).follow()
    assert "Lot 2: Cloud hosting" in page.text
    assert len(_events(db_session, "lot.created")) == 1
    assert len(_events(db_session, "lot.updated")) == 1


def test_admin_retracts_a_lot(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM1")
    lot = LotFactory.create(framework=framework, number="2", title="Hosting")
    MembershipFactory.create(lot=lot)
    form = _post_form(webtest_app.get("/frameworks/RM1/lots/2/retract"))
    assert "Enter the reason" in _field_error(form.submit(status=400), "reason")
    assert _events(db_session, "lot.retracted") == []
    form["reason"] = "Lot never let"
    page = form.submit(status=303).follow()
    assert "This lot was retracted on" in page.text and "Lot never let" in page.text
    assert "Add a supplier" not in page.text
    db_session.refresh(lot)
    assert lot.is_retracted and lot.retracted_by_id == admin.id
    assert _events(db_session, "lot.retracted")[0].reason == "Lot never let"
    # Kept and marked on the framework's page; not counted in the list.
    detail = webtest_app.get("/frameworks/RM1")
    assert "Lot 2: Hosting" in detail.text and "Retracted" in detail.text
    cells = [td.text.strip() for td in webtest_app.get("/frameworks").html.select("tbody td")]
    assert cells[-2:] == ["0", "0"]
    assert "retracted" in webtest_app.get("/frameworks/RM1/lots/2/edit").text
    # No longer offered for new obligations.
    options = _post_form(webtest_app.get("/frameworks/RM1/obligations/new"))["lot_id"].options
    assert [value for value, _, _ in options] == [""]


def test_admin_adds_edits_and_retracts_an_obligation(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM1")
    lot = LotFactory.create(framework=framework, number="1")
    supplier = SupplierFactory.create()
    form = _post_form(webtest_app.get("/frameworks/RM1/obligations/new"))
    _fill(
        form,
        category="data portability",
        title="Bulk extract",
        standard_reference="IM1",
        lot_id=str(lot.id),
        supplier_id=str(supplier.id),
        kpi_target="99.5",
        kpi_unit="%",
        kpi_direction="higher is better",
        weight="0",
    )
    page = form.submit(status=400)
    assert "Weight must be a number from 0.001 to 99,999.999" in _field_error(page, "weight")
    assert _count(db_session, Obligation) == 0
    form = _post_form(page)
    form["weight"] = "2.5"
    page = form.submit(status=303).follow()
    banner = page.html.select_one(".govuk-notification-banner")
    assert banner is not None and "Obligation 'Bulk extract' added" in banner.text
    obligation = db_session.execute(sa.select(Obligation)).scalar_one()
    assert (obligation.lot_id, obligation.supplier_id) == (lot.id, supplier.id)
    assert obligation.kpi_direction == KPIDirection.higher_is_better
    assert obligation.weight == Decimal("2.5")

    form = _post_form(webtest_app.get(f"/frameworks/RM1/obligations/{obligation.id}/edit"))
    assert form["weight"].value == "2.5" and form["kpi_target"].value == "99.5"
    form["kpi_target"] = "99.9"
    form.submit(status=303)
    [event] = _events(db_session, "obligation.updated")
    assert event.before is not None and Decimal(event.before["kpi_target"]) == Decimal("99.5")
    assert event.after is not None and Decimal(event.after["kpi_target"]) == Decimal("99.9")

    form = _post_form(webtest_app.get(f"/frameworks/RM1/obligations/{obligation.id}/retract"))
    assert "Enter the reason" in _field_error(form.submit(status=400), "reason")
    form["reason"] = "Superseded by GP Connect"
    page = form.submit(status=303).follow()
    assert page.html.find("del").text == "Bulk extract"  # kept and marked
    assert "Superseded by GP Connect" in page.text
    assert _events(db_session, "obligation.retracted")[0].actor_id == admin.id
    assert _count(db_session, Obligation) == 1


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"supplier_id": "999999"}, "supplier_id", "no supplier numbered 999999"),
        ({"kpi_target": "lots"}, "kpi_target", "must be a number"),
        ({"kpi_target": "90", "kpi_direction": ""}, "kpi_direction", "higher or lower"),
        ({"weight": "-1"}, "weight", "Weight must be a number from 0.001 to 99,999.999"),
        ({"category": ""}, "category", "Enter the category"),
    ],
)
def test_bad_obligation_input_is_refused(
    webtest_app: webtest.TestApp,
    admin: Any,
    db_session: Session,
    values: dict[str, str],
    field: str,
    words: str,
) -> None:
    FrameworkFactory.create(reference="RM1")
    form = _post_form(webtest_app.get("/frameworks/RM1/obligations/new"))
    data = dict(form.submit_fields())
    data.update({"category": "security", "title": "DSPT standards met", "weight": "1"})
    data.update(values)
    page = webtest_app.post("/frameworks/RM1/obligations/new", data, status=400)
    assert words in _field_error(page, field)
    assert _count(db_session, Obligation) == 0


def test_admin_adds_a_supplier_and_changes_its_status(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    framework = FrameworkFactory.create(reference="RM1")
    LotFactory.create(framework=framework, number="1")
    chosen = SupplierFactory.create(name="EMIS Health Ltd")
    typed = SupplierFactory.create(name="TPP")
    form = _post_form(webtest_app.get("/frameworks/RM1/lots/1/suppliers/new"))
    form["supplier"] = str(chosen.id)
    page = form.submit(status=303).follow()
    assert "EMIS Health Ltd added to lot 1" in page.text
    # By registry number, as well as from the list.
    form = _post_form(webtest_app.get("/frameworks/RM1/lots/1/suppliers/new"))
    form["supplier_number"] = str(typed.id)
    form["reason"] = "Awarded a place in 2007"
    form.submit(status=303)
    assert _count(db_session, Membership) == 2
    assert len(_events(db_session, "membership.created")) == 2

    # Duplicate, unknown, and none at all.
    for data, words in (
        ({"supplier": str(chosen.id)}, "already on lot 1"),
        ({"supplier_number": "999999"}, "no supplier numbered 999999"),
        ({}, "Choose a supplier"),
    ):
        form = _post_form(webtest_app.get("/frameworks/RM1/lots/1/suppliers/new"))
        fields = dict(form.submit_fields())
        fields.update(data)
        page = webtest_app.post("/frameworks/RM1/lots/1/suppliers/new", fields, status=400)
        assert words in _field_error(page, "supplier")
    assert _count(db_session, Membership) == 2

    membership = db_session.execute(
        sa.select(Membership).where(Membership.supplier_id == chosen.id)
    ).scalar_one()
    url = f"/frameworks/RM1/memberships/{membership.id}/status"
    form = _post_form(webtest_app.get(url))
    assert [value for value, _, _ in form["status"].options] == [
        "suspended",
        "in remediation",
        "removed",
    ]
    form["status"] = "suspended"
    assert "Enter the reason" in _field_error(form.submit(status=400), "reason")
    form = _post_form(webtest_app.get(url))
    form["status"], form["reason"] = "suspended", "Failed a DSPT audit"
    page = form.submit(status=303).follow()
    assert "EMIS Health Ltd is now suspended on lot 1" in page.text
    assert "Failed a DSPT audit" in page.text
    db_session.refresh(membership)
    assert membership.status == MembershipStatus.suspended
    assert (
        _count(
            db_session,
            MembershipStatusChange,
            MembershipStatusChange.membership_id == membership.id,
        )
        == 2
    )
    [event] = _events(db_session, "membership.status_changed")
    assert event.before is not None and event.before["status"] == "active"
    assert event.after is not None and event.after["status"] == "suspended"
    assert event.reason == "Failed a DSPT audit"


def test_membership_on_another_framework_is_not_found(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    FrameworkFactory.create(reference="RM1")
    membership = MembershipFactory.create()
    webtest_app.get(f"/frameworks/RM1/memberships/{membership.id}/status", status=404)
    obligation = ObligationFactory.create()
    webtest_app.get(f"/frameworks/RM1/obligations/{obligation.id}/edit", status=404)


def _admin_urls(db: Session) -> list[str]:
    framework = FrameworkFactory.create(reference="RM1", status=FrameworkStatus.coming)
    lot = LotFactory.create(framework=framework, number="1")
    membership = MembershipFactory.create(lot=lot)
    obligation = ObligationFactory.create(framework=framework)
    db.commit()
    return [
        "/frameworks/new",
        "/frameworks/RM1/edit",
        "/frameworks/RM1/status",
        "/frameworks/RM1/retract",
        "/frameworks/RM1/lots/new",
        "/frameworks/RM1/lots/1/edit",
        "/frameworks/RM1/lots/1/retract",
        "/frameworks/RM1/lots/1/suppliers/new",
        f"/frameworks/RM1/memberships/{membership.id}/status",
        "/frameworks/RM1/obligations/new",
        f"/frameworks/RM1/obligations/{obligation.id}/edit",
        f"/frameworks/RM1/obligations/{obligation.id}/retract",
    ]


@pytest.mark.parametrize("role", ["officer", "auditor", "supplier"])
def test_other_roles_are_refused_every_form(
    webtest_app: webtest.TestApp, login_as: Any, db_session: Session, role: str
) -> None:
    urls = _admin_urls(db_session)
    login_as(role)
    token = _post_form(webtest_app.get("/logout"))["csrf_token"].value
    events = _count(db_session, AuditEvent)
    for url in urls:
        webtest_app.get(url, status=403)
        webtest_app.post(
            url, {"csrf_token": token, "reason": "x", "status": "open", "title": "x"}, status=403
        )
    assert "Record a framework" not in webtest_app.get("/frameworks").text
    assert "Change status" not in webtest_app.get("/frameworks/RM1").text
    assert _count(db_session, AuditEvent) == events  # nothing written
    assert _count(db_session, FrameworkStatusChange) == 0


def test_anonymous_is_sent_to_sign_in_and_cannot_post(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    urls = _admin_urls(db_session)
    for url in urls:
        response = webtest_app.get(url, status=303)
        assert "/login?next=" in response.location
        webtest_app.post(url, {"reason": "x", "status": "open"}, status=403)
    assert _count(db_session, AuditEvent) == 0


def test_admin_post_without_csrf_token_is_refused(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    FrameworkFactory.create(reference="RM1", status=FrameworkStatus.coming)
    db_session.commit()
    webtest_app.post("/frameworks/RM1/status", {"status": "open", "reason": "x"}, status=400)
    assert _count(db_session, FrameworkStatusChange) == 0


def test_editing_a_framework_or_lot_keeps_its_ceiling(
    webtest_app: webtest.TestApp, admin: Any, db_session: Session
) -> None:
    """The edit forms show the ceiling again: saving another change must not clear it."""
    framework = FrameworkFactory.create(
        reference="RM1", ceiling_amount=Decimal(10_000_000), ceiling_currency="GBP"
    )
    lot = LotFactory.create(
        framework=framework, number="1", ceiling_amount=Decimal(2_000_000), ceiling_currency="GBP"
    )
    db_session.commit()
    form = _post_form(webtest_app.get("/frameworks/RM1/edit"))
    form["title"] = "Renamed"
    form.submit(status=303)
    form = _post_form(webtest_app.get("/frameworks/RM1/lots/1/edit"))
    form["title"] = "Renamed lot"
    form.submit(status=303)
    db_session.expire_all()
    assert (framework.title, framework.ceiling_amount, framework.ceiling_currency) == (
        "Renamed",
        Decimal(10_000_000),
        "GBP",
    )
    assert (lot.title, lot.ceiling_amount, lot.ceiling_currency) == (
        "Renamed lot",
        Decimal(2_000_000),
        "GBP",
    )
