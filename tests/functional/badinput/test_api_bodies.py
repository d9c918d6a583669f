"""JSON bodies the API must refuse before anything reads them (a lone surrogate, nesting past any
document, NaN), each answered with a JSON 400 naming the path and nothing written; and money that
keeps every digit it was sent with (no float on the way).

And every number and date property of every request body in the OpenAPI document, found by walking
it (so a property added later is covered): bounded within the column it fills, and fed numbers
no column holds (10^20, 400 digits, -10^20, NaN, Infinity, -1 where it counts from 0) and dates no
calendar has, each a 400 naming the JSON path (and, for a number, the range), nothing written."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.api.tokens import issue_token
from registry.api.validation import MAX_DEPTH, load_spec
from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.integers import column_bounds
from registry.scoring.assessments.models import Assessment
from tests.common.access import row_counts
from tests.common.db.search import EMIS_CH, gp_market
from tests.functional.badinput.corpus import BAD_DATES, NEGATIVE, OUT_OF_RANGE

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


def assessment(market: Any) -> dict[str, Any]:
    """A body the API takes: an assessment of the planted market's published contract."""
    return {
        "contract_id": market.published.id,
        "kpi": "System availability in core hours",
        "period_start": "2025-04-01",
        "period_end": "2025-06-30",
        "rating": "Good",
        "evidence": "The supplier's monthly availability report for the quarter",
    }


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
    "nan": (json.dumps({**CONTRACT, "value_amount": float("nan")}), "$.value_amount"),
    "infinity": (json.dumps({**CONTRACT, "value_amount": float("inf")}), "$.value_amount"),
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
    text = json.dumps(assessment(market))[:-1] + ', "measured_value": 9999999999999.9999}'
    created = webtest_app.post("/api/v1/assessments", text, headers=headers, status=201).json
    assert created["measured_value"] == "9999999999999.9999"


# The request bodies' schemas and the tables they write to: a property named like a column of its
# model is bounded by that column.
MODELS: dict[str, type[Any]] = {"ContractInput": Contract, "AssessmentInput": Assessment}


def request_bodies() -> dict[str, tuple[str, dict[str, Any]]]:
    """Each POST route's body schema: {route: (schema name, properties)}."""
    spec = load_spec()
    found = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            if method == "post" and ref:
                name = ref.rpartition("/")[2]
                properties = spec["components"]["schemas"][name]["properties"]
                found[f"/api/v1{path}"] = (name, properties)
    return found


def properties_of(kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(route, property, its schema) for every number (or date) property of every body."""
    return [
        (route, name, schema)
        for route, (_, properties) in request_bodies().items()
        for name, schema in properties.items()
        if (schema.get("type") in ("integer", "number")) == (kind == "number")
        and (kind == "number" or schema.get("format") == "date")
    ]


def test_every_body_property_is_found() -> None:
    numbers = {(route, name) for route, name, _ in properties_of("number")}
    dates = {(route, name) for route, name, _ in properties_of("date")}
    assert {("/api/v1/contracts", "value_amount"), ("/api/v1/assessments", "measured_value")} <= (
        numbers
    )
    assert {("/api/v1/contracts", "award_date"), ("/api/v1/assessments", "period_end")} <= dates


def test_every_number_property_is_bounded_within_its_column() -> None:
    problems = []
    for route, (schema_name, properties) in request_bodies().items():
        model = MODELS.get(schema_name)
        for name, schema in properties.items():
            if schema.get("type") not in ("integer", "number"):
                continue
            if "minimum" not in schema or "maximum" not in schema:
                problems.append(f"{route} {name}: no minimum or maximum")
                continue
            column = getattr(model, name, None) if model is not None else None
            if column is not None:
                bounds = column_bounds(column, minimum=None)
                if (
                    not bounds.minimum
                    <= Decimal(str(schema["minimum"]))
                    <= Decimal(str(schema["maximum"]))
                    <= bounds.maximum
                ):
                    problems.append(f"{route} {name}: {schema} is wider than {bounds.describe()}")
    assert problems == []


@pytest.fixture
def bodies(token: Any) -> dict[str, dict[str, Any]]:
    market, _headers = token
    return {"/api/v1/contracts": CONTRACT, "/api/v1/assessments": assessment(market)}


def test_numbers_and_dates_no_column_holds_are_refused_by_json_path(
    webtest_app: webtest.TestApp, db_session: Session, token: Any, bodies: dict[str, Any]
) -> None:
    _market, headers = token
    cases = []
    for route, name, schema in properties_of("number"):
        values = list(OUT_OF_RANGE.values())
        if schema["minimum"] > -1:
            values.append(NEGATIVE)
        cases += [
            (route, name, v, "from" if v.lstrip("-")[0].isdigit() else "not a number")
            for v in values
        ]
    cases += [
        (r, n, json.dumps(v), "not a real date")
        for r, n, _ in properties_of("date")
        for v in BAD_DATES.values()
    ]
    before = row_counts(db_session.connection())
    problems = []
    for route, name, literal, said in cases:
        body = json.dumps({**bodies[route], name: "__BAD__"}).replace('"__BAD__"', literal)
        response = webtest_app.post(route, body, headers=headers, expect_errors=True)
        fields = (
            response.json.get("error", {}).get("fields", []) if response.status_int < 500 else []
        )
        messages = [f["message"] for f in fields if f["field"] == f"$.{name}"]
        if response.status_int not in (400, 422) or not any(said in m for m in messages):
            problems.append(f"{route} {name}={literal[:20]}: {response.status} {fields}"[:300])
    assert problems == []
    assert row_counts(db_session.connection()) == before
