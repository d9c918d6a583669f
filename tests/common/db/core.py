"""Factories for the registry core: frameworks, lots, suppliers and groups, buyers, contracts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from registry.buyers.models import Buyer, BuyerType
from registry.contracts.models import Classification, Contract, ProcurementMethod
from registry.frameworks.models import (
    Framework,
    FrameworkStatus,
    Lot,
    Membership,
    MembershipStatus,
    Obligation,
    ObligationCategory,
)
from registry.records import Publication
from registry.suppliers.models import Supplier, SupplierGroup
from tests.common.db.base import ModelFactory


class FrameworkFactory(ModelFactory):
    class Meta:
        model = Framework

    reference = factory.Sequence(lambda n: f"RM{9000 + n}")
    title = factory.Sequence(lambda n: f"Test framework {n}")
    owner_body = "Crown Commercial Service"
    status = FrameworkStatus.live
    start_date = datetime.date(2020, 1, 1)
    end_date = datetime.date(2024, 1, 1)
    cpv_codes = factory.LazyFunction(lambda: ["48000000"])


class LotFactory(ModelFactory):
    class Meta:
        model = Lot

    framework = factory.SubFactory(FrameworkFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    title = factory.Sequence(lambda n: f"Lot {n + 1}")
    cpv_codes = factory.LazyFunction(lambda: ["48000000"])


class SupplierGroupFactory(ModelFactory):
    class Meta:
        model = SupplierGroup

    name = factory.Sequence(lambda n: f"Group {n}")


class SupplierFactory(ModelFactory):
    class Meta:
        model = Supplier

    name = factory.Sequence(lambda n: f"Supplier {n} Ltd")
    normalised_name = factory.LazyAttribute(lambda o: o.name.lower().replace(" ltd", ""))
    group = factory.SubFactory(SupplierGroupFactory, name=factory.SelfAttribute("..name"))
    companies_house_number = factory.Sequence(lambda n: f"{10000000 + n:08d}")
    sme = False


class BuyerFactory(ModelFactory):
    class Meta:
        model = Buyer

    name = factory.Sequence(lambda n: f"Buyer {n}")
    normalised_name = factory.LazyAttribute(lambda o: o.name.lower())
    buyer_type = BuyerType.nhs_trust
    region = "London"
    identifier_scheme = "GB-NHS-ODS"
    identifier = factory.Sequence(lambda n: f"R{n:04d}")


class MembershipFactory(ModelFactory):
    class Meta:
        model = Membership

    supplier = factory.SubFactory(SupplierFactory)
    lot = factory.SubFactory(LotFactory)
    status = MembershipStatus.active
    start_date = datetime.date(2020, 1, 1)


class ObligationFactory(ModelFactory):
    class Meta:
        model = Obligation

    framework = factory.SubFactory(FrameworkFactory)
    category = ObligationCategory.interoperability
    title = factory.Sequence(lambda n: f"Obligation {n}")
    standard_reference = "IM1"
    weight = Decimal(1)
    mandatory = True


class ClassificationFactory(ModelFactory):
    """A publisher's own classification (a non-CPV market), e.g. a UNSPSC segment."""

    class Meta:
        model = Classification

    scheme = "UNSPSC"
    code = factory.Sequence(lambda n: f"{4300 + n}")
    label = factory.Sequence(lambda n: f"Classification {n}")


class ContractFactory(ModelFactory):
    class Meta:
        model = Contract

    title = factory.Sequence(lambda n: f"Contract {n}")
    buyer = factory.SubFactory(BuyerFactory)
    supplier = factory.SubFactory(SupplierFactory)
    value_amount = Decimal("100000.00")
    currency = "GBP"
    award_date = datetime.date(2021, 1, 1)
    start_date = datetime.date(2021, 2, 1)
    end_date = datetime.date(2023, 2, 1)
    original_end_date = datetime.date(2023, 2, 1)
    procurement_method = ProcurementMethod.open
    number_of_tenderers = 3
    cpv_code = "48000000"
    publication = Publication.published
    source = "form"
