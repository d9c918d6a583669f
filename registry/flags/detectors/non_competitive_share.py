"""Non-competitive share: much of a supplier group's value comes from uncompeted awards.

Source: Open Contracting Partnership red flags R018 (single bid received) and R010 (direct
awards, or awards by a non-competitive method).
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from registry.contracts.models import NON_COMPETITIVE_METHODS, Contract
from registry.flags.detectors.base import (
    CoverageSource,
    Detector,
    Finding,
    RunContext,
    Threshold,
    coverage_select,
)
from registry.flags.models import Severity, SubjectType
from registry.flags.sql import gbp_value, public_contract
from registry.suppliers.models import Supplier, SupplierGroup


def find(ctx: RunContext) -> list[Finding]:
    share = Decimal(str(ctx.thresholds["share_threshold"]))
    uncompeted = sa.or_(
        Contract.procurement_method.in_(NON_COMPETITIVE_METHODS), Contract.number_of_tenderers == 1
    )
    value = gbp_value()
    uncompeted_value = sa.func.coalesce(sa.func.sum(sa.case((uncompeted, value))), 0)
    total_value = sa.func.sum(value)
    rows = ctx.db.execute(
        sa.select(
            Supplier.group_id,
            SupplierGroup.name,
            total_value.label("value"),
            uncompeted_value.label("uncompeted_value"),
            sa.func.count().label("contracts"),
            sa.func.count(sa.case((uncompeted, 1))).label("uncompeted_contracts"),
        )
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(SupplierGroup, SupplierGroup.id == Supplier.group_id)
        .where(public_contract())
        .group_by(Supplier.group_id, SupplierGroup.name)
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
    total_value = sa.func.sum(gbp_value())
    columns = coverage_select(
        SubjectType.supplier_group,
        Supplier.group_id,
        SupplierGroup.name,
        not_applicable=[
            (sa.func.count() < minimum, f"fewer than {minimum} contracts"),
            (sa.func.coalesce(total_value, 0) <= 0, "no contract values in pounds"),
        ],
        checked_note=[
            (
                sa.func.count(gbp_value()) < sa.func.count(),
                "contracts without a value in pounds left out of the shares",
            )
        ],
    )
    return [
        sa.select(*columns)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .join(SupplierGroup, SupplierGroup.id == Supplier.group_id)
        .where(public_contract())
        .group_by(Supplier.group_id, SupplierGroup.name)
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
