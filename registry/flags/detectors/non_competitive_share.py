"""Non-competitive share: much of a supplier group's value comes from uncompeted awards.

Source: Open Contracting Partnership red flags R018 (single bid received) and R010 (direct
awards, or awards by a non-competitive method).
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from registry.flags.detectors.base import (
    CoverageSource,
    Detector,
    Finding,
    RunContext,
    Threshold,
    coverage_select,
)
from registry.flags.models import Severity, SubjectType
from registry.suppliers.models import SupplierGroup


def find(ctx: RunContext) -> list[Finding]:
    share = Decimal(str(ctx.thresholds["share_threshold"]))
    rc = ctx.contracts()
    uncompeted = rc.c.uncompeted_or_single_bid == 1
    value = rc.c.value
    uncompeted_value = sa.func.coalesce(sa.func.sum(sa.case((uncompeted, value))), 0)
    total_value = sa.func.sum(value)
    rows = ctx.db.execute(
        sa.select(
            rc.c.group_id,
            SupplierGroup.name,
            total_value.label("value"),
            uncompeted_value.label("uncompeted_value"),
            sa.func.count().label("contracts"),
            sa.func.count(sa.case((uncompeted, 1))).label("uncompeted_contracts"),
        )
        .join(SupplierGroup, SupplierGroup.id == rc.c.group_id)
        .group_by(rc.c.group_id, SupplierGroup.name)
        .having(
            sa.func.count() >= int(ctx.thresholds["min_contracts"]),
            total_value > 0,
            uncompeted_value >= total_value * share,
        )
    )
    return [
        Finding(
            subject_type=SubjectType.supplier_group,
            subject_key=str(row.group_id),
            subject_label=row.name,
            severity=Severity.medium,
            metrics={
                "share": round(float(row.uncompeted_value) / float(row.value), 4),
                "uncompeted_value": float(row.uncompeted_value),
                "value": float(row.value),
                "contracts": int(row.contracts),
                "uncompeted_contracts": int(row.uncompeted_contracts),
            },
            group_id=row.group_id,
        )
        for row in rows
    ]


def coverage(ctx: RunContext) -> CoverageSource:
    minimum = int(ctx.thresholds["min_contracts"])
    rc = ctx.contracts()
    total_value = sa.func.sum(rc.c.value)
    columns = coverage_select(
        SubjectType.supplier_group,
        rc.c.group_id,
        SupplierGroup.name,
        not_applicable=[
            (sa.func.count() < minimum, f"fewer than {minimum} contracts"),
            (sa.func.coalesce(total_value, 0) <= 0, "no contract values in pounds"),
        ],
        checked_note=[
            (
                sa.func.count(rc.c.value) < sa.func.count(),
                "contracts without a value in pounds left out of the shares",
            )
        ],
    )
    return [
        sa.select(*columns)
        .select_from(rc)
        .join(SupplierGroup, SupplierGroup.id == rc.c.group_id)
        .group_by(rc.c.group_id, SupplierGroup.name)
    ]


DETECTOR = Detector(
    id="non_competitive_share",
    title="Non-competitive share",
    rule=(
        "At least {share_threshold:.0%} of a supplier group's contract value in pounds comes "
        "from direct awards, limited procedures or tenders with a single bid, over at least "
        "{min_contracts} contracts."
    ),
    source="OCP red flags R018 (single bid received) and R010 (non-competitive award method).",
    source_url="https://www.open-contracting.org/resources/red-flags-in-public-procurement/",
    thresholds=(
        Threshold("share_threshold", 0.5, 0.0, 1.0, "uncompeted share of value that flags it"),
        Threshold("min_contracts", 3, 1, 1_000_000, "groups with fewer contracts are not judged"),
    ),
    subjects="supplier groups",
    find=find,
    coverage=coverage,
)
