"""The JSON API under /api/v1: published data only, cursor pagination, JSON errors, and every
request and response checked against schemas/openapi.yaml."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pyramid.authorization import ACLHelper
from pyramid.httpexceptions import HTTPException
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config

from registry.api.responses import (
    DEFAULT_LIMIT,
    decode_cursor,
    encode_cursor,
    iso_date,
    json_response,
    keyset_page,
    next_link,
)
from registry.api.tokens import find_token
from registry.api.validation import ApiError, load_spec, validate_request
from registry.authnz import Permissions, RootFactory
from registry.clock import today
from registry.contracts.interfaces import IContractService
from registry.contracts.models import Contract, ProcurementMethod
from registry.contracts.services import ContractError, ContractInput, ContractPermissionError
from registry.db import utcnow
from registry.flags.coverage import market_coverage
from registry.flags.models import Flag
from registry.flags.services import as_json as flag_json
from registry.frameworks.lifecycle import shown_status
from registry.frameworks.models import Framework, Lot
from registry.frameworks.money import CeilingUse, framework_total, lot_ceiling_use
from registry.markets.keys import KIND_FILTERS
from registry.markets.services import list_markets
from registry.scoring.assessments import services as assessments
from registry.scoring.assessments.models import Assessment
from registry.scoring.assessments.resources import ContractAssessmentContext
from registry.scoring.assessments.services import (
    REPLY_WINDOW_SETTING,
    AssessmentError,
    AssessmentInput,
    parse_links,
)
from registry.scoring.scores.models import Score
from registry.search.interfaces import ISearchService, SearchTooBroad, SearchUnavailable
from registry.search.views import result_url
from registry.suppliers.models import Supplier

log = logging.getLogger(__name__)


# -- errors ------------------------------------------------------------------------------------


@exception_view_config(ApiError, path_info=r"^/api/")
def api_error(exc: ApiError, request: Request) -> Response:
    body: dict[str, Any] = {"status": exc.status, "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    response = Response(json_body={"error": body}, status=exc.status)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="registry"'
    return response


@exception_view_config(HTTPException, path_info=r"^/api/")
def api_http_error(exc: HTTPException, request: Request) -> Response:
    """404s, 405s and the like under /api are JSON too."""
    status = exc.code or 500
    message = {404: "There is nothing at this address", 405: "That method is not allowed here"}
    body = {"status": status, "message": message.get(status, exc.title or "Error")}
    return Response(json_body={"error": body}, status=status)


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


# -- the document -----------------------------------------------------------------------------


@view_config(
    route_name="api.openapi",
    permission=Permissions.PublicRead,
    request_method="GET",
    require_csrf=False,
)
def openapi_document(request: Request) -> Response:
    return Response(json_body=load_spec(), content_type="application/json", charset="utf-8")


# -- reading ----------------------------------------------------------------------------------


def framework_json(
    framework: Framework, lots: list[Lot], money: dict[int, CeilingUse] | None = None
) -> dict[str, Any]:
    """`money`: each lot's ceiling use (registry/frameworks/money.py), for the money fields."""
    money = money or {}

    def lot_json(lot: Lot) -> dict[str, Any]:
        use = money.get(lot.id)
        return {"id": lot.id, "number": lot.number, "title": lot.title, **_money(use)}

    uses = [money[lot.id] for lot in lots if lot.id in money]
    return {
        **framework_total(framework, uses).as_json(),
        "id": framework.id,
        "reference": framework.reference,
        "title": framework.title,
        "owner_body": framework.owner_body,
        "status": shown_status(framework, today()).value,
        "recorded_status": framework.status.value,
        "start_date": iso_date(framework.start_date),
        "end_date": iso_date(framework.end_date),
        "extended_end_date": iso_date(framework.extended_end_date),
        "cpv_codes": list(framework.cpv_codes or []),
        "lots": [lot_json(lot) for lot in lots],
    }


def _money(use: CeilingUse | None) -> dict[str, Any]:
    return use.as_json() if use is not None else {}


