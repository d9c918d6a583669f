"""The market pages: every market with its concentration, and one market's shares and trend."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config

from registry.authnz import Permissions
from registry.contracts.datause import data_use_in, illustrative_in
from registry.flags import SUBJECT_FLAGS_SHOWN
from registry.flags.detectors import DETECTORS
from registry.flags.models import ACTIVE_STATUSES, DetectorCoverage, Flag, SubjectType
from registry.markets.cache import cached
from registry.markets.charts import bar_chart, line_chart
from registry.markets.figures import TOP_SHARES, group_page, stored_market
from registry.markets.keys import KIND_FILTERS
from registry.markets.services import (
    Market,
    MarketKey,
    get_market,
    list_market_leaders,
    market_condition,
)
from registry.pagination import page_number, paginate_list
from registry.search.basket import group_suppliers
from registry.search.compare import MAX_SUPPLIERS

SORTS = {
    "hhi": ("HHI", lambda m, basis: _conc(m, basis).hhi),
    "cr2": ("CR2", lambda m, basis: _conc(m, basis).cr2),
    "contracts": ("Contracts", lambda m, basis: m.contracts),
    "value": ("Value", lambda m, basis: m.total_value),
    "name": ("Name", lambda m, basis: m.label.lower()),
}
BASES = {"buyers": "number of buyers", "value": "contract value"}
# A buyer-wide market has one buyer: its count shares are by number of contracts.
BUYER_WIDE_BASES = {"buyers": "number of contracts", "value": "contract value"}


def _conc(market: Market, basis: str) -> Any:
    return market.by_value if basis == "value" else market.by_buyers


def _choice(request: Request, name: str, choices: Any, default: str) -> str:
    value = request.params.get(name, default)
    return value if value in choices else default


@view_config(
    route_name="markets.list",
    renderer="markets/list.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def market_list(request: Request) -> dict[str, Any]:
    basis = _choice(request, "basis", BASES, "buyers")
    sort = _choice(request, "sort", SORTS, "hhi")
    # By default the markets of what is bought: buyer-wide ones (one per buyer, thousands
    # nationally) would drown them.
    kind = _choice(request, "kind", KIND_FILTERS, "classified")
    descending = _choice(request, "order", ("asc", "desc"), "asc" if sort == "name" else "desc")
    depth = request.registry["registry.markets.cpv_depth"]
    kinds = KIND_FILTERS[kind][1]
    # Each market's exact totals, HHI and ratios with only its leading groups (the list shows
    # two): a national market's long tail, or thousands of buyer-wide markets', stays in SQL.
    markets = list(
        cached(
            request,
            ("list", depth, kinds),
            lambda: list_market_leaders(request.db, depth, kinds=kinds),
        )
    )
    threshold = request.registry["registry.detection"].thresholds["market_concentration"]
    # A market of one or two contracts has an HHI of 10,000 and says nothing: like the detector,
    # the list leaves out markets too small to judge unless asked.
    min_contracts = int(threshold["min_contracts"])
    include_small = request.params.get("small") == "1"
    small = sum(1 for m in markets if m.contracts < min_contracts)
    if not include_small:
        markets = [m for m in markets if m.contracts >= min_contracts]
    key = SORTS[sort][1]
    markets.sort(key=lambda m: m.label.lower())  # a stable tie-break under the chosen sort
    markets.sort(key=lambda m: key(m, basis), reverse=descending == "desc")
    page = paginate_list(markets, page_number(request))
    return {
        "page": page,
        "basis": basis,
        "bases": BASES,
        "sort": sort,
        "sorts": SORTS,
        "order": descending,
        "kind": kind,
        "kinds": {key: label for key, (label, _kinds) in KIND_FILTERS.items()},
        "buyer_wide_bases": BUYER_WIDE_BASES,
        "depth": depth,
        "hhi_threshold": threshold["hhi_threshold"],
        "min_contracts": min_contracts,
        "include_small": include_small,
        "small": small,
    }


@view_config(
    route_name="markets.detail",
    renderer="markets/detail.html",
    permission=Permissions.PublicRead,
    request_method="GET",
)
def market_detail(request: Request) -> dict[str, Any]:
    key = MarketKey.parse(request.matchdict["key"])
    if key is None:
        raise HTTPNotFound("There is no market with that key.")
    depth = request.registry["registry.markets.cpv_depth"]
    # The figures `registry detect` stored; a market it has not seen yet is worked out live.
    stored = stored_market(request.db, key, depth)
    if stored is not None:
        market, years, use = stored.market, stored.years, stored.use
        groups = group_page(request.db, stored, page_number(request))
    else:
        found = cached(
            request, ("detail", depth, str(key)), lambda: get_market(request.db, key, depth)
        )
        if found is None or found[0].contracts == 0:
            raise HTTPNotFound(
                "There is no market with that key, or it has no published contracts."
            )
        market, years = found
        use = cached(
            request,
            ("use", depth, str(key)),
            lambda: data_use_in(request.db, market.currency, market_condition(key, depth)),
        )
        # Hundreds of groups in a large market: a page at a time, the largest first.
        groups = paginate_list(market.groups, page_number(request))
    basis = _choice(request, "basis", BASES, "buyers")
    bases = BUYER_WIDE_BASES if market.kind == "buyer" else BASES
    conc = _conc(market, basis)
    names = {g.group_id: g.name for g in market.groups}
    bars = [(names.get(s.key, f"Group {s.key}"), s.share) for s in conc.shares]
    bars.sort(key=lambda item: -item[1])
    threshold = request.registry["registry.detection"].thresholds["market_concentration"]
    trend = [
        (p.year, _conc_point(p, basis).hhi) for p in years if _conc_point(p, basis).participants
    ]
    # A national market has a thousand flags (one per dependent buyer): the first ones are shown,
    # those about the market itself always among them, with a link to the rest.
    flags = list(
        request.db.execute(
            sa.select(Flag)
            .where(Flag.market_key == market.key)
            .order_by(
                sa.case((Flag.subject_type == SubjectType.market, 0), else_=1),
                sa.case((Flag.status.in_(ACTIVE_STATUSES), 0), else_=1),
                Flag.id,
            )
            .limit(SUBJECT_FLAGS_SHOWN + 1)
        ).scalars()
    )
    coverage = request.db.execute(
        sa.select(DetectorCoverage)
        .where(
            DetectorCoverage.subject_type == SubjectType.market,
            DetectorCoverage.subject_key == market.key,
        )
        .order_by(DetectorCoverage.detector)
    ).scalars()
    largest = [g.group_id for g in groups.items[:MAX_SUPPLIERS]] if groups.number == 1 else []
    return {
        "market": market,
        # Built on illustrative contracts (the seed's GP practices): the page says so.
        "illustrative": cached(
            request,
            ("illustrative", depth, str(key)),
            lambda: illustrative_in(request.db, market_condition(key, depth)),
        ),
        "groups": groups,
        "compare_ids": group_suppliers(request.db, largest),
        "use": use,
        "stored": stored,
        "coverage": [(row, _title(row.detector)) for row in coverage],
        "years": years,
        "basis": basis,
        "bases": bases,
        "conc": conc,
        "share_chart": bar_chart(bars[:TOP_SHARES]),
        "trend": trend,
        "trend_chart": line_chart(trend, threshold=float(threshold["hhi_threshold"]))
        if trend
        else None,
        "hhi_threshold": threshold["hhi_threshold"],
        "flags": flags[:SUBJECT_FLAGS_SHOWN],
        "more_flags": len(flags) > SUBJECT_FLAGS_SHOWN,
        "flags_by_market": [f for f in flags if f.subject_type == "market"],
    }


def _title(detector_id: str) -> str:
    detector = DETECTORS.get(detector_id)
    return detector.title if detector else detector_id


def _conc_point(point: Any, basis: str) -> Any:
    return point.by_value if basis == "value" else point.by_buyers
