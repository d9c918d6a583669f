"""Suppliers and their ultimate parent groups. Concentration is measured on groups."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, datetime_now, int_pk
from registry.records import RecordMixin


class SupplierGroup(RecordMixin, ModelBase):
    """An ultimate parent: EMIS Health and its subsidiaries are one group."""

    __tablename__ = "supplier_groups"

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(sa.String(300), unique=True)
    companies_house_number: Mapped[str | None] = mapped_column(sa.String(8))
    country: Mapped[str | None] = mapped_column(sa.String(2), comment="ISO 3166-1 alpha-2")

    suppliers: Mapped[list[Supplier]] = relationship(
        back_populates="group", foreign_keys="Supplier.group_id"
    )


class Supplier(RecordMixin, ModelBase):
    __tablename__ = "suppliers"

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(sa.String(300))
    normalised_name: Mapped[str] = mapped_column(
        sa.String(300), index=True, comment="for matching: lower-case, no punctuation or 'Ltd'"
    )
    aliases: Mapped[list[str]] = mapped_column(default=list)
    companies_house_number: Mapped[str | None] = mapped_column(sa.String(8), unique=True)
    duns: Mapped[str | None] = mapped_column(sa.String(9), unique=True)
    party_id: Mapped[str | None] = mapped_column(
        sa.String(200), index=True, comment="PPON or OCDS party identifier"
    )
    sme: Mapped[bool | None]
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier_groups.id"), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("suppliers.id"), comment="set when merged into another record"
    )

    group: Mapped[SupplierGroup] = relationship(back_populates="suppliers", foreign_keys=[group_id])
    merged_into: Mapped[Supplier | None] = relationship(remote_side="Supplier.id")

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class SupplierMerge(ModelBase):
    """Two records of one company made one. What moved is kept, so the merge can be undone."""

    __tablename__ = "supplier_merges"

    id: Mapped[int_pk]
    survivor_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    merged_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    moved: Mapped[dict[str, Any]] = mapped_column(comment="ids of the rows re-pointed, by table")
    reason: Mapped[str] = mapped_column(sa.Text)
    merged_at: Mapped[datetime_now]
    merged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reversed_at: Mapped[datetime.datetime | None]
    reversed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reversal_reason: Mapped[str | None] = mapped_column(sa.Text)

    survivor: Mapped[Supplier] = relationship(foreign_keys=[survivor_id])
    merged: Mapped[Supplier] = relationship(foreign_keys=[merged_id])
