"""Factories for markets beyond CPV: non-CPV classifications, and markets built of contracts
classified by them, in a currency other than pounds, or all of one buyer's."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import factory

from registry.contracts.models import Classification
from registry.suppliers.models import SupplierGroup
from tests.common.db.base import ModelFactory
from tests.common.db.core import ContractFactory, SupplierFactory, SupplierGroupFactory


class ClassificationFactory(ModelFactory):
    class Meta:
        model = Classification

    scheme = "UNSPSC"
    code = factory.Sequence(lambda n: f"{10 + n}")
    label = factory.Sequence(lambda n: f"UNSPSC segment {n}")


def classified_market(
    contracts_by_group: Mapping[str, int],
    classification: Classification,
    *,
    value: Decimal | None = Decimal("1000.00"),
    currency: str = "AMD",
    **contract: Any,
) -> dict[str, SupplierGroup]:
    """A market of contracts without a CPV code, classified by `classification`: each group has
    the given number of contracts, each from a buyer of its own, valued in `currency`."""
    groups = {}
    for name, count in contracts_by_group.items():
        group = SupplierGroupFactory(name=name)
        supplier = SupplierFactory(name=f"{name} LLC", group=group)
        groups[name] = group
        for _ in range(count):
            ContractFactory(
                supplier=supplier,
                cpv_code=None,
                classification=classification,
                value_amount=value,
                currency=currency,
                **contract,
            )
    return groups


__all__ = ["ClassificationFactory", "classified_market"]
