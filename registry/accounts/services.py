"""Users: creation, argon2 authentication, and rate-limiting failed logins from the audit trail."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session
from zope.interface import implementer

from registry.accounts.interfaces import IUserService
from registry.accounts.models import User
from registry.audit.models import AuditEvent
from registry.audit.services import record_event
from registry.authnz import Role
from registry.db import utcnow

LOGIN_FAILED = "account.login_failed"
MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = datetime.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12

_hasher = PasswordHasher()
# Compared against when the e-mail is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class AccountError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long")


@implementer(IUserService)
class DatabaseUserService:
    def __init__(self, db: Session) -> None:
        self.db = db

    def get_user(self, user_id: int) -> User | None:
        user = self.db.get(User, user_id)
        return user if user is not None and user.is_active else None

    def find_by_email(self, email: str) -> User | None:
        return self.db.execute(
            sa.select(User).where(User.email == normalise_email(email))
        ).scalar_one_or_none()

    def create_user(
        self,
        email: str,
        password: str,
        role: str,
        *,
        name: str = "",
        buyer_id: int | None = None,
        supplier_id: int | None = None,
        actor: Any = None,
    ) -> User:
        email = normalise_email(email)
        if "@" not in email or len(email) > 320:
            raise AccountError(f"{email!r} is not an e-mail address")
        try:
            role = Role(role)
        except ValueError:
            raise AccountError(
                f"{role!r} is not a role: choose one of {', '.join(r.value for r in Role)}"
            ) from None
        validate_password(password)
        if self.find_by_email(email) is not None:
            raise AccountError(f"A user with the e-mail {email} already exists")
        user = User(email=email, name=name, role=role, password_hash=_hasher.hash(password))
        for attribute, value in (("buyer_id", buyer_id), ("supplier_id", supplier_id)):
            if value is not None:
                setattr(user, attribute, value)
        self.db.add(user)
        self.db.flush()
        record_event(
            self.db,
            action="account.created",
            subject_type="user",
            subject_id=user.id,
            actor=actor,
            actor_label=None if actor else "cli",
            after={"email": email, "role": role, "buyer_id": buyer_id, "supplier_id": supplier_id},
        )
        return user

    def is_rate_limited(self, email: str) -> bool:
        since = utcnow() - FAILED_LOGIN_WINDOW
        failures = self.db.execute(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action == LOGIN_FAILED,
                AuditEvent.subject_type == "login",
                AuditEvent.subject_id == normalise_email(email)[:200],
                AuditEvent.created >= since,
            )
        ).scalar_one()
        return failures >= MAX_FAILED_LOGINS

    def authenticate(
        self, email: str, password: str, *, remote_addr: str | None = None
    ) -> User | None:
        user = self.find_by_email(email)
        ok = False
        try:
            ok = _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if ok and user is not None and user.is_active:
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            user.last_login = utcnow()
            record_event(
                self.db,
                action="account.logged_in",
                subject_type="user",
                subject_id=user.id,
                actor=user,
                after={"remote_addr": remote_addr},
            )
            return user
        record_event(
            self.db,
            action=LOGIN_FAILED,
            subject_type="login",
            subject_id=normalise_email(email)[:200],
            actor_label="anonymous",
            after={"remote_addr": remote_addr, "known_user": user is not None},
        )
        return None


def database_user_service_factory(context: Any, request: Any) -> DatabaseUserService:
    return DatabaseUserService(request.db)
