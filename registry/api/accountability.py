"""GET /api/v1/buyers/{id}/accountability: a buyer's assessment clocks and on-time rate, and the
distribution of its published ratings (registry.scoring.clocks and registry.scoring.assessments.evidence), as on its page."""

from __future__ import annotations

import datetime
from typing import Any

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from registry.api.responses import DEFAULT_LIMIT, iso_date, json_response
from registry.api.validation import ApiError, validate_request
from registry.authnz import Permissions
from registry.buyers.models import Buyer
from registry.clock import today
from registry.scoring.assessments.models import Rating
from registry.scoring.clocks import rules, summaries
from registry.scoring.clocks import services as clocks


def clock_json(clock: clocks.Clock, as_of: datetime.date) -> dict[str, Any]:
    return {
        "contract_id": clock.contract_id,
        "contract_reference": clock.contract_reference,
        "supplier_id": clock.supplier_id,
        "kpi": clock.kpi,
        "obligation_id": clock.obligation_id,
        "last_assessment_id": clock.last_assessment_id,
        "last_period_end": iso_date(clock.last_period_end),
        "due": iso_date(clock.due),
        "due_reason": clock.due_reason,
        "days_overdue": clock.days_overdue(as_of),
        "state": clock.state,
        "state_label": clock.label,
    }


@view_config(
    route_name="api.buyer_accountability",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def buyer_accountability(request: Request) -> Response:
    params = validate_request(request)
    buyer = request.db.get(Buyer, params["id"])
    if buyer is None:
        raise ApiError(404, f"There is no buyer numbered {params['id']}")
    as_of = today()
    record = summaries.buyer_record(request.db, buyer.id, as_of)
    overdue = summaries.clock_page(
        request.db,
        clocks.Scope(buyer_id=buyer.id),
        as_of,
        (rules.OVERDUE,),
        1,
        params.get("limit") or DEFAULT_LIMIT,
        record.on_time.overdue,
    )
    ot, ratings = record.on_time, record.ratings
    body = {
        "buyer": {"id": buyer.id, "name": buyer.name, "identifier": buyer.identifier},
        "as_of": as_of.isoformat(),
        "method_version": rules.CLOCK_METHOD_VERSION,
        "method_url": request.route_url("clocks", _anchor="rules"),
        "on_time": {
            "rate": ot.rate,
            "on_time": ot.on_time,
            "due": ot.due,
            "submitted": ot.submitted,
            "overdue": ot.overdue,
            "due_soon": ot.due_soon,
            "cannot_compute": ot.cannot_compute,
            "not_applicable": ot.not_applicable,
        },
        "ratings": {
            "total": ratings.total,
            "counts": {r.value: ratings.counts.get(r.value, 0) for r in Rating},
            "shares": {r.value: ratings.share(r.value) for r in Rating},
        },
        "overdue": [clock_json(c, as_of) for c in overdue.items],
    }
    return json_response(request, body)
