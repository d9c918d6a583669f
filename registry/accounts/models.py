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
