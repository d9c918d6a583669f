"""Issue 20, what a security tester found through assessments: a draft contract's title read on
an assessment of it (and its id in assessments.csv), a draft assessment read through its reply
page, and staff e-mail addresses in public histories. Each test reproduces a finding through
the real app."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.api.tokens import issue_token
from registry.audit.models import AuditEvent
from registry.audit.services import record_event
from registry.records import Publication
from registry.scoring.assessments.models import Assessment, AssessmentStatus
from tests.common.access import Client
from tests.common.db.core import BuyerFactory, ContractFactory, SupplierFactory
from tests.common.db.scoring import AssessmentFactory
from tests.conftest import login

DRAFT_TITLE = "Confidential draft: outsourcing the pharmacy"
REFUSAL = "Publish the contract before assessing it"


@pytest.fixture
def world(db_session: Session, make_user: Any) -> dict[str, Any]:
    buyer = BuyerFactory.create(name="Leeds City Council")
    supplier = SupplierFactory.create(name="Acme Health Ltd")
    draft = ContractFactory.create(
        buyer=buyer, supplier=supplier, title=DRAFT_TITLE, publication=Publication.draft
    )
    published = ContractFactory.create(buyer=buyer, supplier=supplier, title="Published EPR")
    db_session.commit()
    return {
        "buyer": buyer,
        "draft": draft,
        "published": published,
        "officer": make_user("officer", buyer_id=buyer.id),
        "supplier_user": make_user("supplier", supplier_id=supplier.id),
        "auditor": make_user("auditor"),
    }


def _count(db: Session) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(Assessment)).scalar_one()


def _assessment_form(page: webtest.TestResponse) -> webtest.Form:
    form = next(f for f in page.forms.values() if (f.action or "").endswith("/assessments/new"))
    form["kpi"] = "Dispensing within 2 hours"
    form["period_start"], form["period_end"] = "2025-04-01", "2025-06-30"
    form["rating"] = "Good"
    form["evidence"] = "Monthly dispensing reports, all within target, checked by the buyer."
    return form


def _errors(page: webtest.TestResponse) -> str:
    return " ".join(page.html.select_one(".govuk-error-summary").text.split())


def test_a_draft_contract_cannot_be_assessed(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    login(webtest_app, world["officer"].email)
    draft = world["draft"]
    # The contract page offers no assessment of a draft, and the form says why at once.
    assert f"/contracts/{draft.id}/assessments/new" not in webtest_app.get(f"/contracts/{draft.id}")
    page = webtest_app.get(f"/contracts/{draft.id}/assessments/new")
    assert REFUSAL in _errors(page)
    form = _assessment_form(page)
    refused = form.submit(status=400)
    assert REFUSAL in _errors(refused)
    assert _count(db_session) == 0
    # The same form for the published contract records the draft assessment.
    ok = webtest_app.get(f"/contracts/{world['published'].id}/assessments/new")
    assert "govuk-error-summary" not in ok.text


def test_an_assessment_of_a_draft_contract_is_neither_submitted_nor_published(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    """Legacy data (recorded before the form refused drafts) stays unpublishable until the
    contract is published."""
    draft = world["draft"]
    unsent = AssessmentFactory.create(contract=draft, status=AssessmentStatus.draft)
    approved = AssessmentFactory.create(
        contract=draft, kpi="Stock-outs", status=AssessmentStatus.approved
    )
    db_session.commit()
    login(webtest_app, world["officer"].email)
    page = webtest_app.get(f"/assessments/{unsent.id}")
    page.forms[next(k for k, f in page.forms.items() if "submit" in (f.action or ""))].submit()
    assert REFUSAL in webtest_app.get(f"/assessments/{unsent.id}").text
    login(webtest_app, world["auditor"].email)
    review = webtest_app.get(f"/review/{approved.id}")
    form = next(
        f for f in review.forms.values() if (f.action or "").endswith(f"/review/{approved.id}")
    )
    refused = form.submit("action", value="publish", status=400)
    assert REFUSAL in _errors(refused)
    db_session.expire_all()
    assert unsent.status == AssessmentStatus.draft
    assert approved.status == AssessmentStatus.approved


def test_a_published_assessment_of_a_draft_contract_shows_the_draft_to_nobody_outside(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any], make_user: Any
) -> None:
    """Defence in depth: legacy data with a published assessment of a draft contract. The
    tester read the draft's title on /assessments/{id} as the supplier and as the public."""
    a = AssessmentFactory.create(contract=world["draft"], kpi="Pharmacy KPI")
    archived = AssessmentFactory.create(
        contract=world["draft"],
        kpi="Archived pharmacy KPI",
        status=AssessmentStatus.retracted,
        published_at=a.created,
        retracted_at=a.created,
        retraction_reason="Withdrawn",
    )
    db_session.commit()
    other_officer = make_user("officer", buyer_id=BuyerFactory.create().id)
    outsiders = {
        "the public": None,
        "the supplier": world["supplier_user"],
        "another buyer's officer": other_officer,
    }
    for who, user in outsiders.items():
        client = Client(webtest_app, who, user)
        for record in (a, archived):
            for path in (f"/assessments/{record.id}", f"/assessments/{record.id}/reply"):
                response = client.get(path)
                assert response.status_int in (302, 303, 404), (who, path, response.status)
                assert DRAFT_TITLE not in response.text, (who, path)
        listing = client.get("/assessments")
        assert "Pharmacy KPI" not in listing.text and DRAFT_TITLE not in listing.text, who
        supplier_page = client.get(f"/suppliers/{a.supplier_id}")
        assert "Pharmacy KPI" not in supplier_page.text, who
    # Those who may see the draft contract still see the assessment and the contract's title.
    for user in (world["officer"], world["auditor"]):
        page = Client(webtest_app, user.role, user).get(f"/assessments/{a.id}")
        assert page.status_int == 200 and DRAFT_TITLE in page.text
        assert "This assessment is not public: its contract is a draft" in page.text


