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
    framework = FrameworkFactory(reference="RM9999", title="GP IT Futures test framework")
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
