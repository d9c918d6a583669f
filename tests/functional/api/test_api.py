"""The JSON API through the real app: published data, cursors, JSON errors naming the field,
and token-authenticated writes."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
import webtest
from sqlalchemy.orm import Session

from registry.api.tokens import issue_token, revoke_token
from registry.audit.models import AuditEvent
from registry.contracts.models import Contract
from registry.records import Publication
from tests.common.db.core import FrameworkFactory, LotFactory, SupplierFactory
from tests.common.db.search import EMIS_CH, gp_market


@pytest.fixture
def officer_token(db_session: Session, make_user: Any) -> tuple[Any, str]:
    market = gp_market()
    user = make_user("officer", buyer_id=market.published.buyer_id)
    _, plain = issue_token(db_session, user=user, name="Trust finance system", actor=None)
    db_session.commit()
    return market, plain


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_serves_the_openapi_document(webtest_app: webtest.TestApp) -> None:
    document = webtest_app.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert {
        "/frameworks",
        "/suppliers",
        "/suppliers/{id}/scores",
        "/flags",
        "/markets",
        "/search",
        "/contracts",
        "/assessments",
    } <= set(document["paths"])


def test_suppliers_page_with_a_cursor(webtest_app: webtest.TestApp, db_session: Session) -> None:
    made = [SupplierFactory(name=f"Cursor Co {n}") for n in range(5)]
    merged = SupplierFactory(name="Merged away", merged_into=made[0])
    seen: list[int] = []
    url: str | None = "/api/v1/suppliers?limit=2"
    while url:
        body = webtest_app.get(url).json
        assert len(body["data"]) <= 2
        seen.extend(item["id"] for item in body["data"])
        url = body["links"]["next"]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert {s.id for s in made} <= set(seen)
    assert merged.id not in seen


def test_frameworks_list_their_lots(webtest_app: webtest.TestApp, db_session: Session) -> None:
    framework = FrameworkFactory(reference="RM7777", title="Cloud hosting")
    LotFactory(framework=framework, number="2", title="Hosting")
    body = webtest_app.get("/api/v1/frameworks").json
    entry = next(f for f in body["data"] if f["reference"] == "RM7777")
    (lot,) = entry["lots"]
    assert {k: lot[k] for k in ("number", "title")} == {"number": "2", "title": "Hosting"}
    # Framework money (issue 11): no ceiling recorded, no call-offs yet.
    assert (lot["ceiling_amount"], lot["call_off_contracts"]) == (None, 0)
    # Recorded live, but the factory's end date (1 January 2024) has passed (issue 19).
    assert (entry["status"], entry["recorded_status"]) == ("expired", "live")


def test_search_finds_records(webtest_app: webtest.TestApp, search_index: Any) -> None:
    market = gp_market()
    search_index.rebuild()
    body = webtest_app.get("/api/v1/search", params={"q": EMIS_CH}).json
    assert [(d["type"], d["id"]) for d in body["data"]] == [("supplier", market.emis.id)]
    body = webtest_app.get(
        "/api/v1/search", params={"q": "bulk extract", "type": "obligation"}
    ).json
    assert [d["id"] for d in body["data"]] == [market.bulk.id]
    assert body["data"][0]["category"] == "data portability"
    assert (
        webtest_app.get("/api/v1/search", params={"q": "Sytmone"}).json["suggestion"] == "SystmOne"
    )
    assert webtest_app.get("/api/v1/search", params={"q": "confidential draft"}).json["total"] == 0


def test_search_pages_with_a_cursor(webtest_app: webtest.TestApp, search_index: Any) -> None:
    for n in range(7):
        SupplierFactory(name=f"Wombat Data {n} Ltd")
    search_index.rebuild()
    seen: list[int] = []
    url: str | None = "/api/v1/search?q=wombat&limit=3"
    while url:
        body = webtest_app.get(url).json
        seen.extend(d["id"] for d in body["data"])
        url = body["links"]["next"]
    assert len(seen) == 7 == len(set(seen))


def test_scores_of_a_missing_supplier_are_a_json_404(webtest_app: webtest.TestApp) -> None:
    body = webtest_app.get("/api/v1/suppliers/99999999/scores", status=404).json
    assert body["error"]["status"] == 404
    assert "99999999" in body["error"]["message"]


def test_scores_of_an_unscored_supplier(webtest_app: webtest.TestApp, db_session: Session) -> None:
    supplier = SupplierFactory()
    body = webtest_app.get(f"/api/v1/suppliers/{supplier.id}/scores").json
    assert body["supplier"]["id"] == supplier.id and body["data"] == []


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/suppliers?limit=0", "query.limit"),
        ("/api/v1/suppliers?limit=abc", "query.limit"),
        ("/api/v1/frameworks?limit=1000", "query.limit"),
        ("/api/v1/suppliers?cursor=not-a-cursor", "query.cursor"),
        ("/api/v1/flags?status=sleeping", "query.status"),
        ("/api/v1/search", "query.q"),
        ("/api/v1/search?q=x&type=planet", "query.type"),
        ("/api/v1/suppliers/0/scores", "path.id"),
        ("/api/v1/suppliers/99999999999/scores", "path.id"),
    ],
)
def test_bad_parameters_get_a_json_400_naming_the_field(
    webtest_app: webtest.TestApp, url: str, field: str
) -> None:
    body = webtest_app.get(url, status=400).json
    assert body["error"]["status"] == 400
    assert field in [f["field"] for f in body["error"]["fields"]]


def test_unknown_api_address_is_a_json_404(webtest_app: webtest.TestApp) -> None:
    body = webtest_app.get("/api/v1/planets", status=404).json
    assert body["error"]["status"] == 404


# -- writes -----------------------------------------------------------------------------------


def contract_body(market: Any, **extra: Any) -> dict[str, Any]:
    return {
        "title": "GP clinical system for Leeds practices 2026",
        "supplier": EMIS_CH,
        "value_amount": 250000,
        "currency": "GBP",
        "award_date": "2026-01-05",
        "procurement_method": "further competition",
        "cpv_code": "48180000",
        **extra,
    }


def test_records_a_published_contract_with_a_token_audited_and_searchable(
    webtest_app: webtest.TestApp, db_session: Session, officer_token: Any, search_index: Any
) -> None:
    market, token = officer_token
    response = webtest_app.post_json(
        "/api/v1/contracts", contract_body(market, publish=True), headers=bearer(token), status=201
    )
    created = response.json
    assert created["publication"] == "published"
    assert created["supplier_id"] == market.emis.id
    assert created["buyer_id"] == market.published.buyer_id
    contract = db_session.get(Contract, created["id"])
    assert contract is not None and contract.source == "api"
    actions = db_session.execute(
        sa.select(AuditEvent.action)
        .where(AuditEvent.subject_type == "contract", AuditEvent.subject_id == str(contract.id))
        .order_by(AuditEvent.seq)
    ).scalars()
    assert list(actions) == ["contract.created", "contract.published"]
    # Committed by the request, so the after-commit hook indexed it.
    found = webtest_app.get("/api/v1/search", params={"q": "Leeds practices 2026"}).json
    # The contract, and its supplier, whose document now holds what it sells (its titles).
    assert {(d["type"], d["id"]) for d in found["data"]} == {
        ("contract", contract.id),
        ("supplier", contract.supplier_id),
    }


def test_a_draft_recorded_through_the_api_is_not_searchable(
    webtest_app: webtest.TestApp, officer_token: Any, search_index: Any
) -> None:
    market, token = officer_token
    created = webtest_app.post_json(
        "/api/v1/contracts", contract_body(market), headers=bearer(token), status=201
    ).json
    assert created["publication"] == Publication.draft
    found = webtest_app.get("/api/v1/search", params={"q": "Leeds practices 2026"}).json
    assert found["total"] == 0


def test_a_rejected_write_leaves_nothing_and_names_the_fields(
    webtest_app: webtest.TestApp, db_session: Session, officer_token: Any
) -> None:
    market, token = officer_token
    before = db_session.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one()
    body = webtest_app.post_json(
        "/api/v1/contracts",
        {"title": "", "value_amount": "lots", "award_date": "2026-13-40", "colour": "red"},
        headers=bearer(token),
        status=400,
    ).json
    fields = {f["field"] for f in body["error"]["fields"]}
    assert {"$.supplier", "$.title", "$.value_amount", "$.award_date"} <= fields
    body = webtest_app.post_json(
        "/api/v1/contracts",
        contract_body(market, supplier="No Such Supplier Plc"),
        headers=bearer(token),
        status=400,
    ).json
    assert body["error"]["fields"][0]["field"] == "$.supplier"
    bad_json = webtest_app.post(
        "/api/v1/contracts",
        b"{not json",
        headers={**bearer(token), "Content-Type": "application/json"},
        status=400,
    ).json
    assert bad_json["error"]["fields"][0]["field"] == "$"
    after = db_session.execute(sa.select(sa.func.count()).select_from(Contract)).scalar_one()
    assert after == before


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sar_wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
)
def test_writes_without_a_valid_token_are_refused_401(
    webtest_app: webtest.TestApp, db_session: Session, headers: dict[str, str]
) -> None:
    market = gp_market()
    response = webtest_app.post_json(
        "/api/v1/contracts", contract_body(market), headers=headers, status=401
    )
    assert response.json["error"]["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_and_both_are_audited(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    market = gp_market()
    user = make_user("officer", buyer_id=market.published.buyer_id)
    token, plain = issue_token(db_session, user=user, name="Integration", actor=None)
    db_session.commit()
    webtest_app.post_json(
        "/api/v1/contracts", contract_body(market), headers=bearer(plain), status=201
    )
    revoke_token(db_session, token, reason="Supplier of the integration changed", actor=None)
    db_session.commit()
    webtest_app.post_json(
        "/api/v1/contracts", contract_body(market), headers=bearer(plain), status=401
    )
    events = db_session.execute(
        sa.select(AuditEvent.action, AuditEvent.reason)
        .where(AuditEvent.subject_type == "api_token", AuditEvent.subject_id == str(token.id))
        .order_by(AuditEvent.seq)
    ).all()
    assert [e.action for e in events] == ["api_token.issued", "api_token.revoked"]
    assert events[1].reason == "Supplier of the integration changed"
    assert plain not in str(db_session.get(type(token), token.id).token_hash)


def test_a_token_whose_user_may_not_write_contracts_is_refused_403(
    webtest_app: webtest.TestApp, db_session: Session, make_user: Any
) -> None:
    market = gp_market()
    auditor = make_user("auditor")
    _, plain = issue_token(db_session, user=auditor, name="Read only", actor=None)
    db_session.commit()
    body = webtest_app.post_json(
        "/api/v1/contracts", contract_body(market), headers=bearer(plain), status=403
    ).json
    assert body["error"]["status"] == 403


def test_an_officer_token_cannot_record_another_buyers_contract(
    webtest_app: webtest.TestApp, officer_token: Any
) -> None:
    from tests.common.db.core import BuyerFactory

    market, token = officer_token
    other = BuyerFactory()
    body = webtest_app.post_json(
        "/api/v1/contracts",
        contract_body(market, buyer_id=other.id),
        headers=bearer(token),
        status=403,
    ).json
    assert "own organisation" in body["error"]["message"]
