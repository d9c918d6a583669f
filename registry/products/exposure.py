"""Exposure: buyers whose live contracts depend on a product past its end of support, with no
obligation covering it by extended support or an upgrade. One set-based query, used by the
`end_of_support` detector and by the /exposure and buyer pages alike.

The universe (what is checked) is every buyer and product pair linked through a live published
contract; a pair is exposed when the product's last day of support (extended support if the
vendor offers it, else mainstream) is more than `grace_days` before the day of the check and no
obligation on the contract's framework (its lot, or every lot; every supplier, or the contract's
own) is linked to the product as extended support or an upgrade.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from registry.buyers.models import Buyer
from registry.contracts.models import Contract
from registry.contracts.queries import gbp_value, public_contract
from registry.frameworks.models import Lot, Obligation
from registry.products.models import ContractProduct, Product, ProductObligation
from registry.suppliers.models import SupplierGroup

METHOD_VERSION = "exposure-1"


def support_end() -> sa.ColumnElement[datetime.date]:
    """The product's last day of any support: extended if stated, else mainstream."""
    return sa.func.coalesce(Product.extended_support_end, Product.mainstream_support_end)


def live_on(day: datetime.date) -> sa.ColumnElement[bool]:
    """A published contract running on `day` (an unknown start or end does not rule it out)."""
    return sa.and_(
        public_contract(),
        sa.or_(Contract.start_date.is_(None), Contract.start_date <= day),
        sa.or_(Contract.end_date.is_(None), Contract.end_date >= day),
    )


def covered() -> sa.ColumnElement[bool]:
    """An obligation on the contract's framework covers the product (correlated to the row)."""
    return sa.exists(
        sa.select(1)
        .select_from(ProductObligation)
        .join(Obligation, Obligation.id == ProductObligation.obligation_id)
        .join(Lot, Lot.framework_id == Obligation.framework_id)
        .where(
            ProductObligation.product_id == Product.id,
            Obligation.retracted_at.is_(None),
            Lot.id == Contract.lot_id,
            sa.or_(Obligation.lot_id.is_(None), Obligation.lot_id == Contract.lot_id),
            sa.or_(
                Obligation.supplier_id.is_(None), Obligation.supplier_id == Contract.supplier_id
            ),
        )
    )


@dataclasses.dataclass(frozen=True)
class Exposure:
    buyer_id: int
    buyer: str
    product_id: int
    product: str
    group_id: int
    vendor: str
    support_end: datetime.date
    extended: bool  # the end is of extended support (False: mainstream, none extended stated)
    contracts: int
    value: float | None
    first_start: datetime.date | None
    as_of: datetime.date

    @property
    def days_past_support(self) -> int:
        return (self.as_of - self.support_end).days

    @property
    def days_exposed(self) -> int:
        """Days since the buyer was both past support and on a live contract for the product."""
        since = max(self.support_end, self.first_start or self.support_end)
        return max(0, (self.as_of - since).days)

    def metrics(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "product_id": self.product_id,
            "vendor": self.vendor,
            "support_end": self.support_end.isoformat(),
            "support_kind": "extended" if self.extended else "mainstream",
            "days_past_support": self.days_past_support,
            "days_exposed": self.days_exposed,
            "live_contracts": self.contracts,
            "live_contract_value": self.value,
            "as_of": self.as_of.isoformat(),
            "method": METHOD_VERSION,
        }


def exposure_query(as_of: datetime.date, grace_days: int) -> sa.Select[Any]:
    """Per buyer and product: the live uncovered contracts past end of support."""
    end = support_end()
    cutoff = as_of - datetime.timedelta(days=grace_days)
    query = (
        sa.select(
            Contract.buyer_id,
            Buyer.name.label("buyer"),
            Product.id.label("product_id"),
            Product.name,
            Product.version,
            Product.group_id,
            SupplierGroup.name.label("vendor"),
            end.label("support_end"),
            Product.extended_support_end,
            sa.func.count(Contract.id).label("contracts"),
            sa.func.sum(gbp_value()).label("value"),
            sa.func.min(Contract.start_date).label("first_start"),
        )
        .select_from(Contract)
        .join(ContractProduct, ContractProduct.contract_id == Contract.id)
        .join(Product, Product.id == ContractProduct.product_id)
        .join(Buyer, Buyer.id == Contract.buyer_id)
        .join(SupplierGroup, SupplierGroup.id == Product.group_id)
        .where(
            live_on(as_of),
            Product.retracted_at.is_(None),
            end.is_not(None),
            end < cutoff,  # more than grace_days days past the last day of support
            ~covered(),
        )
        .group_by(
            Contract.buyer_id,
            Buyer.name,
            Product.id,
            Product.name,
            Product.version,
            Product.group_id,
            SupplierGroup.name,
            end,
            Product.extended_support_end,
        )
    )
    return cast("sa.Select[Any]", query)  # many columns: typed loosely like the others


def _date(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))  # SQLite returns MIN() of dates as text


def find_exposures(
    db: Session,
    as_of: datetime.date,
    grace_days: int = 0,
    *,
    buyer_id: int | None = None,
) -> list[Exposure]:
    """Every exposed buyer and product pair (or one buyer's), longest past support first."""
    query = exposure_query(as_of, grace_days)
    if buyer_id is not None:
        query = query.where(Contract.buyer_id == buyer_id)
    exposures = []
    for row in db.execute(query):
        end = _date(row.support_end)
        assert end is not None  # filtered in SQL
        exposures.append(
            Exposure(
                buyer_id=row.buyer_id,
                buyer=row.buyer,
                product_id=row.product_id,
                product=f"{row.name} {row.version}".strip(),
                group_id=row.group_id,
                vendor=row.vendor,
                support_end=end,
                extended=row.extended_support_end is not None,
                contracts=int(row.contracts),
                value=float(row.value) if row.value is not None else None,
                first_start=_date(row.first_start),
                as_of=as_of,
            )
        )
    exposures.sort(key=lambda e: (-e.days_past_support, e.buyer.lower(), e.product))
    return exposures


def exposed_contracts(buyer_id: int, product_id: int, as_of: datetime.date) -> sa.Select[Any]:
    """The live contracts behind one exposure (for the flag's and the exposure page's links)."""
    return (
        sa.select(Contract)
        .join(ContractProduct, ContractProduct.contract_id == Contract.id)
        .join(Product, Product.id == ContractProduct.product_id)
        .where(
            Contract.buyer_id == buyer_id,
            Product.id == product_id,
            live_on(as_of),
            ~covered(),
        )
        .order_by(Contract.start_date, Contract.id)
    )
