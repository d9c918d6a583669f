"""Stored market figures: each market's concentration as `registry detect` last worked it out.

Derived figures, not accountable records: each refresh replaces them all, and every row carries
the method version and when it was computed, which the market page shows beside them.
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import ModelBase, UTCDateTime


class MarketFigures(ModelBase):
    """One market over all years: totals, concentration both ways, and how much data it used."""

    __tablename__ = "market_figures"

    market_key: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    contracts: Mapped[int]
    valued_contracts: Mapped[int] = mapped_column(comment="with a value in pounds")
    groups: Mapped[int] = mapped_column(comment="supplier groups with a published contract")
    value_total: Mapped[float] = mapped_column(sa.Float, comment="pounds")
    buyers_total: Mapped[int] = mapped_column(comment="the sum of every group's buyers")
    buyers_hhi: Mapped[float] = mapped_column(sa.Float)
    buyers_cr1: Mapped[float] = mapped_column(sa.Float)
    buyers_cr2: Mapped[float] = mapped_column(sa.Float)
    buyers_cr4: Mapped[float] = mapped_column(sa.Float)
    value_groups: Mapped[int] = mapped_column(comment="groups with a positive value in pounds")
    value_hhi: Mapped[float] = mapped_column(sa.Float)
    value_cr1: Mapped[float] = mapped_column(sa.Float)
    value_cr2: Mapped[float] = mapped_column(sa.Float)
    value_cr4: Mapped[float] = mapped_column(sa.Float)
    no_value: Mapped[int]
    other_currency: Mapped[int]
    ceiling_only: Mapped[int] = mapped_column(comment="framework agreements: a ceiling, no value")
    currency: Mapped[str | None] = mapped_column(
        sa.String(3), comment="ISO 4217: the one currency the value shares are computed in"
    )
    method_version: Mapped[str] = mapped_column(sa.String(20))
    computed_at: Mapped[datetime.datetime] = mapped_column(UTCDateTime)


class MarketGroupFigures(ModelBase):
    """One supplier group in one market: its counts, shares and ranks (the page's table)."""

    __tablename__ = "market_group_figures"
    # By market for the market page; by group for the supplier page (its group's markets).
    __table_args__ = (sa.Index(None, "market_key", "rank"), sa.Index(None, "group_id", "buyers"))

    market_key: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    group_id: Mapped[int] = mapped_column(primary_key=True)
    rank: Mapped[int] = mapped_column(comment="the page's order: most buyers, then most value")
    buyer_rank: Mapped[int] = mapped_column(comment="order of the shares by buyers")
    value_rank: Mapped[int] = mapped_column(comment="order of the shares by value")
    contracts: Mapped[int]
    valued_contracts: Mapped[int]
    value: Mapped[float] = mapped_column(sa.Float, comment="pounds")
    buyers: Mapped[int]
    buyer_share: Mapped[float] = mapped_column(sa.Float)
    value_share: Mapped[float] = mapped_column(sa.Float)


class MarketYearFigures(ModelBase):
    """One market in one year (award year, or start year): the trend."""

    __tablename__ = "market_year_figures"

    market_key: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    contracts: Mapped[int]
    valued_contracts: Mapped[int]
    buyers_groups: Mapped[int]
    buyers_hhi: Mapped[float] = mapped_column(sa.Float)
    buyers_cr1: Mapped[float] = mapped_column(sa.Float)
    buyers_cr2: Mapped[float] = mapped_column(sa.Float)
    buyers_cr4: Mapped[float] = mapped_column(sa.Float)
    value_groups: Mapped[int]
    value_hhi: Mapped[float] = mapped_column(sa.Float)
    value_cr1: Mapped[float] = mapped_column(sa.Float)
    value_cr2: Mapped[float] = mapped_column(sa.Float)
    value_cr4: Mapped[float] = mapped_column(sa.Float)
