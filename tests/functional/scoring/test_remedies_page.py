"""Auditors record remedies through /suppliers/{id}/remedies; bad input and wrong roles refused."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.audit.models import AuditEvent
from registry.frameworks.models import MembershipStatus
from registry.scoring.remedies.models import Breach, Exclusion, RemediationPlan
from tests.common.db.core import MembershipFactory
from tests.conftest import login


def _form(page: webtest.TestResponse, record: str) -> webtest.Form:
    for form in page.forms.values():
        if "record" in form.fields and form["record"].value == record:
            return form
    raise AssertionError(f"no {record} form")


def _count(db: Session, model: Any) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_auditor_records_remedies_and_moves_the_membership(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    membership = MembershipFactory.create()
    db_session.commit()
    login(webtest_app, make_user("auditor").email)
    url = f"/suppliers/{membership.supplier_id}/remedies"

    form = _form(webtest_app.get(url), "membership")
    form["status"] = "in remediation"
    form["reason"] = "Availability below target for two quarters"
    assert "Membership status changed." in form.submit().follow().text
    db_session.refresh(membership)
    assert membership.status == MembershipStatus.in_remediation

    form = _form(webtest_app.get(url), "plan")
    form["membership_id"] = str(membership.id)
    form["gap"] = "Availability 98.9% against 99.9%"
    form["agreed_date"] = "2025-06-30"
    form["progress_percent"] = "40"
    form.submit().follow()
    form = _form(webtest_app.get(url), "breach")
    form["occurred_on"] = "2025-01-10"
    form["description"] = "Data extract not delivered"
    form.submit().follow()
    assert db_session.scalar(sa.select(Breach.notice_due)).isoformat() == "2025-02-09"
    assert _count(db_session, RemediationPlan) == 1

    # More than five years: refused, nothing written.
    form = _form(webtest_app.get(url), "exclusion")
    form["ground"] = "Fraud"
    form["kind"] = "mandatory"
    form["start_date"] = "2025-01-01"
    form["expected_end_date"] = "2030-01-02"
    page = form.submit(status=400)
    assert "An exclusion lasts at most five years from its start" in page.text
    assert _count(db_session, Exclusion) == 0
    actions = set(db_session.scalars(sa.select(AuditEvent.action)))
    assert {"membership.status", "remediation.create", "breach.create"} <= actions


def test_only_auditors_and_admins_record_remedies(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    membership = MembershipFactory.create()
    db_session.commit()
    url = f"/suppliers/{membership.supplier_id}/remedies"
    login(webtest_app, make_user("officer").email)
    webtest_app.get(url, status=403)
    login(webtest_app, make_user("supplier", supplier_id=membership.supplier_id).email)
    webtest_app.get(url, status=403)
