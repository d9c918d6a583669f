"""Repeat awards: a buyer keeps awarding to the same group without open competition.

Source: the idea of Open Contracting Partnership red flag R055 (repeat awards to one supplier)
and the National Audit Office's reports on HMRC's Aspire contract, re-let to the incumbent
without competition (HC 1115, 2014).
"""

from __future__ import annotations

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
from registry.markets.cpv import cpv_name
from registry.suppliers.models import SupplierGroup


def find(ctx: RunContext) -> list[Finding]:
    rc = ctx.contracts()
    market = rc.c.cpv_market
    when = rc.c.awarded
    uncompeted = rc.c.uncompeted
    minimum = int(ctx.thresholds["min_awards"])
    # Only a buyer's market where some group had at least `minimum` dated uncompeted awards can
    # hold a run that long: the others are left out before the ordering (most of them, since
    # most buyers award a few contracts per market). Each kept market keeps all its awards,
    # as any of them can break a run. A semi-join (IN), not a join: SQLite then looks each
    # award's buyer and market up in the candidates, where a join scanned every award for each.
    candidates = (
        sa.select(rc.c.buyer_id, market)
        .where(uncompeted == 1, when.is_not(None), market.is_not(None))
        .group_by(rc.c.buyer_id, market, rc.c.group_id)
        .having(sa.func.count() >= minimum)
    )
    # Gaps and islands: within a buyer's awards in a market, in order, a run of awards to one
    # group that were all uncompeted has a constant difference between the two row numbers.
    ordered = (
        sa.select(
            rc.c.id,
            rc.c.buyer_id,
            rc.c.group_id,
            market.label("market"),
            when.label("awarded"),
            rc.c.value.label("value"),
            uncompeted.label("uncompeted"),
            (
                sa.func.row_number().over(
                    partition_by=[rc.c.buyer_id, market], order_by=[when, rc.c.id]
                )
                - sa.func.row_number().over(
                    partition_by=[rc.c.buyer_id, market, rc.c.group_id, uncompeted],
                    order_by=[when, rc.c.id],
                )
            ).label("island"),
        )
        .where(
            when.is_not(None),
            market.is_not(None),
            sa.tuple_(rc.c.buyer_id, market).in_(candidates),
        )
        .subquery()
    )
    runs = (
        sa.select(
            ordered.c.buyer_id,
            ordered.c.group_id,
            ordered.c.market,
            sa.func.count().label("awards"),
            sa.func.min(ordered.c.awarded).label("first_award"),
            sa.func.max(ordered.c.awarded).label("last_award"),
            sa.func.sum(ordered.c.value).label("value"),
            sa.func.min(ordered.c.id).label("first_id"),
            sa.func.max(ordered.c.id).label("last_id"),
        )
        .where(ordered.c.uncompeted == 1)
        .group_by(ordered.c.buyer_id, ordered.c.group_id, ordered.c.market, ordered.c.island)
        .having(sa.func.count() >= minimum)
        .subquery()
    )
    rows = ctx.db.execute(
        sa.select(runs, Buyer.name.label("buyer"), SupplierGroup.name.label("group"))
        .join(Buyer, Buyer.id == runs.c.buyer_id)
        .join(SupplierGroup, SupplierGroup.id == runs.c.group_id)
        # Longest first and, of runs as long, the latest: without the tie-break which run a flag
        # showed hung on the plan, and could change from one run to the next (version 2).
        .order_by(runs.c.awards.desc(), runs.c.last_award.desc(), runs.c.last_id.desc())
    )
    findings: dict[str, Finding] = {}
    for row in rows:
        key = f"{row.buyer_id}/{row.group_id}/cpv-{row.market}"
        if key in findings:  # rows come longest (then latest) run first: keep that one
            continue
        label = cpv_name(row.market) or f"CPV {row.market}"
        findings[key] = Finding(
            subject_type=SubjectType.buyer_supplier,
            subject_key=key,
            subject_label=f"{row.buyer} and {row.group} in {label} (CPV {row.market})",
            severity=Severity.medium,
            metrics={
                "consecutive_awards": int(row.awards),
                "first_award": str(row.first_award),
                "last_award": str(row.last_award),
                "value": float(row.value) if row.value is not None else None,
                "market": f"cpv-{row.market}",
            },
            market_key=f"cpv-{row.market}",
            buyer_id=row.buyer_id,
            group_id=row.group_id,
        )
    return list(findings.values())


def coverage(ctx: RunContext) -> CoverageSource:
    # Every buyer, group and market with a published award: a pair with fewer awards than a run
    # needs, or too few dated ones to put in order, cannot show the pattern.
    rc = ctx.contracts()
    minimum = int(ctx.thresholds["min_awards"])
    pairs = (
        sa.select(
            rc.c.buyer_id,
            rc.c.group_id,
            rc.c.cpv_market.label("market"),
            sa.func.count().label("awards"),
            sa.func.count(rc.c.awarded).label("dated"),
        )
        .where(rc.c.cpv_market.is_not(None))
        .group_by(rc.c.buyer_id, rc.c.group_id, rc.c.cpv_market)
        .subquery()
    )
    return [
        buyer_group_market_coverage(
            pairs,
            not_applicable=[
                (
                    pairs.c.awards < minimum,
                    f"fewer than {minimum} awards from this buyer to this group",
                ),
                (
                    pairs.c.dated < minimum,
                    "award and start dates missing: the awards cannot be ordered",
                ),
            ],
            checked_note=[(pairs.c.dated < pairs.c.awards, "undated awards left out of the order")],
        )
    ]


DETECTOR = Detector(
    id="repeat_awards",
    title="Repeat awards without competition",
    rule=(
        "A buyer made at least {min_awards} consecutive awards in a market to the same supplier "
        "group, each by direct award or limited procedure (no open competition)."
    ),
    source=(
        "The idea of OCP red flag R055 (repeat awards); National Audit Office on HMRC's Aspire "
        "contract (HC 1115, 2014)."
    ),
    source_url="https://www.nao.org.uk/reports/managing-and-replacing-the-aspire-contract/",
    thresholds=(
        Threshold("min_awards", 3, 2, 1000, "consecutive uncompeted awards that flag the pair"),
    ),
    subjects="buyer and supplier-group pairs in a market",
    find=find,
    coverage=coverage,
    version="2",
)
