"""Users: creation, argon2 authentication (throttled per client and per account, `throttle`),
and changes that end the user's sessions (`sessions.end_sessions`)."""

from __future__ import annotations

from typing import Any

import email_validator
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session
from zope.interface import implementer
from zxcvbn import zxcvbn

from registry.accounts import throttle
from registry.accounts.interfaces import IUserService
from registry.accounts.models import User
from registry.accounts.sessions import end_sessions
from registry.audit.services import record_event
from registry.authnz import Role
from registry.db import utcnow
from registry.problems import ServiceError

LOGIN_FAILED = "account.login_failed"
MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3

_hasher = PasswordHasher()
# Compared against when the e-mail is unknown, so a miss costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class AccountError(ServiceError):
    """A user cannot be created or changed as asked; the message says why.

    `field` names the form field the problem belongs to, when there is one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__([(field or "", message)])
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


# What an address may be to sign in with. Sign-in, the admin's new-user form and `registry user
# add` all ask `email_problem`, so no account is made with an address sign-in then refuses.
MAX_EMAIL = 320


def email_problem(email: str) -> str | None:
    """Why `email` cannot be a sign-in address (not in the right form, or a reserved domain such
    as .test or .invalid that no mail reaches), or None when it can."""
    if len(email) > MAX_EMAIL:
        return f"it is longer than {MAX_EMAIL} characters"
    try:
        email_validator.validate_email(email, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        return str(exc)
    return None


def sign_in_email(email: str) -> str:
    """`email` as an account keeps it (trimmed, lower case); AccountError naming the field when
    sign-in would refuse it."""
    email = normalise_email(email)
    problem = email_problem(email)
    if problem is not None:
        raise AccountError(
            f"{email!r} is not an e-mail address anyone can sign in with: {problem}",
            field="email",
        )
    return email


def guessable_password(password: str) -> str | None:
    """Why the password is too easy to guess, or None. zxcvbn (Dropbox's estimator, with its
    lists of common passwords, names and words) scores 0 to 4; below 3 a stolen hash list gives
    the password up quickly. It reads at most 72 characters: longer ones are judged on those."""
    result = zxcvbn(password[:72])
    if result["score"] >= MIN_PASSWORD_SCORE:
        return None
    warning = result["feedback"]["warning"] or "It would be easy to guess."
    return f"Choose a password that is harder to guess. {warning}".strip()


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long")
    problem = guessable_password(password)
    if problem:
        raise AccountError(problem, field="password")


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
        email = sign_in_email(email)
        try:
            role = Role(role)
        except ValueError:
            raise AccountError(
                f"{role!r} is not a role: choose one of {', '.join(r.value for r in Role)}"
            ) from None
        validate_password(password)
        if self.find_by_email(email) is not None:
            raise AccountError(f"A user with the e-mail {email} already exists", field="email")
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

    def change_role(
        self,
        user: User,
        role: str,
        *,
        buyer_id: int | None = None,
        supplier_id: int | None = None,
        actor: Any,
        reason: str,
    ) -> None:
        try:
            new_role = Role(role)
        except ValueError:
            raise AccountError(f"{role!r} is not a role", field="role") from None
        check_organisation(new_role, buyer_id, supplier_id)
        _check_reason(reason)
        if _is_self(user, actor) and new_role != Role.admin:
            raise AccountError(
                "You cannot remove your own admin role: ask another admin to do it, "
                "so the registry always keeps an admin who can sign in",
                field="role",
            )
        before = _role_state(user)
        after = {"role": new_role.value, "buyer_id": buyer_id, "supplier_id": supplier_id}
        if before == after:
            raise AccountError("The role and organisation are the same as now", field="role")
        user.role = new_role
        user.buyer_id = buyer_id
        user.supplier_id = supplier_id
        end_sessions(self.db, user.id)
        self._audit("account.role_changed", user, actor, before, after, reason)

    def deactivate(self, user: User, *, actor: Any, reason: str) -> None:
        _check_reason(reason)
        if _is_self(user, actor):
            raise AccountError("You cannot deactivate your own account: ask another admin to do it")
        if not user.is_active:
            raise AccountError(f"{user.email} is already deactivated")
        user.is_active = False
        end_sessions(self.db, user.id)
        self._audit(
            "account.deactivated", user, actor, {"is_active": True}, {"is_active": False}, reason
        )

    def reactivate(self, user: User, *, actor: Any, reason: str) -> None:
        _check_reason(reason)
        if user.is_active:
            raise AccountError(f"{user.email} is already active")
        user.is_active = True
        # Sessions from before the deactivation stay ended: the user signs in afresh.
        end_sessions(self.db, user.id)
        self._audit(
            "account.reactivated", user, actor, {"is_active": False}, {"is_active": True}, reason
        )

    def set_password(self, user: User, password: str, *, actor: Any, reason: str) -> None:
        try:
            validate_password(password)
        except AccountError as exc:
            raise AccountError(str(exc), field="password") from None
        _check_reason(reason)
        user.password_hash = _hasher.hash(password)
        end_sessions(self.db, user.id)
        # Never the hash itself: only that it changed.
        self._audit("account.password_set", user, actor, None, {"password": "changed"}, reason)

    def _audit(
        self,
        action: str,
        user: User,
        actor: Any,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reason: str,
    ) -> None:
        self.db.flush()
        record_event(
            self.db,
            action=action,
            subject_type="user",
            subject_id=user.id,
            actor=actor,
            before=before,
            after=after,
            reason=reason.strip(),
        )

    def sign_in_refusal(self, email: str, remote_addr: str | None) -> str | None:
        return throttle.refusal(self.db, email, remote_addr)

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
        throttle.record_failure(self.db, email, remote_addr)
        record_event(
            self.db,
            action=LOGIN_FAILED,
            subject_type="login",
            subject_id=normalise_email(email)[:200],
            actor_label="anonymous",
            after={"remote_addr": remote_addr, "known_user": user is not None},
        )
        return None


def check_organisation(role: Role, buyer_id: int | None, supplier_id: int | None) -> None:
    """Officers act for one buyer, supplier users for one supplier, auditors and admins for none."""
    if role == Role.officer and (buyer_id is None or supplier_id is not None):
        raise AccountError("An officer must work for a buyer: enter the buyer", "organisation")
    if role == Role.supplier and (supplier_id is None or buyer_id is not None):
        raise AccountError(
            "A supplier user must speak for a supplier: enter the supplier", "organisation"
        )
    if role in (Role.auditor, Role.admin) and (buyer_id is not None or supplier_id is not None):
        raise AccountError(
            f"An {role} does not act for an organisation: leave the organisation empty",
            "organisation",
        )


def _check_reason(reason: str) -> None:
    # Checked before anything changes, so a refused request writes nothing.
    if not reason or not reason.strip():
        raise AccountError("Enter the reason for the change", field="reason")


def _is_self(user: User, actor: Any) -> bool:
    return actor is not None and getattr(actor, "id", None) == user.id


def _role_state(user: User) -> dict[str, Any]:
    return {"role": user.role.value, "buyer_id": user.buyer_id, "supplier_id": user.supplier_id}


def database_user_service_factory(context: Any, request: Any) -> DatabaseUserService:
    return DatabaseUserService(request.db)