@view_config(route_name="api.frameworks", permission=Permissions.PublicRead, request_method="GET")
def frameworks(request: Request) -> Response:
    params = validate_request(request)
    items, cursor = keyset_page(
        request,
        params,
        sa.select(Framework).where(Framework.retracted_at.is_(None)),
        Framework.id,
    )
    lots: dict[int, list[Lot]] = {f.id: [] for f in items}
    if items:
        for lot in request.db.execute(
            sa.select(Lot)
            .where(Lot.framework_id.in_(list(lots)), Lot.retracted_at.is_(None))
            .order_by(Lot.id)
        ).scalars():
            lots[lot.framework_id].append(lot)
    money = lot_ceiling_use(request.db, [lot for group in lots.values() for lot in group])
    data = [framework_json(f, lots[f.id], money) for f in items]
    return json_response(request, {"data": data, "links": {"next": next_link(request, cursor)}})


def supplier_json(supplier: Supplier) -> dict[str, Any]:
    return {
        "id": supplier.id,
        "name": supplier.name,
        "aliases": list(supplier.aliases or []),
        "companies_house_number": supplier.companies_house_number,
        "duns": supplier.duns,
        "party_id": supplier.party_id,
        "sme": supplier.sme,
        "group": {"id": supplier.group.id, "name": supplier.group.name},
    }


@view_config(route_name="api.suppliers", permission=Permissions.PublicRead, request_method="GET")
def suppliers(request: Request) -> Response:
    params = validate_request(request)
    items, cursor = keyset_page(
        request,
        params,
        sa.select(Supplier).where(Supplier.merged_into_id.is_(None)),
        Supplier.id,
    )
    data = [supplier_json(s) for s in items]
    return json_response(request, {"data": data, "links": {"next": next_link(request, cursor)}})


@view_config(
    route_name="api.supplier_scores", permission=Permissions.PublicRead, request_method="GET"
)
def supplier_scores(request: Request) -> Response:
    params = validate_request(request)
    supplier = request.db.get(Supplier, params["id"])
    if supplier is None or supplier.merged_into_id is not None:
        raise ApiError(404, f"There is no supplier numbered {params['id']}")
    scores = request.db.execute(
        sa.select(Score)
        .where(Score.supplier_id == supplier.id, Score.current.is_(True))
        .order_by(Score.framework_id.is_not(None), Score.id)
    ).scalars()
    data = [
        {
            "framework": score.framework.reference if score.framework else None,
            "period": score.period,
            "period_end": iso_date(score.period_end),
            "score": _number(score.score),
            "band_low": _number(score.band_low),
            "band_high": _number(score.band_high),
            "assessments_count": score.assessments_count,
            # How much of the score is the supplier's own ratings (0 to 1), the rest the prior.
            "own_ratings_share": round(score.own_share, 4),
            "own_ratings_share_text": score.share_text,
            "method_version": score.method_version,
            "breakdown": score.breakdown,
        }
        for score in scores
    ]
    return json_response(request, {"supplier": supplier_json(supplier), "data": data})


@view_config(route_name="api.flags", permission=Permissions.PublicRead, request_method="GET")
def flags(request: Request) -> Response:
    params = validate_request(request)
    query = sa.select(Flag)
    if params.get("status"):
        query = query.where(Flag.status == params["status"])
    items, cursor = keyset_page(request, params, query, Flag.id)
    data = [flag_json(flag) for flag in items]
    return json_response(request, {"data": data, "links": {"next": next_link(request, cursor)}})


@view_config(route_name="api.markets", permission=Permissions.PublicRead, request_method="GET")
def markets(request: Request) -> Response:
    params = validate_request(request)
    limit = params.get("limit") or DEFAULT_LIMIT
    offset = decode_cursor(params)
    depth = request.registry.get("registry.markets.cpv_depth", 5)
    kinds = KIND_FILTERS[params.get("kind") or "classified"][1]
    found = list_markets(request.db, depth, kinds=kinds)
    # A stable order, so an offset cursor walks the same list: most concentrated first.
    found.sort(key=lambda m: (-m.by_value.hhi, m.key))
    page = found[offset : offset + limit]
    coverage = market_coverage(request.db, [m.key for m in page])
    data = [
        {
            "key": m.key,
            "kind": m.kind,
            "label": m.label,
            "contracts": m.contracts,
            "currency": m.currency,
            "count_basis": m.count_basis,
            "total_value": float(m.total_value),
            "hhi_value": float(m.by_value.hhi),
            "hhi_buyers": float(m.by_buyers.hhi),
            "cr2_value": float(m.by_value.cr2),
            "valued_contracts": m.valued_contracts,
            "excluded_from_value": m.excluded_from_value,
            "coverage": coverage.get(m.key, []),
            "groups": [
                {
                    "group_id": g.group_id,
                    "name": g.name,
                    "value": float(g.value),
                    "contracts": g.contracts,
                    "value_share": float(g.value_share),
                    "buyer_share": float(g.buyer_share),
                }
                for g in m.groups
            ],
        }
        for m in page
    ]
    cursor = encode_cursor(offset + limit) if offset + limit < len(found) else None
    return json_response(request, {"data": data, "links": {"next": next_link(request, cursor)}})


