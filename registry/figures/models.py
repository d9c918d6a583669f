"""Per-record figures of published contracts, as the last refresh worked them out.

Derived figures, not accountable records: a refresh replaces a record's rows whole, and every row
carries the method version and when it was computed, which the page shows beside them. A record
with no rows (none published, or not refreshed since its contracts came in) is worked out live.
Value columns are exact money (Numeric), as the live sums are.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import ModelBase, UTCDateTime

MONEY = sa.Numeric(20, 2)


class _UseColumns:
    """How much of the contracts a figure in pounds could use (registry.contracts.datause)."""

    contracts: Mapped[int] = mapped_column(comment="published contracts")
    valued: Mapped[int] = mapped_column(comment="with a value in pounds")
    value: Mapped[Decimal] = mapped_column(MONEY, comment="their value in pounds")
    no_value: Mapped[int]
    other_currency: Mapped[int]
    ceiling_only: Mapped[int] = mapped_column(comment="framework agreements: a ceiling, no value")
    method_version: Mapped[str] = mapped_column(sa.String(20))
    computed_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class SupplierFigures(_UseColumns, ModelBase):
    """A supplier's published contracts by type of buyer and currency (the supplier page's
    table), in the page's order."""

    __tablename__ = "supplier_figures"

    supplier_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(
        primary_key=True, autoincrement=False, comment="the page's order: most value first"
    )
    buyer_type: Mapped[str] = mapped_column(sa.String(40))
    currency: Mapped[str | None] = mapped_column(sa.String(3), comment="ISO 4217")
    amount: Mapped[Decimal] = mapped_column(MONEY, comment="the value in that currency")


class BuyerSupplierFigures(_UseColumns, ModelBase):
    """A buyer's published contracts with one supplier: the buyer page's totals and its shares
    by supplier group (groups and names joined when read, so a move between groups shows at
    once)."""

    __tablename__ = "buyer_supplier_figures"

    buyer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    supplier_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, comment="the value in any currency, summed")


class LotFigures(ModelBase):
    """A lot's published call-offs: the framework page's spend against each ceiling."""

    __tablename__ = "lot_figures"

    lot_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    contracts: Mapped[int] = mapped_column(comment="published call-offs")
    valued: Mapped[int] = mapped_column(comment="with a value in pounds")
    spend: Mapped[Decimal] = mapped_column(MONEY, comment="their value in pounds")
    method_version: Mapped[str] = mapped_column(sa.String(20))
    computed_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class _TotalColumns:
    """A record's published contracts and published ratings, one row per record (zeros too, so
    a record with none is not worked out again): the list pages' columns and their sort by
    value, and the ratings the buyer page and the supplier's scorecard count."""

    contracts: Mapped[int] = mapped_column(comment="published contracts")
    value: Mapped[Decimal] = mapped_column(
        MONEY, comment="their value in any currency, summed, as the list pages show it"
    )
    # Published assessments by rating (registry.scoring.assessments.evidence.rating_columns).
    ratings_good: Mapped[int]
    ratings_approaching: Mapped[int]
    ratings_requires_improvement: Mapped[int]
    ratings_inadequate: Mapped[int]
    ratings_other: Mapped[int]
    method_version: Mapped[str] = mapped_column(sa.String(20))
    computed_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class SupplierTotals(_TotalColumns, ModelBase):
    """A supplier's totals: the suppliers list and its scorecard's count of assessments."""

    __tablename__ = "supplier_totals"
    # The list sorted by value reads this index, not every contract.
    __table_args__ = (sa.Index(None, "value"),)

    supplier_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class BuyerTotals(_TotalColumns, ModelBase):
    """A buyer's totals: the buyers list and the buyer page's ratings."""

    __tablename__ = "buyer_totals"
    __table_args__ = (sa.Index(None, "value"),)

    buyer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
