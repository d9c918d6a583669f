"""Buyer dependency: one supplier group takes most of a buyer's spend in a market.

Source: Open Contracting Partnership, red flag R040 ("a high share of a buyer's contracts go to
one supplier"), in "Red flags in public procurement" (2024).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.flags.detectors.base import (
    CoverageSource,
    Detector,
    Finding,
    RunContext,
    Threshold,
    buyer_group_market_coverage,
)
from registry.flags.models import Severity, SubjectType
from registry.flags.sql import since_year
from registry.markets.cpv import cpv_name
from registry.suppliers.models import SupplierGroup


def _per_group(ctx: RunContext) -> tuple[Any, int | None]:
    """Per buyer, market and group, each row beside its buyer's totals in that market."""
    start = ctx.window_start(int(ctx.thresholds["window_years"]))
    rc = ctx.contracts()
    # Per buyer, market and group; then each row beside its buyer's total in that market.
    per_group = (
        sa.select(
            rc.c.buyer_id,
            rc.c.cpv_market.label("market"),
            rc.c.group_id,
            sa.func.sum(rc.c.value).label("value"),
            sa.func.count(rc.c.value).label("contracts"),
        )
        .where(since_year(rc, start), rc.c.cpv_market.is_not(None))
        .group_by(rc.c.buyer_id, rc.c.cpv_market, rc.c.group_id)
        .subquery()
    )
    buyer_market = [per_group.c.buyer_id, per_group.c.market]
    with_totals = sa.select(
        per_group,
        sa.func.sum(per_group.c.value).over(partition_by=buyer_market).label("total"),
        sa.func.sum(per_group.c.contracts).over(partition_by=buyer_market).label("total_contracts"),
    ).subquery()
    return with_totals, start


def find(ctx: RunContext) -> list[Finding]:
    share = Decimal(str(ctx.thresholds["share_threshold"]))
    with_totals, start = _per_group(ctx)
    rows = ctx.db.execute(
        sa.select(with_totals, Buyer.name.label("buyer"), SupplierGroup.name.label("group"))
        .join(Buyer, Buyer.id == with_totals.c.buyer_id)
        .join(SupplierGroup, SupplierGroup.id == with_totals.c.group_id)
        .where(
            with_totals.c.total_contracts >= int(ctx.thresholds["min_contracts"]),
            with_totals.c.total > 0,
            with_totals.c.value >= with_totals.c.total * share,
        )
    )
    findings = []
    for row in rows:
        market_key = f"cpv-{row.market}"
        label = cpv_name(row.market) or f"CPV {row.market}"
        findings.append(
            Finding(
                subject_type=SubjectType.buyer_supplier,
                subject_key=f"{row.buyer_id}/{row.group_id}/{market_key}",
                subject_label=f"{row.buyer} and {row.group} in {label} (CPV {row.market})",
                severity=Severity.medium,
                metrics={
                    "share": round(float(row.value) / float(row.total), 4),
                    "group_value": float(row.value),
                    "buyer_value": float(row.total),
                    "group_contracts": int(row.contracts),
                    "buyer_contracts": int(row.total_contracts),
                    "market": market_key,
                    "window_from": start,
                },
                market_key=market_key,
                buyer_id=row.buyer_id,
                group_id=row.group_id,
            )
        )
    return findings


def coverage(ctx: RunContext) -> CoverageSource:
    with_totals, _start = _per_group(ctx)
    minimum = int(ctx.thresholds["min_contracts"])
    return [
        buyer_group_market_coverage(
            with_totals,
            not_applicable=[
                (
                    sa.func.coalesce(with_totals.c.total, 0) <= 0,
                    "no contract values in pounds for this buyer in this market",
                ),
                (
                    with_totals.c.total_contracts < minimum,
                    f"fewer than {minimum} of the buyer's contracts in this market have a value",
                ),
            ],
        )
    ]


DETECTOR = Detector(
    id="buyer_dependency",
    title="Buyer dependency",
    rule=(
        "One supplier group has at least {share_threshold:.0%} of a buyer's spend in pounds in a "
        "market, over at least {min_contracts} of the buyer's contracts in that market, in the "
        "last {window_years} years of data (0: all years)."
    ),
    source="Open Contracting Partnership red flag R040: a high share of a buyer's contracts to one supplier.",
    source_url="https://www.open-contracting.org/resources/red-flags-in-public-procurement/",
    thresholds=(
        Threshold("share_threshold", 0.8, 0.0, 1.0, "share of the buyer's spend that flags it"),
        Threshold("min_contracts", 2, 1, 1_000_000, "buyers with fewer contracts are not judged"),
        Threshold("window_years", 5, 0, 100, "years up to the latest contract; 0 for all years"),
    ),
    subjects="buyer and supplier-group pairs in a market",
    find=find,
    coverage=coverage,
)
