"""Search test data: the GP systems market as the seed data names it, built with the core factories."""

from __future__ import annotations

import dataclasses
from typing import Any

from registry.frameworks.models import ObligationCategory
from registry.records import Publication
from tests.common.db.core import (
    BuyerFactory,
    ContractFactory,
    FrameworkFactory,
    LotFactory,
    MembershipFactory,
    ObligationFactory,
    SupplierFactory,
    SupplierGroupFactory,
)

EMIS_CH = "03378935"


@dataclasses.dataclass
class GPMarket:
    framework: Any
    lot: Any
    emis: Any
    tpp: Any
    vision: Any
    bulk: Any
    gp_connect: Any
    published: Any
    draft: Any


def gp_market() -> GPMarket:
    framework = FrameworkFactory(
        reference="RM9999", title="GP IT Futures test framework", end_date=None
    )
    lot = LotFactory(framework=framework, number="1", title="Foundation solutions")
    emis = SupplierFactory(
        name="EMIS Health Ltd",
        aliases=["EMIS Web", "Egton Medical Information Systems"],
        companies_house_number=EMIS_CH,
        group=SupplierGroupFactory(name="EMIS Group"),
    )
    tpp = SupplierFactory(
        name="The Phoenix Partnership (Leeds) Ltd",
        aliases=["TPP", "SystmOne"],
        group=SupplierGroupFactory(name="TPP"),
    )
    vision = SupplierFactory(
        name="In Practice Systems Ltd",
        aliases=["Vision", "Cegedim"],
        group=SupplierGroupFactory(name="Cegedim"),
    )
    for supplier in (emis, tpp, vision):
        MembershipFactory(supplier=supplier, lot=lot)
    bulk = ObligationFactory(
        framework=framework,
        title="Bulk extract of the practice's patient records",
        category=ObligationCategory.data_portability,
        standard_reference="IM1 bulk extract",
    )
    gp_connect = ObligationFactory(
        framework=framework,
        title="GP Connect access record",
        category=ObligationCategory.interoperability,
        standard_reference="GP Connect",
    )
    buyer = BuyerFactory(name="NHS Leeds Integrated Care Board")
    published = ContractFactory(
        title="Clinical system call-off for Leeds practices", buyer=buyer, supplier=tpp, lot=lot
    )
    draft = ContractFactory(
        title="Confidential draft clinical system contract",
        buyer=buyer,
        supplier=emis,
        lot=lot,
        publication=Publication.draft,
    )
    return GPMarket(framework, lot, emis, tpp, vision, bulk, gp_connect, published, draft)


def open_market_flag(label: str, group_id: int | None = None, *, of_group: bool = False) -> Any:
    """An open market-concentration flag (not yet added to a session): about a market, or about
    the group `group_id` itself when `of_group`."""
    from registry.flags.models import Flag, FlagStatus, Severity, SubjectType

    return Flag(
        detector="market_concentration",
        subject_type=SubjectType.supplier_group if of_group else SubjectType.market,
        subject_key=str(group_id) if of_group else f"cpv-{label}",
        subject_label=label,
        severity=Severity.high,
        status=FlagStatus.open,
        metrics={},
        rule="test",
        thresholds={},
        source="test",
        group_id=group_id,
    )


def a_score(supplier_id: int, value: str, year: int = 2024, framework_id: int | None = None) -> Any:
    """A current score of `value` for `year`, likely within 5 either side (not yet added)."""
    import datetime
    from decimal import Decimal

    from registry.scoring.scores.models import Score

    return Score(
        supplier_id=supplier_id,
        framework_id=framework_id,
        period=str(year),
        period_end=datetime.date(year, 12, 31),
        method_version="1",
        score=Decimal(value),
        band_low=Decimal(value) - 5,
        band_high=Decimal(value) + 5,
        assessments_count=4,
        inputs={},
        breakdown="",
    )
