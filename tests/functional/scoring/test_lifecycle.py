"""An assessment's whole life through the web forms: record, submit, reply, review, publish,
retract; and each refusal, with nothing written."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.scoring.assessments.models import (
    Assessment,
    AssessmentReply,
    AssessmentStatus,
    Rating,
)
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    ObligationFactory,
    SupplierFactory,
)
from tests.conftest import login


def _errors(page: webtest.TestResponse) -> list[str]:
    return [li.text.strip() for li in page.html.select(".govuk-error-summary__list li")]


def _form(page: webtest.TestResponse, action: str) -> webtest.Form:
    """The page's form that posts to `action` (the layout may hold other forms)."""
    for form in page.forms.values():
        if (form.action or "").endswith(action):
            return form
    raise AssertionError(f"no form posting to {action}")


def _count(db: Session, model: Any) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _actions(db: Session, assessment_id: int) -> list[str]:
    return list(
        db.execute(
            sa.select(AuditEvent.action)
            .where(
                AuditEvent.subject_type == "assessment", AuditEvent.subject_id == str(assessment_id)
            )
            .order_by(AuditEvent.seq)
        ).scalars()
    )


@pytest.fixture
def world(db_session: Session, make_user: Any) -> dict[str, Any]:
    buyer = BuyerFactory.create(name="Leeds Teaching Hospitals")
    other_buyer = BuyerFactory.create(name="Other Trust")
    supplier = SupplierFactory.create(name="Acme Health Ltd")
    framework = FrameworkFactory.create(reference="RM6221")
    lot = LotFactory.create(framework=framework, number="1")
    obligation = ObligationFactory.create(framework=framework, title="IM1 bulk extract", weight=2)
    contract = ContractFactory.create(buyer=buyer, supplier=supplier, lot=lot, title="EPR")
    db_session.commit()
    return {
        "buyer": buyer,
        "contract": contract,
        "obligation": obligation,
        "supplier": supplier,
        "officer": make_user("officer", buyer_id=buyer.id),
        "other_officer": make_user("officer", buyer_id=other_buyer.id),
        "supplier_user": make_user("supplier", supplier_id=supplier.id),
        "auditor": make_user("auditor"),
        "auditor2": make_user("auditor"),
    }


def _new_form(app: webtest.TestApp, contract_id: int, **values: str) -> webtest.Form:
    form = _form(app.get(f"/contracts/{contract_id}/assessments/new"), "/assessments/new")
    fields = {
        "kpi": "System availability",
        "period_start": "2024-01-01",
        "period_end": "2024-06-30",
        "rating": "Approaching target",
        "measured_value": "99.2",
        "unit": "%",
        "evidence": "Monthly availability reports",
        "evidence_links": "https://example.org/report-1\nhttps://example.org/report-2",
    }
    fields.update(values)
    for name, value in fields.items():
        try:
            form[name] = value
        except ValueError:  # a value the page does not offer, sent as a crafted request would
            form[name].force_value(value)
    return form


def _record(app: webtest.TestApp, db: Session, contract_id: int, **values: str) -> Assessment:
    page = _new_form(app, contract_id, **values).submit().follow()
    assert "Assessment saved as a draft" in page.text
    return db.execute(sa.select(Assessment).order_by(Assessment.id.desc())).scalars().first()


