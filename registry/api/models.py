"""API tokens: an admin issues one to a user; the API acts as that user. Only a hash is stored."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from registry.db import ModelBase, datetime_now, int_pk

if TYPE_CHECKING:
    from registry.accounts.models import User


class ApiToken(ModelBase):
    __tablename__ = "api_tokens"

    id: Mapped[int_pk]
    name: Mapped[str] = mapped_column(sa.String(200), comment="what the token is for")
    prefix: Mapped[str] = mapped_column(
        sa.String(16), comment="the token's first characters, to recognise it in lists"
    )
    token_hash: Mapped[str] = mapped_column(
        sa.String(64), unique=True, comment="SHA-256 of the token; the token itself is not kept"
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id"), index=True, comment="the API acts as this user"
    )
    created: Mapped[datetime_now]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    expires_at: Mapped[datetime.datetime | None]
    last_used_at: Mapped[datetime.datetime | None]
    revoked_at: Mapped[datetime.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revocation_reason: Mapped[str | None] = mapped_column(sa.Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
