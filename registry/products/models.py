"""Products and their end of support: what a contract depends on, and who promised to cover it.

A product (Windows XP, say) belongs to a vendor group and has the dates its vendor stops
mainstream and extended support. Contracts are linked to the products they depend on (with a
unit price where one is known); framework obligations are linked to the products they cover by
extended support or an upgrade.
"""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, datetime_now, int_pk
from registry.records import RecordMixin, RetractableMixin

if TYPE_CHECKING:
    from registry.contracts.models import Contract
    from registry.frameworks.models import Obligation
    from registry.suppliers.models import SupplierGroup


class SupportCover(enum.StrEnum):
    """How an obligation keeps a product safe past its end of support."""

    extended_support = "extended support"
    upgrade = "upgrade"


class Product(RecordMixin, RetractableMixin, ModelBase):
    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("group_id", "name", "version"),
        sa.CheckConstraint(
            "extended_support_end IS NULL OR mainstream_support_end IS NULL "
            "OR extended_support_end >= mainstream_support_end",
            name="support_dates_in_order",
        ),
    )

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(sa.String(200), comment="e.g. Windows XP")
    version: Mapped[str] = mapped_column(
        sa.String(60), default="", comment="e.g. SP3; empty when the name says it all"
    )
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("supplier_groups.id"), index=True, comment="the vendor's supplier group"
    )
    mainstream_support_end: Mapped[datetime.date | None] = mapped_column(
        comment="the vendor's end of mainstream support"
    )
    extended_support_end: Mapped[datetime.date | None] = mapped_column(
        comment="the vendor's end of extended (security fix) support"
    )
    source_url: Mapped[str | None] = mapped_column(
        sa.String(500), comment="the vendor's published lifecycle page"
    )
    notes: Mapped[str] = mapped_column(sa.Text, default="")

    group: Mapped[SupplierGroup] = relationship()

    @property
    def support_end(self) -> datetime.date | None:
        """The last day of any support from the vendor: extended if there is one."""
        return self.extended_support_end or self.mainstream_support_end

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()


class ContractProduct(ModelBase):
    """A contract depends on a product; with a unit price where the contract states one."""

    __tablename__ = "contract_products"

    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id"), primary_key=True, index=True
    )
    quantity: Mapped[int | None] = mapped_column(comment="units bought, e.g. licences")
    unit_price: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(18, 2), comment="price per unit in pounds"
    )
    unit: Mapped[str | None] = mapped_column(sa.String(60), comment="e.g. per user per year")
    created: Mapped[datetime_now]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    contract: Mapped[Contract] = relationship()
    product: Mapped[Product] = relationship()


class ProductObligation(ModelBase):
    """A framework obligation that covers a product by extended support or an upgrade."""

    __tablename__ = "product_obligations"

    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), primary_key=True)
    obligation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("obligations.id"), primary_key=True, index=True
    )
    cover: Mapped[SupportCover]
    created: Mapped[datetime_now]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    product: Mapped[Product] = relationship()
    obligation: Mapped[Obligation] = relationship()