def test_full_lifecycle_through_the_forms(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    app = webtest_app
    login(app, world["officer"].email)
    a = _record(app, db_session, world["contract"].id, obligation_id=str(world["obligation"].id))
    assert a.status == AssessmentStatus.draft
    assert a.weight == 2 and a.framework_id == world["obligation"].framework_id
    assert a.evidence_links == ["https://example.org/report-1", "https://example.org/report-2"]
    assert a.assessor_name == world["officer"].email

    # A draft is nobody's business but its organisation's (and auditors').
    _form(app.get("/logout"), "/logout").submit()
    app.get(f"/assessments/{a.id}", status=404)

    login(app, world["officer"].email)
    page = app.get(f"/assessments/{a.id}")
    page = _form(page, "/submit").submit().follow()
    assert "The supplier may reply until" in page.text
    db_session.refresh(a)
    assert a.status == AssessmentStatus.submitted
    assert a.reply_due == datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=14)

    # The supplier replies within the window.
    login(app, world["supplier_user"].email)
    page = app.get(f"/assessments/{a.id}")
    assert "Reply to this rating" in page.text
    form = _form(app.get(f"/assessments/{a.id}/reply"), "/reply")
    form["text"] = "Availability fell because of the trust's own network outage in March."
    page = form.submit().follow()
    assert "Your reply is recorded" in page.text

    # An auditor sends it back; the officer corrects and resubmits; the auditor adjusts it.
    login(app, world["auditor"].email)
    queue = app.get("/review")
    assert f"/review/{a.id}" in queue.text
    item = app.get(f"/review/{a.id}")
    assert (
        "trust&#39;s own network outage" in item.text or "trust's own network outage" in item.text
    )
    assert "Monthly availability reports" in item.text
    form = _form(item, f"/review/{a.id}")
    form["reason"] = "Period should be the full year"
    form.submit("action", value="challenge").follow()
    db_session.refresh(a)
    assert a.status == AssessmentStatus.challenged

    login(app, world["officer"].email)
    form = _form(app.get(f"/assessments/{a.id}/edit"), "/edit")
    form["period_end"] = "2024-12-31"
    form.submit().follow()
    _form(app.get(f"/assessments/{a.id}"), "/submit").submit().follow()
    db_session.refresh(a)
    assert a.status == AssessmentStatus.submitted and a.period_end == datetime.date(2024, 12, 31)

    login(app, world["auditor"].email)
    form = _form(app.get(f"/review/{a.id}"), f"/review/{a.id}")
    form["reason"] = "The reply shows the outage was outside the supplier's control"
    form["new_rating"] = "Good"
    form.submit("action", value="adjust").follow()
    db_session.refresh(a)
    assert (a.status, a.rating, a.original_rating) == (
        AssessmentStatus.adjusted,
        Rating.good,
        Rating.approaching,
    )
    _form(app.get(f"/review/{a.id}"), f"/review/{a.id}").submit("action", value="publish").follow()
    db_session.refresh(a)
    assert a.status == AssessmentStatus.published

    # Public now: rating, reply and history side by side.
    _form(app.get("/logout"), "/logout").submit()
    page = app.get(f"/assessments/{a.id}")
    assert "Good" in page.text and "Adjusted by an auditor from Approaching target" in page.text
    assert "network outage" in page.text
    assert page.html.select_one("table.govuk-table") is not None  # the history

    # Retraction keeps the record and the reason, and takes it off public view of scores.
    login(app, world["officer"].email)
    form = _form(app.get(f"/assessments/{a.id}/retract"), "/retract")
    form["reason"] = "Entered against the wrong contract"
    form.submit().follow()
    db_session.refresh(a)
    assert a.status == AssessmentStatus.retracted and a.retraction_reason

    assert _actions(db_session, a.id) == [
        "assessment.create",
        "assessment.submit",
        "assessment.reply",
        "assessment.challenge",
        "assessment.edit",
        "assessment.submit",
        "assessment.adjust",
        "assessment.publish",
        "assessment.retract",
    ]


def _submitted(
    app: webtest.TestApp, db: Session, world: dict[str, Any], **values: str
) -> Assessment:
    login(app, world["officer"].email)
    a = _record(app, db, world["contract"].id, **values)
    _form(app.get(f"/assessments/{a.id}"), "/submit").submit()
    db.refresh(a)
    return a


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"rating": "Excellent"}, "Choose a rating on the scale: Good, Approaching target"),
        ({"period_end": "2023-12-31"}, "The period must end on or after the day it starts"),
        ({"evidence_links": "javascript:alert(1)"}, "Evidence link 1 must be a web address"),
        ({"period_start": "31/12/2024"}, "Period start must be a real date"),
    ],
)
def test_bad_assessments_are_refused_and_nothing_written(
    webtest_app: webtest.TestApp,
    db_session: Session,
    world: dict[str, Any],
    values: dict[str, str],
    message: str,
) -> None:
    login(webtest_app, world["officer"].email)
    before = _count(db_session, Assessment)
    page = _new_form(webtest_app, world["contract"].id, **values).submit(status=400)
    assert any(message in error for error in _errors(page))
    assert _count(db_session, Assessment) == before


