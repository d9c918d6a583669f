"""Buyer dependency: one supplier group takes most of a buyer's contracts in a market.

Source: Open Contracting Partnership, red flag R040 ("a high share of a buyer's contracts go to
one supplier"), in "Red flags in public procurement" (2024).

A buyer is judged in each market it buys in: a CPV prefix, a publisher's own classification
(`cls-<id>`, for contracts without a CPV code), and its buyer-wide market (`buyer-<id>`: all its
contracts, classified or not), so a dependence shows even where nothing is classified. The
buyer-wide market is judged only when it adds something: when the buyer's contracts are not all
in one classified market (which judges them already).

The share is by value in the (buyer, market)'s currency (`registry.flags.currency`) when at least
`min_contracts` of the buyer's contracts there carry a value in it; otherwise by number of
contracts, R040's own measure, which needs no value. Contracts in other currencies are left out
of the value shares and counted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.flags.currency import in_one_currency, judged_by
from registry.flags.detectors._shares import buyer_group_market_coverage
from registry.flags.detectors.base import CoverageSource, Detector, Finding, RunContext, Threshold
from registry.flags.market_keys import buyer_market, classified_market
from registry.flags.models import Severity, SubjectType
from registry.flags.run_contracts import since_year
from registry.markets.services import market_labels
from registry.suppliers.models import SupplierGroup

PARTS = 1_000_000  # shares by count compared in whole parts per million: exact on both engines


def _scoped(ctx: RunContext, start: int | None) -> sa.Subquery:
    """The run's contracts in the window, once per market they are in: their classified market
    and, for a buyer whose contracts are not all in one classified market, its buyer-wide one."""
    rc = ctx.contracts()
    window = since_year(rc, start)
    market = classified_market(rc)
    columns = (rc.c.buyer_id, rc.c.group_id, rc.c.currency, rc.c.amount)
    # A semi-join (IN) on the buyers that span markets, as DEVELOPING.md advises for SQLite.
    spanning = (
        sa.select(rc.c.buyer_id)
        .where(window)
        .group_by(rc.c.buyer_id)
        .having(
            sa.or_(
                sa.func.count(sa.distinct(market)) != 1,
                sa.func.count(market) < sa.func.count(),
            )
        )
    )
    classified = sa.select(market.label("market"), *columns).where(window, market.is_not(None))
    buyer_wide = sa.select(buyer_market(rc.c.buyer_id).label("market"), *columns).where(
        window, rc.c.buyer_id.in_(spanning)
    )
    return sa.union_all(classified, buyer_wide).subquery("scoped")


def _per_group(ctx: RunContext) -> tuple[Any, int | None]:
    """Per buyer, market and group, each row beside its buyer's totals in that market, values
    in the (buyer, market)'s currency."""
    start = ctx.window_start(int(ctx.thresholds["window_years"]))
    per_group = in_one_currency(
        _scoped(ctx, start),
        ["buyer_id", "market", "group_id"],
        ["buyer_id", "market"],
        ctx.currencies(),
    )
    buyer_market_ = [per_group.c.buyer_id, per_group.c.market]

    def total(column: Any) -> Any:
        return sa.func.sum(column).over(partition_by=buyer_market_)

    with_totals = sa.select(
        per_group,
        total(per_group.c.value).label("total"),
        total(per_group.c.contracts).label("total_contracts"),
        total(per_group.c.valued).label("total_valued"),
        total(per_group.c.other).label("total_other"),
    )
    # Read by `find` and again by `coverage`: computed once per run.
    return ctx.materialise(f"buyer_dependency_pairs_{start or 0}", with_totals), start


def _by_value(t: Any, minimum: int) -> sa.ColumnElement[bool]:
    """Judged by value: enough of the buyer's contracts in the market valued in its currency."""
    return sa.and_(t.c.total_valued >= minimum, t.c.total > 0)


def _where(market: str, labels: dict[str, str]) -> str:
    """Where the pair is judged, after the buyer's name: its buyer-wide market needs no label."""
    if market.startswith("buyer-"):
        return "across all the buyer's contracts"
    return f"in {labels[market]}"


