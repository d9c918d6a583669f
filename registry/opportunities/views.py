"""The aggregation opportunity pages: the ranked list, and one group's market in one year."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.flags.detectors import DETECTORS
from registry.flags.models import Flag
from registry.integers import record_id, year_number
from registry.markets.keys import MarketKey
from registry.markets.services import window_start
from registry.opportunities.services import KINDS, find_opportunities, opportunity_contracts
from registry.pagination import page_number, paginate_list
from registry.suppliers.models import SupplierGroup

DETECTOR = DETECTORS["aggregation_opportunity"]
SORTS = {"value": "Total spend (highest first)", "buyers": "Number of buyers (most first)"}
KIND_CHOICES = {
    "all": "All markets",
    "cpv": "By CPV code",
    "lot": "By framework lot",
    "cls": "By the publisher's own classification",
}


def _thresholds(request: Request) -> dict[str, Any]:
    return dict(request.registry["registry.detection"].thresholds[DETECTOR.id])


@view_config(
    route_name="opportunities.list",
    renderer="opportunities/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def opportunity_list(request: Request) -> dict[str, Any]:
    errors = []
    sort = request.params.get("sort", "value")
    if sort not in SORTS:
        errors.append("Sort must be one of those listed: total spend is used")
        sort = "value"
    kind = request.params.get("kind", "all")
    if kind not in KIND_CHOICES:
        errors.append("Markets must be one of those listed: all markets are shown")
        kind = "all"
    raw_year = request.params.get("year", "").strip()
    year = year_number(raw_year)
    if raw_year and year is None:
        errors.append(f"Year must be a year like 2024, not {raw_year[:20]!r}: every year is shown")
    thresholds = _thresholds(request)
    depth = request.registry["registry.markets.cpv_depth"]
    # The detector's window unless a year is asked for: a national registry holds decades.
    start = None if year else window_start(request.db, int(thresholds["window_years"]))
    found = find_opportunities(
        request.db,
        depth,
        year=year,
        since_year=start,
        kinds=KINDS if kind == "all" else (kind,),
    )
    if sort == "buyers":
        found.sort(key=lambda o: (-o.buyers, -(o.total_value or 0), o.market_key, o.group))
    page = paginate_list(found, page_number(request))
    flags = {
        f.subject_key: f
        for f in request.db.execute(sa.select(Flag).where(Flag.detector == DETECTOR.id)).scalars()
    }
    return {
        "page": page,
        "sort": sort,
        "sorts": SORTS,
        "kind": kind,
        "kinds": KIND_CHOICES,
        "year": year,
        "window_from": start,
        "errors": errors,
        "min_buyers": int(thresholds["min_buyers"]),
        "rule": DETECTOR.describe(thresholds),
        "detector": DETECTOR,
        "flags": flags,
    }


@view_config(
    route_name="opportunities.detail",
    renderer="opportunities/detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def opportunity_detail(request: Request) -> dict[str, Any]:
    market = MarketKey.parse(request.matchdict["market"])
    group = request.db.get(SupplierGroup, record_id(request, "group"))
    year = year_number(request.matchdict["year"])
    depth = request.registry["registry.markets.cpv_depth"]
    if (
        market is None
        or market.kind not in KINDS
        or group is None
        or year is None
        or (market.kind == "cpv" and len(market.value) != depth)
    ):
        raise HTTPNotFound("There is no such market or supplier group.")
    found = [
        o
        for o in find_opportunities(
            request.db, depth, min_buyers=1, year=year, kinds=(market.kind,)
        )
        if o.market_key == str(market) and o.group_id == group.id
    ]
    if not found:
        raise HTTPNotFound("No buyer bought from that group in that market that year.")
    contracts = list(
        request.db.execute(opportunity_contracts(market, group.id, year, depth)).scalars()
    )
    flag = request.db.execute(
        sa.select(Flag).where(
            Flag.detector == DETECTOR.id, Flag.subject_key == f"{market}/group-{group.id}"
        )
    ).scalar_one_or_none()
    return {
        "opportunity": found[0],
        "contracts": contracts,
        "flag": flag,
        "rule": DETECTOR.describe(_thresholds(request)),
        "detector": DETECTOR,
    }
