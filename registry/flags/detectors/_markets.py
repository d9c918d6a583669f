"""What the two market-level detectors share: the markets in the window, and which basis shows
the pattern (buyer count first: it counts every contract, where values are often missing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.flags.detectors.base import Examined, RunContext
from registry.flags.models import SubjectType
from registry.markets.concentration import Concentration
from registry.markets.services import Market, list_market_leaders

EPSILON = 1e-9  # shares are floats: 4/10 + 4/10 must count as 80%


def markets_in_window(ctx: RunContext) -> tuple[list[Market], int | None]:
    start = ctx.window_start(int(ctx.thresholds["window_years"]))
    key = ("markets", ctx.cpv_depth, start)
    if key not in ctx.cache:
        ctx.cache[key] = list_market_leaders(
            ctx.db, ctx.cpv_depth, since_year=start, contracts=ctx.contracts()
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


def market_coverage(ctx: RunContext) -> list[Examined]:
    """Every market in the window: judged on the bases with enough contracts, as `first_basis`
    judges them; a market too small on both is not applicable."""
    min_contracts = int(ctx.thresholds["min_contracts"])
    markets, _start = markets_in_window(ctx)
    examined = []
    for market in markets:
        reason = None
        applicable = market.contracts >= min_contracts and bool(market.by_buyers.shares)
        if not applicable:
            reason = f"fewer than {min_contracts} contracts ({market.contracts})"
        elif market.valued_contracts == 0:
            reason = "no contract values in pounds in this market: judged by number of buyers only"
        elif market.valued_contracts < min_contracts:
            reason = (
                f"only {market.valued_contracts} of {market.contracts} contracts have a value in "
                "pounds: judged by number of buyers only"
            )
        examined.append(Examined(SubjectType.market, market.key, market.label, applicable, reason))
    return examined
