"""Assessment clocks: when each KPI of each contract must next be assessed (Procurement Act 2023,
s.71), the buyers' on-time records, their open data tables and the public list. The contract,
supplier and buyer pages' partials ask for their data through request methods, so those pages
need no scoring code."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.request import Request


def contract_clocks(request: Request, contract_id: int) -> dict[str, Any]:
    from registry.clock import today
    from registry.scoring.clocks import services

    as_of = today()
    return {
        "as_of": as_of,
        "clocks": services.clocks(request.db, services.Scope(contract_id=contract_id), as_of),
    }


def supplier_clocks(request: Request, supplier_id: int) -> dict[str, Any]:
    from registry.clock import today
    from registry.scoring.clocks import rules, services
    from registry.scoring.clocks.summaries import SUMMARY_ROWS, state_summary

    as_of = today()
    totals, overdue = state_summary(
        request.db, services.Scope(supplier_id=supplier_id), as_of, rules.OVERDUE, SUMMARY_ROWS
    )
    return {"as_of": as_of, "totals": totals, "labels": rules.STATE_LABELS, "overdue": overdue}


def buyer_assessment_record(request: Request, buyer_id: int) -> Any:
    from registry.clock import today
    from registry.scoring.clocks.summaries import buyer_record

    return buyer_record(request.db, buyer_id, today())


def includeme(config: Configurator) -> None:
    config.add_request_method(contract_clocks, name="contract_clocks")
    config.add_request_method(supplier_clocks, name="supplier_clocks")
    config.add_request_method(buyer_assessment_record, name="buyer_assessment_record")
