"""Buyers: the public bodies that award contracts."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import ModelBase, int_pk
from registry.records import RecordMixin


class BuyerType(enum.StrEnum):
    gp_practice = "GP practice"
    nhs_trust = "NHS trust"
    integrated_care_board = "integrated care board"
    nhs_national = "NHS national body"
    central_government = "central government"
    local_authority = "local authority"
    devolved_government = "devolved government"
    other = "other public body"


class Buyer(RecordMixin, ModelBase):
    __tablename__ = "buyers"
    __table_args__ = (sa.UniqueConstraint("identifier_scheme", "identifier"),)

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(sa.String(300))
    normalised_name: Mapped[str] = mapped_column(sa.String(300), index=True)
    buyer_type: Mapped[BuyerType]
    region: Mapped[str | None] = mapped_column(sa.String(100))
    identifier_scheme: Mapped[str | None] = mapped_column(
        sa.String(40), comment="e.g. GB-NHS-ODS for NHS bodies' ODS codes"
    )
    identifier: Mapped[str | None] = mapped_column(sa.String(100), comment="e.g. an ODS code")
    party_id: Mapped[str | None] = mapped_column(
        sa.String(200), index=True, comment="OCDS party id"
    )
    also_known_as: Mapped[str | None] = mapped_column(
        sa.Text, comment="other names and abbreviations people search by (e.g. HMRC), one per line"
    )
