"""Monopoly or duopoly: one group holds half the market, or two hold four fifths between them.

Source: competition practice (a 50% share is presumed dominant: ECJ C-62/86 AKZO, para. 60) and
the GP Systems of Choice case (in 2016 EMIS held 56% and TPP 34% of English GP practices).
OCP red flag R050 (high market share).
"""

from __future__ import annotations

from typing import Any

from registry.flags.detectors._markets import (
    EPSILON,
    first_basis,
    market_coverage,
    market_metrics,
    markets_in_window,
)
from registry.flags.detectors.base import Detector, Finding, RunContext, Threshold
from registry.flags.models import Severity, SubjectType
from registry.markets.concentration import Concentration


def pattern(conc: Concentration, thresholds: Any) -> str | None:
    """ "duopoly" when the top two hold the pair share with each above its floor (checked first:
    it is the more specific finding), "monopoly" when one group holds the single share."""
    shares = conc.shares
    if len(shares) >= 2:
        first, second = shares[0].share, shares[1].share
        if (
            first + second >= float(thresholds["pair_share"]) - EPSILON
            and second >= float(thresholds["pair_each"]) - EPSILON
        ):
            return "duopoly"
    if shares and shares[0].share >= float(thresholds["single_share"]) - EPSILON:
        return "monopoly"
    return None


def find(ctx: RunContext) -> list[Finding]:
    min_contracts = int(ctx.thresholds["min_contracts"])
    markets, start = markets_in_window(ctx)
    findings = []
    for market in markets:
        hit = first_basis(market, min_contracts, lambda conc: pattern(conc, ctx.thresholds))
        if hit is None:
            continue
        basis, conc, found = hit
        holders = conc.shares[:2] if found == "duopoly" else conc.shares[:1]
        names = {g.group_id: g.name for g in market.groups}
        metrics = market_metrics(market, basis, conc, start)
        metrics["pattern"] = found
        metrics["holders"] = [names.get(s.key, str(s.key)) for s in holders]
        metrics["holders_share"] = round(sum(s.share for s in holders), 4)
        findings.append(
            Finding(
                subject_type=SubjectType.market,
                subject_key=market.key,
                subject_label=market.label,
                severity=Severity.high,
                metrics=metrics,
                market_key=market.key,
                framework_id=market.framework_id,
                group_id=holders[0].key if found == "monopoly" else None,
                group_ids=tuple(s.key for s in holders),
            )
        )
    return findings


DETECTOR = Detector(
    id="monopoly_duopoly",
    title="Monopoly or duopoly",
    rule=(
        "One supplier group holds at least {single_share:.0%} of a market, or the top two hold "
        "at least {pair_share:.0%} between them with each at least {pair_each:.0%} (by number of "
        "buyers or by value within the market's one currency), in a market with at least "
        "{min_contracts} contracts (not a buyer-wide market: the buyer dependency detector's)."
    ),
    source=(
        "Competition practice: a share of 50% or more is presumed dominant (ECJ C-62/86 AKZO); "
        "the GP Systems of Choice duopoly (EMIS 56%, TPP 34% of English GP practices, 2016); "
        "OCP red flag R050."
    ),
    source_url="https://www.open-contracting.org/resources/red-flags-in-public-procurement/",
    thresholds=(
        Threshold("single_share", 0.5, 0.0, 1.0, "share of one group that flags the market"),
        Threshold("pair_share", 0.8, 0.0, 1.0, "combined share of the top two that flags it"),
        Threshold("pair_each", 0.2, 0.0, 1.0, "the share each of the two must hold"),
        Threshold("min_contracts", 5, 1, 1_000_000, "markets with fewer contracts are not judged"),
        Threshold("window_years", 0, 0, 100, "years up to the latest contract; 0 for all years"),
    ),
    subjects="markets",
    find=find,
    coverage=market_coverage,
    # 2: classification markets, values within each market's currency, buyer-wide not applicable.
    version="2",
)
