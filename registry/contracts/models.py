"""Contracts and call-offs: who bought what from whom, how it was awarded, and how it was extended."""

from __future__ import annotations

import datetime
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, datetime_now, int_pk
from registry.records import Publication, RecordMixin, RetractableMixin

if TYPE_CHECKING:
    from registry.buyers.models import Buyer
    from registry.frameworks.models import Lot
    from registry.suppliers.models import Supplier


class ProcurementMethod(enum.StrEnum):
    open = "open"
    selective = "selective"
    limited = "limited"
    direct_award = "direct award"
    further_competition = "further competition"


class Classification(ModelBase):
    """What a contract buys, in a publisher's own scheme when it is not CPV (UNSPSC, a national
    catalogue), or in its own words where it gives no code: the market such contracts share.

    CPV contracts keep `cpv_code` (their markets are CPV prefixes); this holds the rest, at the
    depth that makes a market (a UNSPSC segment, a national code as published, a description)."""

    __tablename__ = "classifications"
    __table_args__ = (sa.UniqueConstraint("scheme", "code"),)

    id: Mapped[int_pk]
    scheme: Mapped[str] = mapped_column(
        sa.String(100), comment="as published (UNSPSC, a national scheme); '' for a description"
    )
    code: Mapped[str] = mapped_column(
        sa.String(100), comment="the market's code in the scheme, or the normalised description"
    )
    label: Mapped[str] = mapped_column(sa.String(300), comment="what a reader sees")


# Methods with no open competition: repeat-award and non-competitive detectors count these.
NON_COMPETITIVE_METHODS = frozenset({ProcurementMethod.limited, ProcurementMethod.direct_award})


class Contract(RecordMixin, RetractableMixin, ModelBase):
    __tablename__ = "contracts"
    # buyer_id, supplier_id and lot_id have no index of their own: each leads one of these, which
    # answers a lookup by it (and the foreign keys' checks) as well (revision 0032).
    __table_args__ = (
        sa.Index(None, "buyer_id", "supplier_id"),
        # Covers the supplier page's pass over a supplier's contracts (by buyer type, with the
        # data-use counts): thousands for a national supplier, read from the index alone.
        sa.Index(
            "ix_contracts_supplier_figures",
            "supplier_id",
            "buyer_id",
            "currency",
            "value_amount",
            "ceiling_amount",
            "publication",
            "retracted_at",
        ),
        # Covers the framework page's call-off spend per lot, likewise.
        sa.Index(
            "ix_contracts_lot_figures",
            "lot_id",
            "currency",
            "value_amount",
            "publication",
            "retracted_at",
        ),
        sa.CheckConstraint("value_amount IS NULL OR value_amount >= 0", name="value_not_negative"),
        sa.CheckConstraint(
            "number_of_tenderers IS NULL OR number_of_tenderers >= 0", name="tenderers_not_negative"
        ),
    )

    id: Mapped[int_pk]
    reference: Mapped[str | None] = mapped_column(
        sa.String(200), unique=True, comment="the publisher's contract or award id"
    )
    ocid: Mapped[str | None] = mapped_column(sa.String(200), index=True, comment="OCDS ocid")
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("buyers.id"))
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"))
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lots.id"))
    value_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3), comment="ISO 4217")
    # An OCDS framework agreement award states what may be called off, not what was spent: it
    # lands here, so no total of contract values ever counts it.
    ceiling_amount: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(18, 2), comment="a framework agreement's ceiling (OCDS award value); not spend"
    )
    ceiling_currency: Mapped[str | None] = mapped_column(sa.String(3), comment="ISO 4217")
    award_date: Mapped[datetime.date | None]
    start_date: Mapped[datetime.date | None]
    end_date: Mapped[datetime.date | None] = mapped_column(
        comment="the end now, extensions included"
    )
    original_end_date: Mapped[datetime.date | None] = mapped_column(comment="the end when awarded")
    procurement_method: Mapped[ProcurementMethod | None]
    procurement_method_details: Mapped[str | None] = mapped_column(
        sa.String(300), comment="the publisher's own words for the method, as published"
    )
    number_of_tenderers: Mapped[int | None]
    predecessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"))
    cpv_code: Mapped[str | None] = mapped_column(sa.String(10), index=True)
    classification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("classifications.id"), index=True, comment="a non-CPV classification"
    )
    publication: Mapped[Publication] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(
        sa.String(40), default="form", comment="form, csv, ocds, seed"
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    lifecycle_override: Mapped[str | None] = mapped_column(
        sa.Text,
        comment="why it was recorded though its framework, lot or supplier's standing said no",
    )

    buyer: Mapped[Buyer] = relationship()
    supplier: Mapped[Supplier] = relationship()
    lot: Mapped[Lot | None] = relationship()
    classification: Mapped[Classification | None] = relationship()
    predecessor: Mapped[Contract | None] = relationship(remote_side="Contract.id")
    extensions: Mapped[list[ContractExtension]] = relationship(
        back_populates="contract", order_by="ContractExtension.extended_on"
    )


class ContractExtension(ModelBase):
    __tablename__ = "contract_extensions"

    id: Mapped[int_pk]
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    extended_on: Mapped[datetime.date]
    previous_end_date: Mapped[datetime.date | None]
    new_end_date: Mapped[datetime.date]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created: Mapped[datetime_now]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    contract: Mapped[Contract] = relationship(back_populates="extensions")
