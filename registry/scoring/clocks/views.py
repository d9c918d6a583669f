"""/assessment-clocks: the public list of assessment clocks, with their rules."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.buyers.models import Buyer
from registry.clock import today
from registry.integers import record_by_number
from registry.pagination import page_number
from registry.scoring.assessments.models import Rating
from registry.scoring.clocks import rules, services
from registry.scoring.clocks.summaries import clock_page, state_totals
from registry.suppliers.models import Supplier


def _id_param(request: Request, name: str, model: Any, label: str, errors: list[str]) -> Any:
    raw = request.params.get(name, "").strip()
    if not raw:
        return None
    found = record_by_number(request.db, model, raw)
    if found is None:
        errors.append(f"{label} must be a registry number from a {label.lower()}'s page")
    return found


@view_config(
    route_name="clocks",
    renderer="scoring/clocks.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def clock_list(request: Request) -> dict[str, Any]:
    errors: list[str] = []
    buyer = _id_param(request, "buyer", Buyer, "Buyer", errors)
    supplier = _id_param(request, "supplier", Supplier, "Supplier", errors)
    state = request.params.get("state", rules.OVERDUE)
    if state not in rules.STATE_LABELS:
        errors.append("State must be one of the states listed")
        state = rules.OVERDUE
    scope = services.Scope(
        buyer_id=buyer.id if buyer else None, supplier_id=supplier.id if supplier else None
    )
    as_of = today()
    totals = state_totals(request.db, scope, as_of)
    return {
        "rules": rules,
        "ratings": [r.value for r in Rating],
        "as_of": as_of,
        "buyer": buyer,
        "supplier": supplier,
        "state": state,
        "errors": errors,
        "totals": totals,
        "page": clock_page(
            request.db, scope, as_of, (state,), page_number(request), total=totals[state]
        ),
    }
