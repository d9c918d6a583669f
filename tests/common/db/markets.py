"""Factories for markets beyond CPV: non-CPV classifications, and markets built of contracts
classified by them, in a currency other than pounds, or all of one buyer's."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from registry.contracts.models import Classification
from registry.suppliers.models import SupplierGroup
from tests.common.db.core import ClassificationFactory, ContractFactory, SupplierFactory
from tests.common.db.flags import market


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
    return market(
        contracts_by_group,
        cpv=None,
        value=value,
        classification=classification,
        currency=currency,
        **contract,
    )


def classified_contract(
    classification: Classification, group: SupplierGroup, amount: int, currency: str
) -> Any:
    """One more contract of `group` in the classification market, in `currency`."""
    return ContractFactory(
        supplier=SupplierFactory(group=group),
        cpv_code=None,
        classification=classification,
        value_amount=Decimal(amount),
        currency=currency,
    )


__all__ = ["ClassificationFactory", "classified_contract", "classified_market"]