@view_config(route_name="api.search", permission=Permissions.PublicRead, request_method="GET")
def search(request: Request) -> Response:
    params = validate_request(request)
    limit = params.get("limit") or DEFAULT_LIMIT
    page = decode_cursor(params) or 1
    filters = {"kind": [params["type"]]} if params.get("type") else None
    try:
        results = request.find_service(ISearchService).search(
            params["q"], filters=filters, page=page, page_size=limit
        )
    except SearchUnavailable:
        raise ApiError(503, "Search is being rebuilt; try again shortly") from None
    except SearchTooBroad as exc:
        raise ApiError(400, str(exc), [{"field": "query.q", "message": str(exc)}]) from None
    data = [
        {
            "type": hit.document.kind,
            "id": hit.document.record_id,
            "title": hit.document.title,
            "summary": hit.document.body[:500],
            "frameworks": hit.document.frameworks,
            "category": hit.document.category or None,
            "url": result_url(request, hit.document.kind, hit.document.link),
        }
        for hit in results.hits
    ]
    cursor = (
        encode_cursor(results.page + 1)
        if results.page < results.pages and page == results.page
        else None
    )
    body = {
        "data": data,
        "total": results.total,
        "suggestion": results.suggestion,
        "notice": results.notice,
        "links": {"next": next_link(request, cursor)},
    }
    return json_response(request, body)


# -- writing ----------------------------------------------------------------------------------


