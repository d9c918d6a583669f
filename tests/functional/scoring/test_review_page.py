"""Issue 19 (points 1 and 3) and issue 18's review page through the real app: a supplier whose
contracts ended before the Act shows no overdue figures; /review puts its summary and the
actionable queue first, with the KPI's target and "Not checked" where the check did not run;
a period that has not ended is refused by the API; one reply, then the form is gone."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.scoring.assessments.models import Assessment, AssessmentStatus
from tests.common.db.core import ContractFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory, availability_lot
from tests.conftest import login
from tests.functional.api.test_assessments import (  # noqa: F401 (a fixture)
    assessment_body,
    bearer,
    counts,
    officer,
)

D = datetime.date


def _text(page: webtest.TestResponse) -> str:
    return re.sub(r"\s+", " ", page.html.get_text(" "))


def _today() -> D:
    return datetime.datetime.now(datetime.UTC).date()


def test_a_supplier_whose_contracts_ended_before_the_act_shows_nothing_overdue(
    webtest_app: webtest.TestApp, db_session: Session
) -> None:
    lot = availability_lot()
    supplier = SupplierFactory.create(name="EMIS-like Health")
    for _ in range(3):
        ContractFactory.create(
            lot=lot, supplier=supplier, start_date=D(2007, 4, 1), end_date=D(2019, 12, 31)
        )
    db_session.commit()
    page = _text(webtest_app.get(f"/suppliers/{supplier.id}"))
    section = page[page.index("KPI assessments of this supplier") :]
    assert "Not applicable: 3 KPIs" in section
    assert "Not assessed" not in section and "days overdue" not in section


def test_review_shows_the_queue_first_with_targets_checks_and_when_it_can_be_acted_on(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    lot = availability_lot()
    obligation = db_session.execute(sa.text("SELECT id FROM obligations")).scalar_one()
    today = _today()
    noon = datetime.time(12)

    def submitted(days_ago: int, reply_due: D, **kw: Any) -> Assessment:
        return AssessmentFactory.create(
            contract=ContractFactory.create(lot=lot, end_date=None),
            obligation_id=obligation,
            status=AssessmentStatus.submitted,
            submitted_at=datetime.datetime.combine(
                today - datetime.timedelta(days=days_ago), noon, tzinfo=datetime.UTC
            ),
            reply_due=reply_due,
            measured_value=Decimal("99.5"),
            **kw,
        )

    waiting = submitted(3, today + datetime.timedelta(days=11), kpi="Waiting KPI", unit="%")
    units = submitted(1, today - datetime.timedelta(days=1), kpi="Hours KPI", unit="hours")
    synonym = submitted(2, today - datetime.timedelta(days=1), kpi="Synonym KPI", unit="% monthly")
    db_session.commit()
    login(webtest_app, make_user("auditor").email)
    page = _text(webtest_app.get("/review"))
    assert "3 awaiting review: 2 you can act on now, 1 waiting for the supplier's reply" in page
    # Actionable now first (oldest first), then the one waiting on its reply window.
    assert page.index("Synonym KPI") < page.index("Hours KPI") < page.index("Waiting KPI")
    assert "99.50 hours Target: 99.90 % (higher is better) Not checked: units differ" in page
    assert "Not checked: units differ (hours vs %)" in page
    assert re.search(r"Synonym KPI .* Contradicts its measurements Rated Good but", page)
    actionable = (waiting.reply_due + datetime.timedelta(days=1)).strftime("%-d %B %Y")  # type: ignore[operator]
    assert f"From {actionable}" in page
    assert page.index("Waiting KPI") < page.index("Assessments due")
    item = _text(webtest_app.get(f"/review/{waiting.id}"))
    assert f"Actionable from {actionable}" in item and "Target: 99.90 %" in item
    assert "Your decision" not in item
    assert "Not checked: units differ (hours vs %)" in _text(webtest_app.get(f"/review/{units.id}"))
    assert synonym.id


def test_the_api_refuses_a_period_that_has_not_ended_and_writes_nothing(
    webtest_app: webtest.TestApp,
    db_session: Session,
    officer: Any,  # noqa: F811
) -> None:
    market, _, token = officer
    today = _today()
    body = assessment_body(
        market.published.id,
        period_start=today.replace(day=1).isoformat(),
        period_end=(today + datetime.timedelta(days=25)).isoformat(),
    )
    error = webtest_app.post_json(
        "/api/v1/assessments", body, headers=bearer(token), status=400
    ).json["error"]
    fields = {f["field"]: f["message"] for f in error["fields"]}
    assert "The period must have ended before it is rated" in fields["$.period_end"]
    assert counts(db_session) == (0, 0)


def test_one_reply_then_the_form_is_gone_and_a_second_is_refused(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    a = AssessmentFactory.create(
        contract=ContractFactory.create(lot=availability_lot(), end_date=None),
        status=AssessmentStatus.submitted,
        submitted_at=datetime.datetime.now(datetime.UTC),
        reply_due=_today() + datetime.timedelta(days=14),
    )
    db_session.commit()
    login(webtest_app, make_user("supplier", supplier_id=a.supplier_id).email)
    assert "Reply to this rating" in webtest_app.get(f"/assessments/{a.id}").text
    page = webtest_app.get(f"/assessments/{a.id}/reply")
    form = next(f for f in page.forms.values() if "text" in f.fields)
    form["text"] = "The outage was the buyer's own network."
    done = form.submit().follow()
    assert "Your reply is recorded. It will be published beside the rating if" in _text(done)
    assert "published with the rating" not in _text(done)
    assert f"/assessments/{a.id}/reply" not in done.text  # the link is gone
    again = webtest_app.get(f"/assessments/{a.id}/reply")
    assert 'name="text"' not in again.text
    assert "already replied to this assessment" in _text(again)
    refused = webtest_app.post(
        f"/assessments/{a.id}/reply",
        {"text": "A second reply", "csrf_token": form["csrf_token"].value},
        status=400,
    )
    assert "already replied to this assessment: a rating has one reply" in _text(refused)
    assert db_session.execute(sa.text("SELECT count(*) FROM assessment_replies")).scalar() == 1


def test_the_form_refuses_a_period_that_has_not_ended_naming_the_field(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    contract = ContractFactory.create(lot=availability_lot(), end_date=None)
    db_session.commit()
    login(webtest_app, make_user("officer", buyer_id=contract.buyer_id).email)
    page = webtest_app.get(f"/contracts/{contract.id}/assessments/new")
    form = next(f for f in page.forms.values() if "period_end" in f.fields)
    today = _today()
    form["kpi"] = "Help desk"
    form["period_start"] = today.replace(day=1).isoformat()
    form["period_end"] = (today + datetime.timedelta(days=25)).isoformat()
    form["rating"] = "Good"
    form["evidence"] = "Monthly help desk reports, all calls answered in time."
    refused = form.submit(status=400)
    summary = refused.html.select_one(".govuk-error-summary")
    link = summary.find("a", href="#period_end")
    assert link is not None and "The period must have ended before it is rated" in link.text
    assert db_session.execute(sa.select(sa.func.count()).select_from(Assessment)).scalar() == 0
