"""Users: an e-mail, an argon2 password hash, one role and, for officers and suppliers, an organisation."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from pyramid.authorization import Authenticated, Everyone
from sqlalchemy.orm import Mapped, mapped_column

from registry.authnz import Role, role_principal
from registry.db import ModelBase, datetime_now, int_pk


class User(ModelBase):
    __tablename__ = "users"

    id: Mapped[int_pk]
    email: Mapped[str] = mapped_column(sa.String(320), unique=True, comment="stored lower-case")
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(200), comment="argon2id")
    role: Mapped[Role]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created: Mapped[datetime_now]
    last_login: Mapped[datetime.datetime | None]
    buyer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("buyers.id"), comment="the buyer an officer works for"
    )
    supplier_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("suppliers.id"), comment="the supplier a supplier user speaks for"
    )

    def principals(self) -> list[str]:
        principals = [Everyone, Authenticated, f"user:{self.id}", role_principal(self.role)]
        principals.extend(self.organisation_principals())
        return principals

    def organisation_principals(self) -> list[str]:
        """The organisation the user acts for: officers' buyer, supplier users' supplier."""
        principals = []
        if self.buyer_id is not None:
            principals.append(f"org:buyer:{self.buyer_id}")
        if self.supplier_id is not None:
            principals.append(f"org:supplier:{self.supplier_id}")
        return principals


class UserSession(ModelBase):
    """A signed-in session. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of this table signs nobody in. Ended sessions are kept until their user signs in again."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(
        sa.String(64), primary_key=True, comment="SHA-256 (hex) of the cookie's random token"
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created: Mapped[datetime_now]
    last_seen: Mapped[datetime.datetime]
    expires: Mapped[datetime.datetime] = mapped_column(
        comment="idle timeout from last_seen, never past the absolute limit from created"
    )
    revoked_at: Mapped[datetime.datetime | None] = mapped_column(
        comment="signed out, or ended by a password, role or status change"
    )


class SignInFailure(ModelBase):
    """A wrong password (or unknown e-mail): what sign-in throttling counts, per client and per
    account. Rows older than the window are deleted; the audit trail keeps every failure."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        sa.Index("ix_sign_in_failures_email_created", "email", "created"),
        sa.Index("ix_sign_in_failures_client_created", "client", "created"),
    )

    id: Mapped[int_pk]
    created: Mapped[datetime_now]
    email: Mapped[str] = mapped_column(sa.String(200), comment="as typed, normalised")
    client: Mapped[str] = mapped_column(sa.String(64), comment="the remote address")
