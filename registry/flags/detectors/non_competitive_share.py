"""Non-competitive share: much of a supplier group's contracts, or of a buyer's, come from awards
without competition.

Source: Open Contracting Partnership red flags R018 (single bid received) and R010 (direct
awards, or awards by a non-competitive method).

Two kinds of subject, each judged alone: a supplier group (what it wins without competition) and
a buyer (what it awards without competition). The share is by value in the subject's currency
(`registry.flags.currency`: the currency of most of its valued contracts) when at least `min_contracts` of its
contracts carry a value in it, otherwise by number of contracts; contracts in other currencies
are left out of the value shares and counted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from registry.buyers.models import Buyer
from registry.flags.currency import in_one_currency, judged_by
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

PARTS = 1_000_000  # shares by count compared in whole parts per million: exact on both engines

# Each kind of subject: the run contracts' column naming it, and its name's table.
SUBJECTS: dict[SubjectType, tuple[str, Any]] = {
    SubjectType.supplier_group: ("group_id", SupplierGroup),
    SubjectType.buyer: ("buyer_id", Buyer),
}


def _totals(ctx: RunContext, column: str) -> sa.Subquery:
    """Per subject: its contracts and uncompeted ones, and their values in its currency."""
    rc = ctx.contracts()
    rows = sa.select(
        rc.c[column].label("subject_id"),
        rc.c.currency,
        rc.c.amount,
        rc.c.uncompeted_or_single_bid,
    ).subquery()
    return in_one_currency(
        rows,
        ["subject_id"],
        ["subject_id"],
        ctx.currencies(),
        flags={"uncompeted": rows.c.uncompeted_or_single_bid == 1},
    )


def _by_value(t: Any, minimum: int) -> sa.ColumnElement[bool]:
    """Judged by value: at least `minimum` contracts valued in the subject's currency."""
    return sa.and_(t.c.valued >= minimum, t.c.value > 0)


def _find(ctx: RunContext, subject_type: SubjectType) -> list[Finding]:
    column, named = SUBJECTS[subject_type]
    share = Decimal(str(ctx.thresholds["share_threshold"]))
    minimum = int(ctx.thresholds["min_contracts"])
    t = _totals(ctx, column)
    by_value = _by_value(t, minimum)
    flagged = sa.or_(
        sa.and_(
            t.c.contracts >= minimum,
            by_value,
            sa.func.coalesce(t.c.uncompeted_value, 0) >= t.c.value * share,
        ),
        sa.and_(
            t.c.contracts >= minimum,
            ~by_value,
            t.c.uncompeted_contracts * PARTS >= t.c.contracts * round(share * PARTS),
        ),
    )
    rows = ctx.db.execute(
        sa.select(t, named.name).join(named, named.id == t.c.subject_id).where(flagged)
    )
    findings = []
    for row in rows:
        valued = int(row.valued) >= minimum and row.value is not None and row.value > 0
        uncompeted_value = float(row.uncompeted_value or 0)
        value_share = round(uncompeted_value / float(row.value), 4) if row.value else None
        contract_share = round(int(row.uncompeted_contracts) / int(row.contracts), 4)
        basis, judged = judged_by(valued, row.currency, value_share, contract_share, int(row.other))
        findings.append(
            Finding(
                subject_type=subject_type,
                subject_key=str(row.subject_id),
                subject_label=f"{row.name} (by {basis})",
                severity=Severity.medium,
                metrics={
                    **judged,
                    "uncompeted_value": uncompeted_value if row.value is not None else None,
                    "value": float(row.value) if row.value is not None else None,
                    "contracts": int(row.contracts),
                    "uncompeted_contracts": int(row.uncompeted_contracts),
                    "valued_contracts": int(row.valued),
                },
                group_id=row.subject_id if subject_type == SubjectType.supplier_group else None,
                buyer_id=row.subject_id if subject_type == SubjectType.buyer else None,
            )
        )
    return findings


def find(ctx: RunContext) -> list[Finding]:
    return [finding for subject_type in SUBJECTS for finding in _find(ctx, subject_type)]


def coverage(ctx: RunContext) -> CoverageSource:
    minimum = int(ctx.thresholds["min_contracts"])
    selects = []
    for subject_type, (column, named) in SUBJECTS.items():
        t = _totals(ctx, column)
        columns = coverage_select(
            subject_type,
            t.c.subject_id,
            named.name,
            not_applicable=[(t.c.contracts < minimum, f"fewer than {minimum} contracts")],
            checked_note=[
                (
                    ~_by_value(t, minimum),
                    f"judged by number of contracts: fewer than {minimum} have a value in one "
                    "currency",
                ),
                (t.c.other > 0, "contracts in other currencies left out of the value shares"),
                (
                    t.c.valued < t.c.contracts,
                    "contracts without a value left out of the value shares",
                ),
            ],
        )
        selects.append(sa.select(*columns).select_from(t).join(named, named.id == t.c.subject_id))
    return selects


DETECTOR = Detector(
    id="non_competitive_share",
    title="Non-competitive share",
    rule=(
        "At least {share_threshold:.0%} of a supplier group's contracts, or of a buyer's, come "
        "from direct awards, limited procedures or tenders with a single bid, over at least "
        "{min_contracts} contracts. The share is by value in the currency of most of its valued "
        "contracts when at least {min_contracts} have a value in it (contracts in other "
        "currencies left out and counted; nothing added across currencies), otherwise by number "
        "of contracts."
    ),
    source="OCP red flags R018 (single bid received) and R010 (non-competitive award method).",
    source_url="https://www.open-contracting.org/resources/red-flags-in-public-procurement/",
    thresholds=(
        Threshold("share_threshold", 0.5, 0.0, 1.0, "uncompeted share that flags it"),
        Threshold("min_contracts", 3, 1, 1_000_000, "subjects with fewer contracts are not judged"),
    ),
    subjects="supplier groups and buyers",
    find=find,
    coverage=coverage,
    version="2",
    scope=((SubjectType.supplier_group, "group"), (SubjectType.buyer, "buyer")),
)
