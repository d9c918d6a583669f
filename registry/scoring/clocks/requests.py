"""The request methods the contract, supplier and buyer pages' partials ask for their clocks
through, so those pages need no scoring code. Registered by dotted name: the clocks package
cannot import its modules as it loads, as they import the assessments that import its rules."""

from __future__ import annotations

from typing import Any

from pyramid.request import Request

from registry.clock import today
from registry.scoring.clocks import rules, services
from registry.scoring.clocks.summaries import SUMMARY_ROWS, buyer_record, state_summary


def contract_clocks(request: Request, contract_id: int) -> dict[str, Any]:
    as_of = today()
    return {
        "as_of": as_of,
        "clocks": services.clocks(request.db, services.Scope(contract_id=contract_id), as_of),
    }


def supplier_clocks(request: Request, supplier_id: int) -> dict[str, Any]:
    as_of = today()
    totals, overdue = state_summary(
        request.db, services.Scope(supplier_id=supplier_id), as_of, rules.OVERDUE, SUMMARY_ROWS
    )
    return {"as_of": as_of, "totals": totals, "labels": rules.STATE_LABELS, "overdue": overdue}


def buyer_assessment_record(request: Request, buyer_id: int) -> Any:
    return buyer_record(request.db, buyer_id, today())
