"""Aggregation opportunity: many buyers each buy one supplier group's products separately in a
market in the same year, where one national contract or call-off could buy for all of them.

Source: the NHS trusts' own case for national deals (NHS Digital's NHS-wide Microsoft agreements:
Windows 10 Enterprise in 2018, Microsoft 365 in 2020) and the Carter review of NHS operational productivity (2016),
which found trusts paying widely different prices for the same products.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from registry.flags.detectors.base import (
    CoverageSource,
    Detector,
    Finding,
    RunContext,
    Threshold,
    coverage_select,
)
from registry.flags.market_keys import join_labels, market_label_sql
from registry.flags.models import Severity, SubjectType
from registry.frameworks.models import Framework, Lot
from registry.opportunities.services import (
    KINDS,
    Opportunity,
    find_opportunities,
    groups_in_markets_query,
)
from registry.suppliers.models import SupplierGroup


def find(ctx: RunContext) -> list[Finding]:
    start = ctx.window_start(int(ctx.thresholds["window_years"]))
    found = find_opportunities(
        ctx.db,
        ctx.cpv_depth,
        min_buyers=int(ctx.thresholds["min_buyers"]),
        since_year=start,
        contracts=ctx.contracts(),
        currencies=ctx.currencies(),
    )
    # One flag per group and market: the year with the most separate buyers (latest on a tie).
    best: dict[tuple[str, int], Opportunity] = {}
    years: dict[tuple[str, int], list[int]] = {}
    for o in found:
        key = (o.market_key, o.group_id)
        years.setdefault(key, []).append(o.year)
        current = best.get(key)
        if current is None or (o.buyers, o.year) > (current.buyers, current.year):
            best[key] = o
    return [
        Finding(
            subject_type=SubjectType.market,
            subject_key=f"{o.market_key}/group-{o.group_id}",
            subject_label=f"{o.group} in {o.market_label}",
            severity=Severity.low,
            metrics={**o.metrics(), "years": sorted(years[key]), "window_from": start},
            market_key=o.market_key,
            group_id=o.group_id,
        )
        for key, o in best.items()
    ]


def coverage(ctx: RunContext) -> CoverageSource:
    # Every market and group with a published contract in the window, keyed as the findings are.
    start = ctx.window_start(int(ctx.thresholds["window_years"]))
    minimum = int(ctx.thresholds["min_buyers"])
    window = f" since {start}" if start is not None else ""
    contracts = ctx.contracts()
    return [_coverage(kind, ctx.cpv_depth, start, minimum, window, contracts) for kind in KINDS]


def _coverage(
    kind: str, depth: int, start: int | None, minimum: int, window: str, contracts: Any
) -> sa.Select[Any]:
    groups = groups_in_markets_query(kind, depth, start, contracts).subquery()
    market = sa.cast(groups.c.market, sa.String)
    key = f"{kind}-" + market + "/group-" + sa.cast(groups.c.group_id, sa.String)
    where: Any = "CPV " + market
    if kind == "lot":
        where = Framework.reference + " lot " + Lot.number + ": " + Lot.title
    elif kind == "cls":
        where = market_label_sql("cls-" + market)
    columns = coverage_select(
        SubjectType.market,
        key,
        SupplierGroup.name + " in " + where,
        not_applicable=[
            (
                groups.c.separate_contracts == 0,
                "national route: excluded (only NHS national bodies' contracts)",
            ),
            (groups.c.separate_buyers == 0, "no award or start date: the year is unknown"),
            (groups.c.separate_buyers < minimum, f"fewer than {minimum} buyers{window}"),
        ],
        checked_note=[(groups.c.undated > 0, "contracts without an award or start date left out")],
    )
    query = (
        sa.select(*columns)
        .select_from(groups)
        .join(SupplierGroup, SupplierGroup.id == groups.c.group_id)
    )
    if kind == "lot":
        query = query.join(Lot, Lot.id == groups.c.market).join(
            Framework, Framework.id == Lot.framework_id
        )
    elif kind == "cls":
        query = join_labels(query, "cls-" + market)
    return query


DETECTOR = Detector(
    id="aggregation_opportunity",
    title="Aggregation opportunity",
    rule=(
        "At least {min_buyers} buyers each bought the same supplier group's products in one "
        "market (CPV prefix, framework lot, or the publisher's own classification) under "
        "contracts of their own in the same year, in the last {window_years} years of data "
        "(0: all years). NHS national bodies' contracts are the national route and are not "
        "counted. Spend is summed in the currency of most of the valued contracts (others left "
        "out and counted)."
    ),
    source=(
        "NHS trusts' case for national contracts (e.g. NHS Digital's NHS-wide Microsoft "
        "agreements, 2018 and 2020); Lord Carter's review of NHS operational productivity (2016) on trusts paying "
        "different prices for the same products."
    ),
    source_url="https://www.gov.uk/government/publications/productivity-in-nhs-hospitals",
    thresholds=(
        Threshold("min_buyers", 20, 2, 1_000_000, "separate buyers in one year that flag it"),
        Threshold("window_years", 3, 0, 100, "years up to the latest contract; 0 for all years"),
    ),
    subjects="supplier groups in a market",
    find=find,
    coverage=coverage,
    version="2",
)
