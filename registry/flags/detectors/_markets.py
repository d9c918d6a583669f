"""What the two market-level detectors share: the markets in the window, and which basis shows
the pattern (buyer count first: it counts every contract, where values are often missing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.flags.detectors.base import RunContext
from registry.markets.concentration import Concentration
from registry.markets.services import Market, list_markets, window_start

EPSILON = 1e-9  # shares are floats: 4/10 + 4/10 must count as 80%


def markets_in_window(ctx: RunContext) -> tuple[list[Market], int | None]:
    start = window_start(ctx.db, int(ctx.thresholds["window_years"]))
    key = ("markets", ctx.cpv_depth, start)
    if key not in ctx.cache:
        ctx.cache[key] = list_markets(ctx.db, ctx.cpv_depth, since_year=start)
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