def find(ctx: RunContext) -> list[Finding]:
    share = Decimal(str(ctx.thresholds["share_threshold"]))
    minimum = int(ctx.thresholds["min_contracts"])
    t, start = _per_group(ctx)
    by_value = _by_value(t, minimum)
    by_count = sa.and_(
        ~by_value,
        t.c.total_contracts >= minimum,
        t.c.contracts * PARTS >= t.c.total_contracts * round(share * PARTS),
    )
    rows = list(
        ctx.db.execute(
            sa.select(t, Buyer.name.label("buyer"), SupplierGroup.name.label("group"))
            .join(Buyer, Buyer.id == t.c.buyer_id)
            .join(SupplierGroup, SupplierGroup.id == t.c.group_id)
            .where(sa.or_(sa.and_(by_value, t.c.value >= t.c.total * share), by_count))
        )
    )
    labels = market_labels(ctx.db, {row.market for row in rows}, ctx.cpv_depth)
    findings = []
    for row in rows:
        valued = int(row.total_valued) >= minimum and row.total is not None and row.total > 0
        value_share = round(float(row.value or 0) / float(row.total), 4) if row.total else None
        contract_share = round(int(row.contracts) / int(row.total_contracts), 4)
        basis, judged = judged_by(
            valued, row.currency, value_share, contract_share, int(row.total_other)
        )
        findings.append(
            Finding(
                subject_type=SubjectType.buyer_supplier,
                subject_key=f"{row.buyer_id}/{row.group_id}/{row.market}",
                subject_label=f"{row.buyer} and {row.group} {_where(row.market, labels)} (by {basis})",
                severity=Severity.medium,
                metrics={
                    **judged,
                    "group_value": float(row.value) if row.value is not None else None,
                    "buyer_value": float(row.total) if row.total is not None else None,
                    "group_contracts": int(row.contracts),
                    "buyer_contracts": int(row.total_contracts),
                    "valued_contracts": int(row.total_valued),
                    "market": row.market,
                    "market_label": labels[row.market],
                    "window_from": start,
                },
                market_key=row.market,
                buyer_id=row.buyer_id,
                group_id=row.group_id,
            )
        )
    return findings


def coverage(ctx: RunContext) -> CoverageSource:
    t, _start = _per_group(ctx)
    minimum = int(ctx.thresholds["min_contracts"])
    return [
        buyer_group_market_coverage(
            t,
            not_applicable=[
                (
                    t.c.total_contracts < minimum,
                    f"fewer than {minimum} of the buyer's contracts in this market",
                ),
            ],
            checked_note=[
                (
                    ~_by_value(t, minimum),
                    f"judged by number of contracts: fewer than {minimum} have a value in "
                    "one currency",
                ),
                (
                    t.c.total_other > 0,
                    "contracts in other currencies than the market's left out of the value shares",
                ),
            ],
        )
    ]


DETECTOR = Detector(
    id="buyer_dependency",
    title="Buyer dependency",
    rule=(
        "One supplier group has at least {share_threshold:.0%} of a buyer's contracts in a "
        "market (a CPV prefix, the publisher's own classification, or all the buyer's "
        "contracts), over at least {min_contracts} of the buyer's contracts there, in the last "
        "{window_years} years of data (0: all years). The share is by value in the currency of "
        "most of the buyer's valued contracts in that market when at least {min_contracts} of "
        "them have a value in it (contracts in other currencies left out and counted; nothing "
        "added across currencies), otherwise by number of contracts."
    ),
    source="Open Contracting Partnership red flag R040: a high share of a buyer's contracts to one supplier.",
    source_url="https://www.open-contracting.org/resources/red-flags-in-public-procurement/",
    thresholds=(
        Threshold("share_threshold", 0.8, 0.0, 1.0, "share of the buyer's contracts that flags it"),
        Threshold("min_contracts", 2, 1, 1_000_000, "buyers with fewer contracts are not judged"),
        Threshold("window_years", 5, 0, 100, "years up to the latest contract; 0 for all years"),
    ),
    subjects="buyer and supplier-group pairs in a market",
    find=find,
    coverage=coverage,
    version="2",
    scope=((SubjectType.buyer_supplier, "buyer"),),
)
