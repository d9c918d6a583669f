"""Market concentration: HHI above 1,800 is highly concentrated.

Source: US Department of Justice and Federal Trade Commission, Merger Guidelines (2023), section
2.1 ("highly concentrated" above 1,800); the EU Guidelines on horizontal mergers (2004/C 31/03),
paragraphs 19-21, see concern above 2,000. OCP red flag R051 (high market concentration).
"""

from __future__ import annotations

from registry.flags.detectors._markets import (
    first_basis,
    market_coverage,
    market_metrics,
    markets_in_window,
)
from registry.flags.detectors.base import Detector, Finding, RunContext, Threshold
from registry.flags.models import Severity, SubjectType


def find(ctx: RunContext) -> list[Finding]:
    threshold = float(ctx.thresholds["hhi_threshold"])
    min_contracts = int(ctx.thresholds["min_contracts"])
    markets, start = markets_in_window(ctx)
    findings = []
    for market in markets:
        hit = first_basis(market, min_contracts, lambda conc: conc.hhi > threshold)
        if hit is None:
            continue
        basis, conc, _ = hit
        findings.append(
            Finding(
                subject_type=SubjectType.market,
                subject_key=market.key,
                subject_label=market.label,
                severity=Severity.high,
                metrics=market_metrics(market, basis, conc, start),
                market_key=market.key,
                framework_id=market.framework_id,
                group_ids=tuple(s.key for s in conc.shares[:2]),
            )
        )
    return findings


DETECTOR = Detector(
    id="market_concentration",
    title="Market concentration",
    rule=(
        "A market's HHI (the sum of the squared percentage shares of supplier groups, by number "
        "of buyers or by contract value within the market's one currency) is above "
        "{hhi_threshold:,.0f}, in a market with at least {min_contracts} contracts. Markets of "
        "what is bought (CPV, other classifications, framework lots); a buyer-wide market is the "
        "buyer dependency detector's."
    ),
    source=(
        "US DOJ/FTC Merger Guidelines 2023 (highly concentrated above 1,800); EU Guidelines on "
        "horizontal mergers 2004/C 31/03 (concern above 2,000); OCP red flag R051."
    ),
    source_url="https://www.justice.gov/atr/2023-merger-guidelines",
    thresholds=(
        Threshold(
            "hhi_threshold",
            1800.0,
            0.0,
            10000.0,
            "concentration (Herfindahl-Hirschman index) above which a market is flagged",
        ),
        Threshold("min_contracts", 5, 1, 1_000_000, "markets with fewer contracts are not judged"),
        Threshold("window_years", 0, 0, 100, "years up to the latest contract; 0 for all years"),
    ),
    subjects="markets",
    find=find,
    coverage=market_coverage,
    # 2: classification markets, values within each market's currency, buyer-wide not applicable.
    version="2",
)
