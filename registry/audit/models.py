"""Audit events: each carries the hash of the one before it, so any edit, deletion or reordering shows."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from registry.db import ModelBase, datetime_now

GENESIS_HASH = "0" * 64


class AuditEvent(ModelBase):
    __tablename__ = "audit_events"

    # The chain position is assigned under the chain-head lock, so it has no gaps (a database
    # sequence would skip numbers on rollback and hide deletions).
    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    created: Mapped[datetime_now]
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id"), comment="the user who acted; null for the system or the CLI"
    )
    actor_label: Mapped[str] = mapped_column(sa.String(320), comment="e-mail, 'cli' or 'system'")
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[str] = mapped_column(sa.String(200))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)

    __table_args__ = (sa.Index(None, "subject_type", "subject_id"),)


class AuditChainHead(ModelBase):
    """One row: the last position and hash. Updating it serialises writers to the chain."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    updated: Mapped[datetime.datetime | None]
