"""Assessment clocks: when each KPI of each contract must next be assessed (Procurement Act 2023,
s.71), the buyers' on-time records, their open data tables and the public list. The contract,
supplier and buyer pages' partials ask for their data through request methods, so those pages
need no scoring code."""

from __future__ import annotations

from pyramid.config import Configurator

_REQUESTS = "registry.scoring.clocks.requests"


def includeme(config: Configurator) -> None:
    for name in ("contract_clocks", "supplier_clocks", "buyer_assessment_record"):
        config.add_request_method(f"{_REQUESTS}.{name}", name=name)
