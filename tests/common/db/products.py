"""Factories for products and their links to contracts and obligations."""

from __future__ import annotations

import datetime

import factory

from registry.products.models import ContractProduct, Product, ProductObligation, SupportCover
from tests.common.db.base import ModelFactory
from tests.common.db.core import ContractFactory, ObligationFactory, SupplierGroupFactory


class ProductFactory(ModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    version = ""
    group = factory.SubFactory(SupplierGroupFactory)
    mainstream_support_end = datetime.date(2009, 4, 14)
    extended_support_end = datetime.date(2014, 4, 8)
    notes = ""


class ContractProductFactory(ModelFactory):
    class Meta:
        model = ContractProduct

    contract = factory.SubFactory(ContractFactory)
    product = factory.SubFactory(ProductFactory)


class ProductObligationFactory(ModelFactory):
    class Meta:
        model = ProductObligation

    product = factory.SubFactory(ProductFactory)
    obligation = factory.SubFactory(ObligationFactory)
    cover = SupportCover.extended_support
