"""POST /api/v1/assessments through the real app: the scoring service's rules and audit events,
the web form's permissions (officers of the contract's buyer, admins), JSON errors naming the
field, nothing written on refusal, and a draft that stays out of every public read."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.api.tokens import issue_token
from registry.audit.models import AuditEvent
from registry.db import utcnow
from registry.scoring.assessments.models import Assessment, AssessmentStatus, Rating
from registry.scoring.assessments.services import REPLY_WINDOW_SETTING
from tests.common.db.core import BuyerFactory, ContractFactory, ObligationFactory
from tests.common.db.search import gp_market


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(db_session: Session, user: Any) -> str:
    _, plain = issue_token(db_session, user=user, name="Assessments", actor=None)
    db_session.commit()
    return plain


@pytest.fixture
def officer(db_session: Session, make_user: Any) -> tuple[Any, Any, str]:
    market = gp_market()
    user = make_user("officer", buyer_id=market.published.buyer_id)
    return market, user, token_for(db_session, user)


def assessment_body(contract_id: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contract_id": contract_id,
        "kpi": "System availability in core hours",
        "period_start": "2025-04-01",
        "period_end": "2025-06-30",
        "rating": "Requires improvement",
        "measured_value": 98.75,
        "unit": "%",
        "evidence": "Three outages of over four hours in May",
        "evidence_links": ["https://example.org/reports/q1"],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def counts(db_session: Session) -> tuple[int, int]:
    rows = db_session.execute(sa.select(sa.func.count()).select_from(Assessment)).scalar_one()
    events = db_session.execute(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_type == "assessment")
    ).scalar_one()
    return rows, events


def test_records_a_draft_with_its_audit_event(
    webtest_app: webtest.TestApp, db_session: Session, officer: Any
) -> None:
    market, user, token = officer
    response = webtest_app.post_json(
        "/api/v1/assessments",
        assessment_body(market.published.id),
        headers=bearer(token),
        status=201,
    )
    created = response.json
    assert created["status"] == "draft"
    assert created["reply_due"] is None
    assert created["url"].endswith(f"/assessments/{created['id']}")
    assert response.headers["Location"] == created["url"]
    row = db_session.get(Assessment, created["id"])
    assert row is not None
    assert row.status == AssessmentStatus.draft
    assert row.rating == Rating.requires_improvement
    assert (row.contract_id, row.buyer_id) == (market.published.id, market.published.buyer_id)
    assert row.supplier_id == market.tpp.id
    assert row.period_end == datetime.date(2025, 6, 30)
    assert str(row.measured_value).startswith("98.75")
    assert row.evidence_links == ["https://example.org/reports/q1"]
    assert row.assessor_id == user.id
    events = db_session.execute(
        sa.select(AuditEvent).where(
            AuditEvent.subject_type == "assessment", AuditEvent.subject_id == str(row.id)
        )
    ).scalars()
    assert [(e.action, e.actor_id) for e in events] == [("assessment.create", user.id)]


def test_submit_true_submits_and_opens_the_reply_window(
    webtest_app: webtest.TestApp, db_session: Session, officer: Any, app_settings: Any
) -> None:
    market, _, token = officer
    created = webtest_app.post_json(
        "/api/v1/assessments",
        assessment_body(market.published.id, submit=True),
        headers=bearer(token),
        status=201,
    ).json
    window = int(app_settings.get(REPLY_WINDOW_SETTING, 14))
    due = utcnow().date() + datetime.timedelta(days=window)
    assert created["status"] == "submitted"
    assert created["reply_due"] == due.isoformat()
    row = db_session.get(Assessment, created["id"])
    assert row is not None and row.status == AssessmentStatus.submitted
    actions = db_session.execute(
        sa.select(AuditEvent.action)
        .where(AuditEvent.subject_type == "assessment", AuditEvent.subject_id == str(row.id))
        .order_by(AuditEvent.seq)
    ).scalars()
    assert list(actions) == ["assessment.create", "assessment.submit"]


def test_an_obligation_names_the_kpi_and_gives_its_weight(
    webtest_app: webtest.TestApp, db_session: Session, officer: Any
) -> None:
    market, _, token = officer
    created = webtest_app.post_json(
        "/api/v1/assessments",
        assessment_body(market.published.id, kpi=None, obligation_id=market.bulk.id),
        headers=bearer(token),
        status=201,
    ).json
    assert created["kpi"] == market.bulk.title
    assert created["obligation_id"] == market.bulk.id
    row = db_session.get(Assessment, created["id"])
    assert row is not None and row.weight == market.bulk.weight


def test_an_admin_token_may_record_for_any_buyer(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    market = gp_market()
    token = token_for(db_session, make_user("admin"))
    webtest_app.post_json(
        "/api/v1/assessments",
        assessment_body(market.published.id),
        headers=bearer(token),
        status=201,
    )


def test_the_draft_is_in_no_public_read(
    webtest_app: webtest.TestApp, db_session: Session, officer: Any, search_index: Any
) -> None:
    market, _, token = officer
    created = webtest_app.post_json(
        "/api/v1/assessments",
        assessment_body(market.published.id, kpi="Zanzibar uptime"),
        headers=bearer(token),
        status=201,
    ).json
    webtest_app.get(created["url"], status=404)
    scores = webtest_app.get(f"/api/v1/suppliers/{market.tpp.id}/scores").json
    assert scores["data"] == []
    assert webtest_app.get("/api/v1/search", params={"q": "Zanzibar"}).json["total"] == 0
    listing = webtest_app.get("/assessments")
    assert "Zanzibar" not in listing.text


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sar_wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
def test_without_a_valid_token_401(
    webtest_app: webtest.TestApp, db_session: Session, headers: dict[str, str]
) -> None:
    market = gp_market()
    before = counts(db_session)
    response = webtest_app.post_json(
        "/api/v1/assessments", assessment_body(market.published.id), headers=headers, status=401
    )
    assert response.json["error"]["fields"][0]["field"] == "header.Authorization"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert counts(db_session) == before


def test_a_signed_in_session_is_not_a_token(
    webtest_app: webtest.TestApp, db_session: Session, login_as: Any
) -> None:
    market = gp_market()
    login_as("officer", buyer_id=market.published.buyer_id)
    webtest_app.post_json("/api/v1/assessments", assessment_body(market.published.id), status=401)
    assert counts(db_session) == (0, 0)


@pytest.mark.parametrize("role", ["auditor", "supplier"])
def test_a_token_of_a_role_that_may_not_assess_403(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any, role: str
) -> None:
    market = gp_market()
    extra = {"supplier_id": market.tpp.id} if role == "supplier" else {}
    token = token_for(db_session, make_user(role, **extra))
    body = webtest_app.post_json(
        "/api/v1/assessments",
        assessment_body(market.published.id),
        headers=bearer(token),
        status=403,
    ).json
    assert body["error"]["status"] == 403
    assert counts(db_session) == (0, 0)


def test_another_buyers_contract_403(
    webtest_app: webtest.TestApp, db_session: Session, officer: Any
) -> None:
    market, _, token = officer
    theirs = ContractFactory(buyer=BuyerFactory(), supplier=market.emis, lot=market.lot)
    db_session.commit()
    body = webtest_app.post_json(
        "/api/v1/assessments", assessment_body(theirs.id), headers=bearer(token), status=403
    ).json
    assert "own buyer" in body["error"]["message"]
    assert counts(db_session) == (0, 0)


def _refused(webtest_app: webtest.TestApp, token: str, body: dict[str, Any]) -> dict[str, str]:
    error = webtest_app.post_json(
        "/api/v1/assessments", body, headers=bearer(token), status=400
    ).json["error"]
    assert error["status"] == 400 and error["message"]
    return {f["field"]: f["message"] for f in error["fields"]}


def test_bad_input_names_the_field_and_writes_nothing(
    webtest_app: webtest.TestApp, db_session: Session, officer: Any
) -> None:
    market, _, token = officer
    contract = market.published.id
    other_framework = ObligationFactory(title="Another framework's promise")
    db_session.commit()
    cases: list[tuple[dict[str, Any], str]] = [
        (assessment_body(contract, rating="Excellent"), "$.rating"),
        (assessment_body(contract, period_end="2025-03-31"), "$.period_end"),
        (assessment_body(contract, period_start="2025-02-30"), "$.period_start"),
        (assessment_body(999_999), "$.contract_id"),
        (assessment_body(contract, kpi="  "), "$.kpi"),
        (assessment_body(contract, evidence=None), "$.evidence"),  # a rating needs a narrative
        (assessment_body(contract, evidence="ok"), "$.evidence"),
        (assessment_body(contract, obligation_id=other_framework.id), "$.obligation_id"),
        (assessment_body(contract, evidence_links=["javascript:alert(1)"]), "$.evidence_links[0]"),
        (assessment_body(contract, measured_value="lots"), "$.measured_value"),
        (assessment_body(contract, colour="red"), "$"),
        ({"kpi": "No contract"}, "$.contract_id"),
    ]
    for body, field in cases:
        fields = _refused(webtest_app, token, body)
        assert field in fields, (body, fields)
    messages = _refused(webtest_app, token, assessment_body(contract, period_end="2025-03-31"))
    assert "end on or after" in messages["$.period_end"]
    assert "colour" in _refused(webtest_app, token, assessment_body(contract, colour="red"))["$"]
    assert counts(db_session) == (0, 0)


def test_an_overlapping_period_of_the_same_kpi_is_refused(
    webtest_app: webtest.TestApp, db_session: Session, officer: Any
) -> None:
    market, _, token = officer
    webtest_app.post_json(
        "/api/v1/assessments",
        assessment_body(market.published.id),
        headers=bearer(token),
        status=201,
    )
    before = counts(db_session)
    fields = _refused(
        webtest_app,
        token,
        assessment_body(market.published.id, period_start="2025-06-01", period_end="2025-09-30"),
    )
    assert "overlaps assessment" in fields["$.period_start"]
    assert counts(db_session) == before


def test_a_retracted_contract_cannot_be_assessed(
    webtest_app: webtest.TestApp, db_session: Session, officer: Any
) -> None:
    market, _, token = officer
    retracted = ContractFactory(
        buyer=market.published.buyer, supplier=market.tpp, retracted_at=utcnow()
    )
    db_session.commit()
    fields = _refused(webtest_app, token, assessment_body(retracted.id))
    assert "retracted" in fields["$.contract_id"]
    assert counts(db_session) == (0, 0)