def authenticate(request: Request, permission: Permissions) -> Any:
    """The user an API token acts as, allowed `permission` by the site's ACL; 401/403 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(
            401,
            "An API token is required: send Authorization: Bearer <token>",
            [{"field": "header.Authorization", "message": "missing API token"}],
        )
    token = find_token(request.db, value.strip())
    if token is None:
        raise ApiError(
            401,
            "The API token is not valid: it may be mistyped, expired or revoked",
            [{"field": "header.Authorization", "message": "invalid API token"}],
        )
    allowed = ACLHelper().permits(RootFactory(request), token.user.principals(), permission)
    if not allowed:
        raise ApiError(403, f"This token's user ({token.user.role}) may not do this")
    token.last_used_at = utcnow()
    return token.user


def contract_json(contract: Contract) -> dict[str, Any]:
    return {
        "id": contract.id,
        "title": contract.title,
        "reference": contract.reference,
        "publication": contract.publication.value,
        "buyer_id": contract.buyer_id,
        "supplier_id": contract.supplier_id,
        "lot_id": contract.lot_id,
        "value_amount": None if contract.value_amount is None else str(contract.value_amount),
        "currency": contract.currency,
        "award_date": iso_date(contract.award_date),
        "cpv_code": contract.cpv_code,
        "lifecycle_override": contract.lifecycle_override,
    }


@view_config(
    route_name="api.contracts",
    permission=Permissions.PublicRead,  # the token, not the cookie session, authorises the write
    request_method="POST",
    require_csrf=False,
)
def record_contract(request: Request) -> Response:
    user = authenticate(request, Permissions.OfficerContractsWrite)
    raw = validate_request(request)["body"]
    body: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    fields: dict[str, Any] = {
        k: body[k] for k in ContractInput.__dataclass_fields__ if body.get(k) is not None
    }
    if "value_amount" in fields:
        fields["value_amount"] = Decimal(str(fields["value_amount"]))
    if "procurement_method" in fields:
        fields["procurement_method"] = ProcurementMethod(fields["procurement_method"])
    if "buyer_id" not in fields and user.buyer_id is not None:
        fields["buyer_id"] = user.buyer_id
    service = request.find_service(IContractService)
    try:
        contract = service.create(ContractInput(**fields), actor=user, source="api")
        if body.get("publish"):
            service.publish(contract, actor=user)
    except ContractError as exc:
        problems = [{"field": f"$.{name}", "message": message} for name, message in exc.errors]
        raise ApiError(400, "The contract was not recorded: " + str(exc), problems) from None
    except ContractPermissionError as exc:
        raise ApiError(403, str(exc)) from None
    return json_response(request, contract_json(contract), status=201)


class _ContractAssessments(ContractAssessmentContext):
    """The web form's context (its ACL: officers of the contract's buyer, and admins), for a
    contract named in a JSON body rather than in the URL."""

    def __init__(self, request: Request, contract: Contract) -> None:
        self.__parent__ = RootFactory(request)
        self.contract = contract


def assessment_json(request: Request, a: Assessment) -> dict[str, Any]:
    return {
        "id": a.id,
        "url": request.route_url("assessments.detail", id=a.id),
        "status": a.status.value,
        "contract_id": a.contract_id,
        "supplier_id": a.supplier_id,
        "buyer_id": a.buyer_id,
        "framework_id": a.framework_id,
        "obligation_id": a.obligation_id,
        "kpi": a.kpi,
        "period_start": iso_date(a.period_start),
        "period_end": iso_date(a.period_end),
        "rating": a.rating.value,
        "measured_value": None if a.measured_value is None else str(a.measured_value),
        "unit": a.unit,
        "evidence": a.evidence,
        "evidence_links": list(a.evidence_links or []),
        "reply_due": iso_date(a.reply_due),
    }


def _assessment_problems(exc: AssessmentError) -> list[dict[str, str]]:
    return [{"field": f"$.{name}" if name else "$", "message": msg} for name, msg in exc.errors]


@view_config(
    route_name="api.assessments",
    permission=Permissions.PublicRead,  # the token, not the cookie session, authorises the write
    request_method="POST",
    require_csrf=False,
)
def record_assessment(request: Request) -> Response:
    """A draft assessment of a contract's KPI, or submitted for review at once with submit: true,
    through the same service (rules and audit events) as the web form."""
    user = authenticate(request, Permissions.OfficerAssessmentsWrite)
    raw = validate_request(request)["body"]
    body: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
    contract = request.db.get(Contract, body["contract_id"])
    if contract is None or contract.is_retracted:
        state = "is retracted" if contract is not None else "does not exist"
        raise ApiError(
            400,
            f"The assessment was not recorded: contract {body['contract_id']} {state}",
            [{"field": "$.contract_id", "message": f"contract {state}"}],
        )
    context = _ContractAssessments(request, contract)
    if not ACLHelper().permits(context, user.principals(), Permissions.OfficerAssessmentsWrite):
        raise ApiError(403, "Officers may record assessments only of their own buyer's contracts")
    measured = body.get("measured_value")
    try:
        data = AssessmentInput(
            kpi=body.get("kpi") or "",
            period_start=body["period_start"],
            period_end=body["period_end"],
            rating=body["rating"],
            obligation_id=body.get("obligation_id"),
            # To the column's 4 places, so the response shows what is stored.
            measured_value=None if measured is None else round(Decimal(str(measured)), 4),
            unit=body.get("unit"),
            evidence=body.get("evidence") or "",
            evidence_links=parse_links("\n".join(body.get("evidence_links") or [])),
        )
        a = assessments.create_for_contract(request.db, contract, data, user)
        if body.get("submit"):
            window = int(request.registry.settings[REPLY_WINDOW_SETTING])
            assessments.submit(request.db, a, user, today(), window)
    except AssessmentError as exc:
        # Raised before anything is added; the transaction is aborted in any case.
        raise ApiError(
            400, "The assessment was not recorded: " + str(exc), _assessment_problems(exc)
        ) from None
    created = assessment_json(request, a)
    response = json_response(request, created, status=201)
    response.location = created["url"]
    return response