def test_overlapping_period_of_the_same_kpi_is_refused(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    login(webtest_app, world["officer"].email)
    first = _record(webtest_app, db_session, world["contract"].id)
    page = _new_form(
        webtest_app,
        world["contract"].id,
        kpi="system  AVAILABILITY",
        period_start="2024-06-01",
        period_end="2024-09-30",
    ).submit(status=400)
    assert any(f"overlaps assessment {first.id}" in e for e in _errors(page))
    assert _count(db_session, Assessment) == 1
    # Another KPI of the same contract, same period: fine.
    _record(webtest_app, db_session, world["contract"].id, kpi="Incident response")


def test_reply_after_the_window_is_refused(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    a = _submitted(webtest_app, db_session, world)
    login(webtest_app, world["supplier_user"].email)
    form = _form(webtest_app.get(f"/assessments/{a.id}/reply"), "/reply")
    a.reply_due = datetime.date(2020, 1, 1)
    db_session.commit()
    form["text"] = "Too late?"
    page = form.submit(status=400)
    assert any("The reply window closed on 1 January 2020" in e for e in _errors(page))
    assert _count(db_session, AssessmentReply) == 0


def test_adjustment_without_a_reason_is_refused(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    a = _submitted(webtest_app, db_session, world)
    a.reply_due = datetime.date(2020, 1, 1)  # the window has closed without a reply
    db_session.commit()
    login(webtest_app, world["auditor"].email)
    form = _form(webtest_app.get(f"/review/{a.id}"), f"/review/{a.id}")
    form["new_rating"] = "Inadequate"
    page = form.submit("action", value="adjust", status=400)
    assert "Enter why you are adjusting the rating" in _errors(page)
    db_session.refresh(a)
    assert (a.status, a.rating) == (AssessmentStatus.submitted, Rating.approaching)


def test_review_waits_for_the_reply_window(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    a = _submitted(webtest_app, db_session, world)
    login(webtest_app, world["auditor"].email)
    page = webtest_app.get(f"/review/{a.id}")
    assert "The supplier may reply until" in page.text
    assert page.html.select_one("button[value=approve]") is None  # no decision offered yet
    csrf = _form(webtest_app.get("/logout"), "/logout")["csrf_token"].value
    page = webtest_app.post(
        f"/review/{a.id}",
        {"csrf_token": csrf, "action": "approve", "version": str(a.version)},
        status=400,
    )
    db_session.refresh(a)
    assert a.status == AssessmentStatus.submitted


def test_two_auditors_one_wins_the_other_gets_a_conflict(
    webtest_app: webtest.TestApp,
    wsgi_app: Any,
    db_connection: Any,
    db_session: Session,
    world: dict[str, Any],
) -> None:
    a = _submitted(webtest_app, db_session, world)
    a.reply_due = datetime.date(2020, 1, 1)
    db_session.commit()
    first = webtest_app
    second = webtest.TestApp(
        wsgi_app, extra_environ={"registry.db_connection": db_connection, "HTTP_HOST": "localhost"}
    )
    login(first, world["auditor"].email)
    login(second, world["auditor2"].email)
    form_one = _form(first.get(f"/review/{a.id}"), f"/review/{a.id}")
    form_two = _form(second.get(f"/review/{a.id}"), f"/review/{a.id}")
    form_one.submit("action", value="approve").follow()
    form_two["reason"] = "Evidence is thin"
    page = form_two.submit("action", value="challenge", status=409)
    assert "Another auditor acted on this assessment" in page.text
    db_session.refresh(a)
    assert a.status == AssessmentStatus.approved and a.review_reason is None
    assert _actions(db_session, a.id).count("assessment.challenge") == 0


def test_wrong_roles_are_refused(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    app = webtest_app
    contract_id = world["contract"].id
    # An officer of another buyer may not assess this contract.
    login(app, world["other_officer"].email)
    app.get(f"/contracts/{contract_id}/assessments/new", status=403)
    a = _submitted(app, db_session, world)
    # Suppliers may not review, officers may not reply or review, auditors may not reply or edit.
    login(app, world["supplier_user"].email)
    app.get(f"/review/{a.id}", status=403)
    app.get(f"/contracts/{contract_id}/assessments/new", status=403)
    login(app, world["officer"].email)
    app.get(f"/assessments/{a.id}/reply", status=403)
    app.get("/review", status=403)
    login(app, world["auditor"].email)
    app.get(f"/assessments/{a.id}/reply", status=403)
    app.get(f"/assessments/{a.id}/edit", status=403)
    # Another supplier's user cannot reply either: the assessment under review is not there for
    # them, on its reply page as on its own (issue 20).
    other = SupplierFactory.create()
    db_session.commit()
    from registry.accounts.services import DatabaseUserService

    user = DatabaseUserService(db_session).create_user(
        "other-supplier@example.org",
        "correct horse battery staple",
        "supplier",
        supplier_id=other.id,
    )
    db_session.commit()
    login(app, user.email)
    app.get(f"/assessments/{a.id}", status=404)
    app.get(f"/assessments/{a.id}/reply", status=404)
    assert _count(db_session, AssessmentReply) == 0
    db_session.refresh(a)
    assert a.status == AssessmentStatus.submitted
