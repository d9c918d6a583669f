"""Builders for the lock-in detectors' tests: markets of given shares, runs of awards, flags."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.flags.detectors import load_settings
from registry.flags.models import DetectorCoverage, Flag, FlagStatus, Severity, SubjectType
from registry.flags.services import active_flags, run_detection
from registry.suppliers.models import SupplierGroup
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    SupplierFactory,
    SupplierGroupFactory,
)


def market(
    buyers_by_group: Mapping[str, int],
    cpv: str = "48814000",
    value: Decimal | None = Decimal("1000.00"),
    **contract: Any,
) -> dict[str, SupplierGroup]:
    """A market where each group has the given number of buyers, one contract each."""
    groups = {}
    for name, count in buyers_by_group.items():
        group = SupplierGroupFactory(name=name)
        supplier = SupplierFactory(name=f"{name} Ltd", group=group)
        groups[name] = group
        for _ in range(count):
            ContractFactory(supplier=supplier, cpv_code=cpv, value_amount=value, **contract)
    return groups


def award_run(buyer: Any, supplier: Any, methods: list[str], cpv: str = "72200000") -> list[Any]:
    """Awards from one buyer to one supplier, a year apart, by the given methods."""
    return [
        ContractFactory(
            buyer=buyer,
            supplier=supplier,
            cpv_code=cpv,
            procurement_method=method,
            award_date=datetime.date(2015 + i, 3, 1),
        )
        for i, method in enumerate(methods)
    ]


def separate_buying(
    supplier: Any, classification: Any, amounts: list[int], currency: str = "AMD"
) -> list[Any]:
    """One contract per amount, each from its own buyer, with one supplier in a publisher's own
    classification (no CPV code), all awarded in 2017."""
    return [
        ContractFactory(
            supplier=supplier,
            cpv_code=None,
            classification=classification,
            award_date=datetime.date(2017, 3, 1),
            value_amount=Decimal(amount),
            currency=currency,
        )
        for amount in amounts
    ]


def detect(db: Session, detector_id: str, **thresholds: Any) -> dict[str, Flag]:
    """Run one detector (thresholds as ini settings would give them); its active flags by subject."""
    settings = {f"registry.detectors.{detector_id}.{k}": str(v) for k, v in thresholds.items()}
    run_detection(db, load_settings(settings), [detector_id])
    return {flag.subject_key: flag for flag in active_flags(db, detector_id)}


def coverage(
    db: Session, detector_id: str, subject_type: SubjectType | None = None
) -> dict[str, DetectorCoverage]:
    """The detector's coverage rows (of one subject type, if given) by subject key."""
    query = sa.select(DetectorCoverage).where(DetectorCoverage.detector == detector_id)
    if subject_type is not None:
        query = query.where(DetectorCoverage.subject_type == subject_type)
    return {row.subject_key: row for row in db.execute(query).scalars()}


def new_buyer() -> Any:
    return BuyerFactory()


__all__ = [
    "FlagStatus",
    "award_run",
    "coverage",
    "detect",
    "market",
    "new_buyer",
    "separate_buying",
]


def open_flag(db: Session, label: str, severity: Severity = Severity.high, **about: Any) -> Flag:
    """An open flag with the given label (its subject key too), about whatever `about` says."""
    fields: dict[str, Any] = {
        "detector": "buyer_dependency",
        "subject_type": SubjectType.buyer_supplier,
        "subject_key": label,
        "subject_label": label,
        "severity": severity,
        "status": FlagStatus.open,
        "metrics": {},
        "rule": "a rule",
        "thresholds": {},
        "source": "a source",
    }
    flag = Flag(**{**fields, **about})
    db.add(flag)
    db.flush()
    return flag
