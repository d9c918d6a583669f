"""schemathesis against the served OpenAPI document, over every operation of the API: no 5xx,
and every response as the document describes it. Writes run with a real officer's token."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from registry.api.tokens import issue_token
from registry.api.validation import load_spec
from tests.common.db.search import gp_market

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def market() -> Any:
    return gp_market()


@pytest.fixture
def api_token(db_session: Session, make_user: Any, market: Any) -> str:
    user = make_user("officer", buyer_id=market.published.buyer_id)
    _, plain = issue_token(db_session, user=user, name="schemathesis", actor=None)
    db_session.commit()
    return plain


# Every operation the document describes, so a new path is covered without editing this test.
OPERATIONS = [
    (path, method)
    for path, item in load_spec()["paths"].items()
    for method in item
    if method in {"get", "post", "put", "patch", "delete"}
]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_the_api_keeps_to_its_document(
    wsgi_app: Any,
    db_connection: Connection,
    search_index: Any,
    api_token: str,
    market: Any,
    path: str,
    method: str,
) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        # Every generated request runs in a SAVEPOINT of the test's rolled-back transaction.
        environ["registry.db_connection"] = db_connection
        return wsgi_app(environ, start_response)

    # The document the app serves, not the file: what clients read is what is tested.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method.upper()]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {api_token}"}
        body = case.body
        # Random ids name no contract: half the time, the token's buyer's, so writes succeed.
        if (
            isinstance(body, dict)
            and isinstance(body.get("contract_id"), int)
            and body["contract_id"] % 2
        ):
            body["contract_id"] = market.published.id
        response = case.call()
        case.validate_response(response, checks=CHECKS)

    run()
