"""JSON bodies the API must refuse before anything reads them (a lone surrogate, nesting past any
document, NaN), each answered with a JSON 400 naming the path and nothing written; and money that
keeps every digit it was sent with (no float on the way)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.api.tokens import issue_token
from registry.api.validation import MAX_DEPTH
from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.scoring.models import Assessment
from tests.common.db.search import EMIS_CH, gp_market

CONTRACT = {
    "title": "GP clinical system for Leeds practices 2026",
    "supplier": EMIS_CH,
    "value_amount": 250000,
    "currency": "GBP",
    "award_date": "2026-01-05",
}


@pytest.fixture
def token(db_session: Session, make_user: Any) -> tuple[Any, dict[str, str]]:
    market = gp_market()
    user = make_user("officer", buyer_id=market.published.buyer_id)
    _, plain = issue_token(db_session, user=user, name="Bad input", actor=None)
    db_session.commit()
    return market, {"Authorization": f"Bearer {plain}", "Content-Type": "application/json"}


def rows(db_session: Session) -> tuple[int, int]:
    count = sa.select(sa.func.count())
    return (
        db_session.execute(count.select_from(Contract)).scalar_one(),
        db_session.execute(count.select_from(Assessment)).scalar_one(),
    )


def nested(depth: int) -> str:
    return '{"title": ' + "[" * depth + "1" + "]" * depth + "}"


BODIES: dict[str, tuple[str, str]] = {
    # (the body, the path the 400 names)
    "lone_surrogate": (json.dumps({**CONTRACT, "title": "Ward \ud800 pharmacy"}), "$.title"),
    "surrogate_in_a_name": (json.dumps({**CONTRACT, "\udfff": 1}), "$.\\udfff (name)"),
    "nul": (json.dumps({**CONTRACT, "title": "Ward\x00 pharmacy"}), "$.title"),
    "nested_5000": (nested(5000), "$"),
    "nested_past_the_limit": (nested(MAX_DEPTH + 5), "$.title" + "[0]" * MAX_DEPTH),
    "nan": (json.dumps({**CONTRACT, "value_amount": float("nan")}), "$"),
    "infinity": (json.dumps({**CONTRACT, "value_amount": float("inf")}), "$"),
}


@pytest.mark.parametrize("route", ["/api/v1/contracts", "/api/v1/assessments"])
@pytest.mark.parametrize("kind", list(BODIES))
def test_a_bad_body_is_a_400_naming_the_path_and_writes_nothing(
    webtest_app: webtest.TestApp, db_session: Session, token: Any, route: str, kind: str
) -> None:
    _market, headers = token
    body, path = BODIES[kind]
    before = rows(db_session)
    response = webtest_app.post(
        route, body.encode("utf-8", "surrogatepass"), headers=headers, expect_errors=True
    )
    assert response.status_int == 400, response.text[:300]
    error = response.json["error"]
    assert path in [f["field"] for f in error["fields"]], error
    assert rows(db_session) == before


def test_money_keeps_every_digit(
    webtest_app: webtest.TestApp, db_session: Session, token: Any
) -> None:
    _market, headers = token
    body = json.dumps(CONTRACT).replace("250000", "999999999999999.99")
    created = webtest_app.post("/api/v1/contracts", body, headers=headers, status=201).json
    assert created["value_amount"] == "999999999999999.99"
    event = db_session.execute(
        sa.select(AuditEvent.after).where(
            AuditEvent.action == "contract.created", AuditEvent.subject_id == str(created["id"])
        )
    ).scalar_one()
    assert event["value_amount"] == "999999999999999.99"
    contract = db_session.get(Contract, created["id"])
    assert contract is not None
    # SQLite keeps NUMERIC as REAL (15 significant digits): only PostgreSQL stores every digit.
    if db_session.get_bind().dialect.name == "postgresql":
        assert contract.value_amount == Decimal("999999999999999.99")


def test_a_measured_value_keeps_its_places(
    webtest_app: webtest.TestApp, db_session: Session, token: Any
) -> None:
    market, headers = token
    body = {
        "contract_id": market.published.id,
        "kpi": "System availability in core hours",
        "period_start": "2025-04-01",
        "period_end": "2025-06-30",
        "rating": "Good",
        "evidence": "The supplier's monthly availability report for the quarter",
    }
    text = json.dumps(body)[:-1] + ', "measured_value": 9999999999999.9999}'
    created = webtest_app.post("/api/v1/assessments", text, headers=headers, status=201).json
    assert created["measured_value"] == "9999999999999.9999"
