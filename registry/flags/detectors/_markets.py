"""What the two market-level detectors share: the markets in the window, and which basis shows
the pattern (buyer count first: it counts every contract, where values are often missing).

They judge the markets of what is bought (CPV, other classifications, framework lots), values
within each market's one currency. A buyer-wide market (every contract of one buyer) is not
theirs to judge: one buyer's concentration on a supplier is the buyer dependency detector's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.flags.detectors.base import Examined, RunContext, coverage_select
from registry.flags.models import SubjectType
from registry.flags.run_contracts import since_year
from registry.markets.concentration import Concentration
from registry.markets.keys import CLASSIFIED_KINDS
from registry.markets.services import Market, list_market_leaders

BUYER_WIDE_REASON = "a buyer-wide market: judged by the buyer dependency detector"

EPSILON = 1e-9  # shares are floats: 4/10 + 4/10 must count as 80%


def markets_in_window(ctx: RunContext) -> tuple[list[Market], int | None]:
    start = ctx.window_start(int(ctx.thresholds["window_years"]))
    key = ("markets", ctx.cpv_depth, start)
    if key not in ctx.cache:
        ctx.cache[key] = list_market_leaders(
            ctx.db,
            ctx.cpv_depth,
            since_year=start,
            contracts=ctx.contracts(),
            kinds=CLASSIFIED_KINDS,
        )
    return ctx.cache[key], start


def first_basis(
    market: Market, min_contracts: int, test: Callable[[Concentration], Any]
) -> tuple[str, Concentration, Any] | None:
    """The first basis (buyers, then value) with enough contracts on which `test` is truthy."""
    candidates = (
        ("buyers", market.by_buyers, market.contracts),
        ("value", market.by_value, market.valued_contracts),
    )
    for basis, conc, counted in candidates:
        if counted < min_contracts or not conc.shares:
            continue
        result = test(conc)
        if result:
            return basis, conc, result
    return None


def market_metrics(
    market: Market, basis: str, conc: Concentration, start: int | None
) -> dict[str, Any]:
    other = market.by_value if basis == "buyers" else market.by_buyers
    names = {g.group_id: g.name for g in market.groups}
    return {
        **conc.as_metrics(),
        "basis": basis,
        "market": market.key,
        "market_label": market.label,
        "market_kind": market.kind,
        "currency": market.currency,  # of the value figures; counts need none
        "contracts": market.contracts,
        "valued_contracts": market.valued_contracts,
        "excluded_from_value": market.excluded_from_value,
        "groups": conc.participants,
        "leading": [
            {"group_id": s.key, "name": names.get(s.key, str(s.key)), "share": round(s.share, 4)}
            for s in conc.shares[:4]
        ],
        "other_basis": {"basis": "value" if basis == "buyers" else "buyers", **other.as_metrics()},
        "window_from": start,
    }


def market_coverage(ctx: RunContext) -> list[Any]:
    """Every market in the window: judged on the bases with enough contracts, as `first_basis`
    judges them; a market too small on both is not applicable, and so is every buyer-wide
    market (one select: a national run has thousands)."""
    min_contracts = int(ctx.thresholds["min_contracts"])
    markets, start = markets_in_window(ctx)
    examined: list[Any] = []
    for market in markets:
        reason = None
        applicable = market.contracts >= min_contracts and bool(market.by_buyers.shares)
        if not applicable:
            reason = f"fewer than {min_contracts} contracts ({market.contracts})"
        elif market.valued_contracts == 0:
            reason = "no contract values in this market: judged by number of buyers only"
        elif market.valued_contracts < min_contracts:
            reason = (
                f"only {market.valued_contracts} of {market.contracts} contracts have a value in "
                f"{market.currency}, the market's currency: judged by number of buyers only"
            )
        examined.append(Examined(SubjectType.market, market.key, market.label, applicable, reason))
    examined.append(buyer_wide_markets(ctx, start))
    return examined


def buyer_wide_markets(ctx: RunContext, start: int | None) -> sa.Select[Any]:
    """Every buyer-wide market in the window, not applicable with its reason."""
    contracts = ctx.contracts()
    buyers = (
        sa.select(contracts.c.buyer_id)
        .where(since_year(contracts, start))
        .group_by(contracts.c.buyer_id)
        .subquery()
    )
    return sa.select(
        *coverage_select(
            SubjectType.market,
            sa.literal("buyer-") + sa.cast(Buyer.id, sa.String),
            sa.literal("All contracts of ") + Buyer.name,
            not_applicable=[(sa.true(), BUYER_WIDE_REASON)],
        )
    ).join_from(buyers, Buyer, Buyer.id == buyers.c.buyer_id)