def test_the_download_leaves_out_an_assessment_of_a_draft_contract(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    hidden = AssessmentFactory.create(contract=world["draft"])
    shown = AssessmentFactory.create(contract=world["published"])
    db_session.commit()
    rows = webtest_app.get("/data/assessments.csv").text.splitlines()
    ids = {line.split(",")[0] for line in rows[1:]}
    assert str(shown.id) in ids
    assert str(hidden.id) not in ids


def test_a_draft_assessment_is_not_readable_through_its_reply_page(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    """The tester read a draft's KPI, rating and period on /assessments/{id}/reply (GET 200, and
    the POST's 400 page), though /assessments/{id} was 404 to the supplier."""
    a = AssessmentFactory.create(
        contract=world["published"],
        kpi="Secret draft KPI",
        status=AssessmentStatus.draft,
        reply_due=None,
    )
    db_session.commit()
    supplier = Client(webtest_app, "supplier", world["supplier_user"])
    assert supplier.get(f"/assessments/{a.id}").status_int == 404
    got = supplier.get(f"/assessments/{a.id}/reply")
    posted = supplier.post(
        f"/assessments/{a.id}/reply", {"csrf_token": supplier.csrf, "text": "We object"}
    )
    for response in (got, posted):
        assert response.status_int == 404
        assert "Secret draft KPI" not in response.text
    # Once submitted, the supplier reads it and may reply, on both pages.
    a.status, a.reply_due = AssessmentStatus.submitted, a.period_end.replace(year=2999)
    db_session.commit()
    assert supplier.get(f"/assessments/{a.id}").status_int == 200
    assert "Secret draft KPI" in supplier.get(f"/assessments/{a.id}/reply").text


def test_public_histories_name_roles_not_e_mail_addresses(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    """The tester read staff e-mail addresses in assessment histories: anyone could name an
    auditor to lock out. The public reads roles and organisations; auditors see who."""
    officer, auditor = world["officer"], world["auditor"]
    login(webtest_app, officer.email)
    page = webtest_app.get(f"/contracts/{world['published'].id}/assessments/new")
    form = _assessment_form(page)
    a_id = int(form.submit(status=303).headers["Location"].rsplit("/", 1)[-1])
    a = db_session.get(Assessment, a_id)
    assert a is not None
    # Submitted, reviewed and published by an auditor, as the events record it.
    a.status, a.published_at = AssessmentStatus.published, a.created
    db_session.commit()
    record_event(
        db_session,
        action="assessment.publish",
        subject_type="assessment",
        subject_id=a.id,
        actor=auditor,
        after={"status": "published"},
    )
    db_session.commit()
    webtest_app.get("/logout")
    webtest_app.reset()
    public = webtest_app.get(f"/assessments/{a.id}")
    history = " ".join(public.html.select("table")[-1].text.split())
    assert officer.email not in public.text and auditor.email not in public.text
    assert "an officer of Leeds City Council" in history
    assert "an auditor" in history
    assert "an officer of Leeds City Council" in public.html.select_one(".govuk-summary-list").text
    login(webtest_app, auditor.email)
    seen = webtest_app.get(f"/assessments/{a.id}")
    assert officer.email in seen.text and auditor.email in seen.text
    assert (
        db_session.execute(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.actor_id == officer.id)
        ).scalar_one()
        >= 1
    )


def test_the_api_refuses_to_assess_a_draft_contract_naming_the_field(
    webtest_app: webtest.TestApp, db_session: Session, world: dict[str, Any]
) -> None:
    _, token = issue_token(db_session, user=world["officer"], name="Assessments", actor=None)
    db_session.commit()
    body = {
        "contract_id": world["draft"].id,
        "kpi": "Dispensing within 2 hours",
        "period_start": "2025-04-01",
        "period_end": "2025-06-30",
        "rating": "Good",
        "evidence": "Monthly dispensing reports, all within target, checked by the buyer.",
    }
    refused = webtest_app.post_json(
        "/api/v1/assessments", body, headers={"Authorization": f"Bearer {token}"}, status=400
    )
    assert refused.json["error"]["fields"][0]["field"] == "$.contract_id"
    assert REFUSAL in refused.json["error"]["fields"][0]["message"]
    assert _count(db_session) == 0
