"""Repeat awards: a buyer keeps awarding to the same group without open competition.

Source: the idea of Open Contracting Partnership red flag R055 (repeat awards to one supplier)
and the National Audit Office's reports on HMRC's Aspire contract, re-let to the incumbent
without competition (HC 1115, 2014).
"""

from __future__ import annotations

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.flags.detectors._shares import buyer_group_market_coverage
from registry.flags.detectors.base import CoverageSource, Detector, Finding, RunContext, Threshold
from registry.flags.market_keys import classified_market
from registry.flags.models import Severity, SubjectType
from registry.markets.services import market_labels
from registry.suppliers.models import SupplierGroup


def find(ctx: RunContext) -> list[Finding]:
    rc = ctx.contracts()
    # A CPV prefix, or the publisher's own classification for a contract without a CPV code.
    market = classified_market(rc)
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
            rc.c.amount.label("amount"),
            rc.c.currency.label("currency"),
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
            # A run's value only when all its valued awards are in one currency: never summed
            # across currencies.
            sa.func.sum(ordered.c.amount).label("value"),
            sa.func.min(ordered.c.currency).label("currency"),
            sa.func.count(sa.distinct(ordered.c.currency)).label("currencies"),
            sa.func.count(ordered.c.amount).label("valued"),
            sa.func.min(ordered.c.id).label("first_id"),
            sa.func.max(ordered.c.id).label("last_id"),
        )
        .where(ordered.c.uncompeted == 1)
        .group_by(ordered.c.buyer_id, ordered.c.group_id, ordered.c.market, ordered.c.island)
        .having(sa.func.count() >= minimum)
        .subquery()
    )
    rows = list(
        ctx.db.execute(
            sa.select(runs, Buyer.name.label("buyer"), SupplierGroup.name.label("group"))
            .join(Buyer, Buyer.id == runs.c.buyer_id)
            .join(SupplierGroup, SupplierGroup.id == runs.c.group_id)
            # Longest first and, of runs as long, the latest: without the tie-break which run a
            # flag showed hung on the plan, and could change from one run to the next (v2).
            .order_by(runs.c.awards.desc(), runs.c.last_award.desc(), runs.c.last_id.desc())
        )
    )
    findings: dict[str, Finding] = {}
    labels = market_labels(ctx.db, {row.market for row in rows}, ctx.cpv_depth)
    for row in rows:
        key = f"{row.buyer_id}/{row.group_id}/{row.market}"
        if key in findings:  # rows come longest (then latest) run first: keep that one
            continue
        one_currency = int(row.currencies) == 1
        findings[key] = Finding(
            subject_type=SubjectType.buyer_supplier,
            subject_key=key,
            subject_label=f"{row.buyer} and {row.group} in {labels[row.market]}",
            severity=Severity.medium,
            metrics={
                "consecutive_awards": int(row.awards),
                "first_award": str(row.first_award),
                "last_award": str(row.last_award),
                # null when no award has a value, or they are in several currencies
                "value": float(row.value) if one_currency else None,
                "currency": row.currency if one_currency else None,
                "valued_awards": int(row.valued),
                "currencies": int(row.currencies),
                "market": row.market,
                "market_label": labels[row.market],
            },
            market_key=row.market,
            buyer_id=row.buyer_id,
            group_id=row.group_id,
        )
    return list(findings.values())


def coverage(ctx: RunContext) -> CoverageSource:
    # Every buyer, group and market with a published award: a pair with fewer awards than a run
    # needs, or too few dated ones to put in order, cannot show the pattern.
    rc = ctx.contracts()
    minimum = int(ctx.thresholds["min_awards"])
    market = classified_market(rc)
    pairs = (
        sa.select(
            rc.c.buyer_id,
            rc.c.group_id,
            market.label("market"),
            sa.func.count().label("awards"),
            sa.func.count(rc.c.awarded).label("dated"),
        )
        .where(market.is_not(None))
        .group_by(rc.c.buyer_id, rc.c.group_id, market)
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
        "A buyer made at least {min_awards} consecutive awards in a market (a CPV prefix, or the "
        "publisher's own classification) to the same supplier group, each by direct award or "
        "limited procedure (no open competition). The run's value is shown only when its awards "
        "are valued in one currency."
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
    version="3",
    scope=((SubjectType.buyer_supplier, "buyer"),),
)
